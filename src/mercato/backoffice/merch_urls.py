"""Home-page slots, included under merch/ in the backoffice namespace."""

from django.urls import path

from . import views_merch

urlpatterns = [
    path("", views_merch.slot_list, name="merch_slots"),
    path("<int:slot_id>/", views_merch.slot_edit, name="merch_slot_edit"),
    path("<int:slot_id>/delete/", views_merch.slot_delete, name="merch_slot_delete"),
]

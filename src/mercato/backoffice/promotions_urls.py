"""Promotions (views_promotions), included under promotions/ in the backoffice namespace."""

from django.urls import path

from . import views_promotions as views

urlpatterns = [
    path("", views.promotion_list, name="promotions"),
    path("new/", views.promotion_edit, name="promotion_new"),
    path("calendar/", views.promotion_calendar, name="promotion_calendar"),
    path("<int:promotion_id>/", views.promotion_detail, name="promotion"),
    path("<int:promotion_id>/edit/", views.promotion_edit, name="promotion_edit"),
    path("<int:promotion_id>/status/", views.promotion_status, name="promotion_status"),
    path("<int:promotion_id>/recur/", views.promotion_recur, name="promotion_recur"),
]

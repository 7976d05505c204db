"""Flash sales (秒杀) under /flash/ (names live in the "storefront" namespace)."""

from django.urls import path

from . import views_flash as views

urlpatterns = [
    path("<int:sale_id>/", views.flash_page, name="flash"),
    path("<int:sale_id>/token/", views.flash_token, name="flash_token"),
    path("item/<int:item_id>/buy/", views.flash_buy, name="flash_buy"),
]

"""Promotions (views_promotions), included under promotions/ in the backoffice namespace."""

from django.urls import path

from . import views_flash_sales as flash
from . import views_promotions as views

urlpatterns = [
    path("", views.promotion_list, name="promotions"),
    path("new/", views.promotion_edit, name="promotion_new"),
    path("calendar/", views.promotion_calendar, name="promotion_calendar"),
    path("<int:promotion_id>/", views.promotion_detail, name="promotion"),
    path("<int:promotion_id>/edit/", views.promotion_edit, name="promotion_edit"),
    path("<int:promotion_id>/status/", views.promotion_status, name="promotion_status"),
    path("<int:promotion_id>/recur/", views.promotion_recur, name="promotion_recur"),
    # Flash sales (views_flash_sales)
    path("flash/", flash.flash_sale_list, name="flash_sales"),
    path("flash/new/", flash.flash_sale_edit, name="flash_sale_new"),
    path("flash/<int:sale_id>/", flash.flash_sale_detail, name="flash_sale"),
    path("flash/<int:sale_id>/edit/", flash.flash_sale_edit, name="flash_sale_edit"),
    path("flash/<int:sale_id>/cancel/", flash.flash_sale_cancel, name="flash_sale_cancel"),
]

"""The order console and phone orders (views_orders.py, views_phone_orders.py), included
under orders/ in the backoffice namespace."""

from django.urls import path

from . import views_orders, views_phone_orders

urlpatterns = [
    path("", views_orders.order_list, name="order_list"),
    path("export/", views_orders.order_export, name="order_export"),
    path("phone/", views_phone_orders.phone_order_start, name="phone_order_start"),
    path("phone/<int:cart_id>/", views_phone_orders.phone_order, name="phone_order"),
    path("phone/<int:cart_id>/add/", views_phone_orders.phone_order_add, name="phone_order_add"),
    path(
        "phone/<int:cart_id>/lines/<int:line_id>/remove/",
        views_phone_orders.phone_order_remove,
        name="phone_order_remove",
    ),
    path(
        "phone/<int:cart_id>/place/", views_phone_orders.phone_order_place, name="phone_order_place"
    ),
    path(
        "phone/<int:cart_id>/discard/",
        views_phone_orders.phone_order_cancel,
        name="phone_order_cancel",
    ),
    path("<str:number>/", views_orders.order_detail, name="order_detail"),
    path("<str:number>/cancel/", views_orders.order_cancel, name="order_cancel"),
    path("<str:number>/address/", views_orders.order_address, name="order_address"),
    path("<str:number>/hold/", views_orders.order_hold, name="order_hold"),
    path("<str:number>/release/", views_orders.order_release, name="order_release"),
    path("<str:number>/note/", views_orders.order_note, name="order_note"),
    path("<str:number>/payment-link/", views_orders.order_payment_link, name="order_payment_link"),
]

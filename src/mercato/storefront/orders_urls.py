"""Storefront order pages under /orders/ (names live in the "storefront" namespace).

Members reach their orders by number; guests by the signed link made at placement.
"""

from django.urls import path

from . import views_orders as views
from . import views_returns, views_reviews

urlpatterns = [
    path("", views.orders, name="orders"),
    path("g/<str:token>/", views.guest_order, name="guest_order"),
    path("g/<str:token>/pay/", views.guest_order_pay, name="guest_order_pay"),
    path("g/<str:token>/cancel/", views.guest_order_cancel, name="guest_order_cancel"),
    path("<str:number>/", views.order_detail, name="order_detail"),
    path("<str:number>/pay/", views.order_pay, name="order_pay"),
    path("<str:number>/cancel/", views.order_cancel, name="order_cancel"),
    path(
        "<str:number>/confirm-receipt/", views.order_confirm_receipt, name="order_confirm_receipt"
    ),
    # Returns and exchanges (views_returns.py)
    path("<str:number>/return/", views_returns.order_return, name="order_return"),
    path("returns/<str:number>/", views_returns.return_detail, name="return_detail"),
    path("returns/<str:number>/parcel/", views_returns.return_parcel, name="return_parcel"),
    path("returns/<str:number>/cancel/", views_returns.return_cancel, name="return_cancel"),
    # Reviewing an item that reached the customer (views_reviews.py)
    path("<str:number>/review/<int:line_id>/", views_reviews.write_review, name="write_review"),
]

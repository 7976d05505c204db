"""Storefront cart pages (names live in the "storefront" namespace)."""

from django.urls import path

from . import views_cart as views

urlpatterns = [
    path("", views.cart, name="cart"),
    path("mini/", views.mini_cart, name="mini_cart"),
    path("add/", views.add, name="cart_add"),
    path("select/", views.select_all, name="cart_select_all"),
    path("acknowledge/", views.acknowledge, name="cart_acknowledge"),
    path("lines/<int:line_id>/quantity/", views.change_quantity, name="cart_quantity"),
    path("lines/<int:line_id>/select/", views.select_line, name="cart_select"),
    path("lines/<int:line_id>/remove/", views.remove_line, name="cart_remove"),
]

"""Storefront checkout pages under /checkout/ (names live in the "storefront" namespace)."""

from django.urls import path

from . import views_checkout as views

urlpatterns = [
    path("", views.checkout, name="checkout"),
    path("quote/", views.checkout_quote, name="checkout_quote"),
    path("regions/", views.checkout_regions, name="checkout_regions"),
    path("parse/", views.checkout_parse, name="checkout_parse"),
    path("place/", views.checkout_place, name="checkout_place"),
]

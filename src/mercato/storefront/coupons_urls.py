"""The coupon page under /coupons/ (names live in the "storefront" namespace)."""

from django.urls import path

from . import views_coupons as views

urlpatterns = [
    path("", views.coupon_center, name="coupons"),
    path("<int:template_id>/claim/", views.claim, name="coupon_claim"),
]

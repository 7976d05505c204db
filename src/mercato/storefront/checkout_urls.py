"""Storefront checkout pages (names live in the "storefront" namespace)."""

urlpatterns: list = []

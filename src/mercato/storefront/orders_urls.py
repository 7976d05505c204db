"""Storefront orders pages (names live in the "storefront" namespace)."""

urlpatterns: list = []

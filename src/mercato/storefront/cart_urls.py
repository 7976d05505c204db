"""Storefront cart pages (names live in the "storefront" namespace)."""

urlpatterns: list = []

"""Checkout and the shopper's orders over the API: /api/orders/."""

from ninja import Router

router = Router(tags=["orders"])

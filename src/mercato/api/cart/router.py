"""The shopper's cart over the API: /api/cart/."""

from ninja import Router

router = Router(tags=["cart"])

"""Payments and refunds: starting a payment, taking gateway notices, refunding.

Only a verified notice or an active trade query marks an order paid (orders.mark_paid);
the return page a browser lands on never does. Every notice is stored raw first.
"""

from mercato.orders.models import Order

from .gateways.base import PaymentAction


def start_payment(*, order: Order, client_ip: str, base_url: str):
    """Open a payment attempt for `order` with its payment method; returns
    (Payment, PaymentAction). The amount is the order's total. `base_url` is the shop's
    absolute root (request.build_absolute_uri("/")) for the notify and return URLs.
    Conflict when the order is not waiting for payment."""
    raise NotImplementedError  # implemented by the payments work


def create_cod_payment(*, order: Order):
    """The cash-on-delivery record for `order`: the amount the courier collects.
    Checkout calls it inside the placement transaction."""
    raise NotImplementedError  # implemented by the payments work


__all__ = ["PaymentAction", "create_cod_payment", "start_payment"]

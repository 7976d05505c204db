"""Turning a cart into an order: the quote shown before paying, and placement.

Placement is one transaction: re-price the selected cart lines from the database (never
from the client), reserve stock in the warehouses allocation picks (splitting when one
cannot fill the order), write the order, and take the lines out of the cart. A repeated
idempotency key answers with the order the first request placed.
"""

from dataclasses import dataclass
from decimal import Decimal

from mercato.inventory.allocation import Parcel
from mercato.orders.models import Order
from mercato.orders.services import DeliveryAddress, Invoice, PricedLine

from .totals import Totals


@dataclass(frozen=True)
class CheckoutQuote:
    lines: list[PricedLine]  # the selected, on-sale cart lines at current prices
    parcels: list[Parcel]  # how the order would ship if placed now (拆单 when > 1)
    weight_g: int
    shipping_fee: Decimal
    totals: Totals


@dataclass(frozen=True)
class Placement:
    order: Order
    created: bool  # False: the idempotency key was seen before; `order` is the first one


def quote_checkout(*, cart, province: str) -> CheckoutQuote:
    """What the order would cost and how it would ship to `province`, read only.

    ValidationFailed when no line is selected; OutOfStock naming the SKUs short.
    """
    raise NotImplementedError  # implemented by the placement work


def place_order(
    *,
    cart,
    customer,
    address: DeliveryAddress,
    payment_method: str,
    idempotency_key: str,
    invoice: Invoice | None = None,
    note: str = "",
    expected_total: Decimal | None = None,
    actor=None,
) -> Placement:
    """Place the cart's selected lines as one order, all or nothing.

    `payment_method` must be one of payments.gateways.enabled_methods(). When
    `expected_total` (what the customer saw) differs from the total computed now, raises
    ValidationFailed on "expected_total" and changes nothing. OutOfStock names the SKUs
    that ran out. A repeated `idempotency_key` returns Placement(created=False).
    """
    raise NotImplementedError  # implemented by the placement work

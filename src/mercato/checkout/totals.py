"""The totals pipeline: lines, shipping, discounts, total — every amount a Decimal to the fen.

Promotions plug in through `line_discounts`: what mercato.promotions.engine gave each line
(spread by it over the lines each promotion applies to, to the fen). Plain `discounts`, a
list of (label, amount) steps, are summed into one order-level discount, capped at the goods
total and spread over all lines (core.money.spread_discount). Either way per-line payable
amounts add up exactly to the total (refunds depend on it).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from mercato.core.errors import DomainError
from mercato.core.money import ZERO, spread_discount, to_fen


@dataclass(frozen=True)
class LineTotal:
    line_total: Decimal
    discount_share: Decimal
    payable: Decimal


@dataclass(frozen=True)
class Totals:
    lines: list[LineTotal]
    lines_total: Decimal
    shipping_fee: Decimal
    discount_total: Decimal
    total: Decimal


def compute_totals(
    *,
    lines: list[tuple[Decimal, int]],
    shipping_fee: Decimal,
    discounts: list[tuple[str, Decimal]] = (),
    line_discounts: list[Decimal] | None = None,
) -> Totals:
    """Totals for (unit_price, quantity) lines, a shipping fee and (label, amount) discounts,
    plus `line_discounts`: a discount per line (each capped at its line's total)."""
    for unit_price, quantity in lines:
        if unit_price < 0:
            raise DomainError(_("A price cannot be negative."), field="unit_price")
        if quantity < 0:
            raise DomainError(_("A quantity cannot be negative."), field="quantity")
    if shipping_fee < 0:
        raise DomainError(_("The shipping fee cannot be negative."), field="shipping_fee")
    for _label, amount in discounts:
        if amount < 0:
            raise DomainError(_("A discount cannot be negative."), field="discounts")

    # Round once per line, half-up, on the exact product.
    line_totals = [to_fen(Decimal(price) * quantity) for price, quantity in lines]
    lines_total = sum(line_totals, ZERO)
    # Cap at the goods total: shipping is never discounted, so the total stays >= shipping.
    requested = to_fen(sum((Decimal(a) for _label, a in discounts), ZERO))
    discount_total = min(requested, lines_total)
    shares = spread_discount(line_totals=line_totals, discount=discount_total)
    if line_discounts is not None:
        if len(line_discounts) != len(line_totals):
            raise ValueError("one discount per line")
        for i, (total, share, extra) in enumerate(
            zip(line_totals, shares, line_discounts, strict=True)
        ):
            if extra < 0:
                raise DomainError(_("A discount cannot be negative."), field="discounts")
            shares[i] = min(total, share + to_fen(extra))
        discount_total = sum(shares, ZERO)
    shipping = to_fen(shipping_fee)
    return Totals(
        lines=[LineTotal(t, s, t - s) for t, s in zip(line_totals, shares, strict=True)],
        lines_total=lines_total,
        shipping_fee=shipping,
        discount_total=discount_total,
        total=lines_total + shipping - discount_total,
    )

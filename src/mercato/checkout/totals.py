"""The totals pipeline: lines, shipping, discounts, total — every amount a Decimal to the fen.

Promotions plug in through `discounts`: a list of (label, amount) steps applied in order.
For now the steps are summed into one order-level discount, capped at the goods total and
spread over the lines so that per-line payable amounts add up exactly (refunds depend on it).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from mercato.core.errors import DomainError

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


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


def to_fen(amount: Decimal) -> Decimal:
    """Round a money amount half-up to the fen."""
    return Decimal(amount).quantize(FEN, rounding=ROUND_HALF_UP)


def spread_discount(*, line_totals: list[Decimal], discount: Decimal) -> list[Decimal]:
    """Split `discount` over lines in proportion to their totals (largest-remainder method).

    Shares add up exactly to `discount` and none exceeds its line; `discount` must not exceed
    the sum of the lines.
    """
    goods = sum(line_totals, ZERO)
    if discount <= 0 or goods <= 0:
        return [ZERO for _line in line_totals]
    # Work in whole fen so the arithmetic is exact.
    goods_fen = int(goods / FEN)
    discount_fen = int(discount / FEN)
    exact = [int(t / FEN) * discount_fen for t in line_totals]  # numerators over goods_fen
    shares = [e // goods_fen for e in exact]
    remainders = [e % goods_fen for e in exact]
    left = discount_fen - sum(shares)
    # Give the leftover fen to the largest remainders; ties go to the earlier line so the
    # result is deterministic. A line with remainder > 0 has share < its total, so +1 fits.
    order = sorted(range(len(shares)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        shares[i] += 1
    return [Decimal(s) * FEN for s in shares]


def compute_totals(
    *,
    lines: list[tuple[Decimal, int]],
    shipping_fee: Decimal,
    discounts: list[tuple[str, Decimal]] = (),
) -> Totals:
    """Totals for (unit_price, quantity) lines, a shipping fee and (label, amount) discounts."""
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
    shipping = to_fen(shipping_fee)
    return Totals(
        lines=[LineTotal(t, s, t - s) for t, s in zip(line_totals, shares, strict=True)],
        lines_total=lines_total,
        shipping_fee=shipping,
        discount_total=discount_total,
        total=lines_total + shipping - discount_total,
    )

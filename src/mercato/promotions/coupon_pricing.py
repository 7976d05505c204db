"""A coupon on a cart the promotions have priced: what it takes off each line. Pure.

The coupon comes after the promotions (engine.price): its threshold and its percentage are
measured on what the lines it covers cost after the promotions, as Chinese shops do, and
its discount is spread over those lines in proportion to what they still cost, to the fen
(core.money.spread_fen, the engine's rule), so a refund of one line stays exact. A free
shipping coupon waives what shipping still costs. A coupon whose template does not combine
with promotions is priced on the cart without them (the caller prices it so).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from mercato.core.money import spread_fen

from . import engine

AMOUNT_OFF = "amount_off"
PERCENT_OFF = "percent_off"
FREE_SHIPPING = "free_shipping"

# Why a coupon cannot be used on this cart (coupons.REASONS has the customer's words).
OUT_OF_SCOPE = "out_of_scope"
BELOW_THRESHOLD = "below_threshold"
NO_SAVING = "no_saving"


@dataclass(frozen=True)
class CouponTerms:
    """A coupon as pricing sees it (coupons.terms_of builds one from the rows)."""

    coupon_id: int
    code: str
    name: str
    kind: str
    amount: Decimal | None = None
    percent: Decimal | None = None
    cap: Decimal | None = None  # a percentage coupon takes at most this off
    threshold: Decimal | None = None  # spend on the covered lines it needs
    scope: str = engine.ALL
    scope_ids: frozenset[int] = frozenset()
    category_paths: tuple[str, ...] = ()
    stackable: bool = True  # combines with promotions


@dataclass(frozen=True)
class CouponApplied:
    coupon_id: int
    code: str
    name: str
    discount: Decimal  # off the goods
    shipping_off: Decimal
    line_discounts: tuple[Decimal, ...]  # in the caller's line order


@dataclass(frozen=True)
class CouponRefused:
    reason: str  # OUT_OF_SCOPE, BELOW_THRESHOLD, NO_SAVING
    missing: Decimal | None = None  # BELOW_THRESHOLD: spend this much more
    threshold: Decimal | None = None


def apply_coupon(
    *,
    terms: CouponTerms,
    lines: Sequence[engine.Line],
    payable: Sequence[Decimal],
    shipping_fee: Decimal,
) -> CouponApplied | CouponRefused:
    """The coupon on `lines`, which still cost `payable` each (after the promotions) and
    ship for `shipping_fee` (after them)."""
    fen = engine._fen
    scoped = [i for i, line in enumerate(lines) if line.quantity and engine.in_scope(terms, line)]
    if not scoped:
        return CouponRefused(OUT_OF_SCOPE)
    cost = [fen(p) for p in payable]
    base = sum(cost[i] for i in scoped)
    if terms.threshold is not None and base < fen(terms.threshold):
        return CouponRefused(
            BELOW_THRESHOLD,
            missing=engine._yuan(fen(terms.threshold) - base),
            threshold=terms.threshold,
        )
    off = [0] * len(lines)
    waived = 0
    if terms.kind == FREE_SHIPPING:
        waived = fen(shipping_fee)
        if not waived:
            return CouponRefused(NO_SAVING)
    else:
        if terms.kind == PERCENT_OFF:
            amount = engine._percent_of(base, terms.percent or Decimal(0))
            if terms.cap is not None:
                amount = min(amount, fen(terms.cap))
        else:
            amount = fen(terms.amount or Decimal(0))
        amount = min(amount, base)
        if amount <= 0:
            return CouponRefused(NO_SAVING)
        shares = spread_fen(weights=[cost[i] for i in scoped], amount=amount)
        for i, share in zip(scoped, shares, strict=True):
            off[i] = share
    return CouponApplied(
        coupon_id=terms.coupon_id,
        code=terms.code,
        name=terms.name,
        discount=engine._yuan(sum(off)),
        shipping_off=engine._yuan(waived),
        line_discounts=tuple(engine._yuan(f) for f in off),
    )

"""Gift with purchase (赠品): which gifts a cart gets. Pure, like the engine.

A gift promotion (engine.GIFT) adds `get_quantity` units of its gift SKU at price 0 when
the lines in its scope cost at least `min_amount` after the item and 满减 promotions (what
the customer pays for them before a coupon or points), or, without `min_amount`, when any
line is in scope. It takes no money off, so it combines with every money promotion;
among gift promotions of one stacking group only the first by priority (then id) gives
its gift. A gift whose SKU the cart already holds is not given (one order line per SKU).
Whether the gift is in stock is the caller's question (checkout): no stock, no gift, and
the order is placed without it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from mercato.core.money import ZERO

from . import engine


@dataclass(frozen=True)
class Gift:
    """One gift the cart earns. `id`, `discount` and `shipping_off` make it count as a use
    of its promotion like an engine.AppliedOffer (services.claim_uses, customer_claims,
    redemptions_statement)."""

    id: int  # the promotion's
    name: str
    sku_id: int
    quantity: int
    discount: Decimal = ZERO
    shipping_off: Decimal = ZERO


def gifts_for(
    *,
    lines: Sequence[engine.Line],
    offers: Sequence[engine.Offer],
    shopper: engine.Shopper,
    pricing: engine.Pricing | None = None,
    now: datetime | None = None,
) -> list[Gift]:
    """The gifts `lines` earn, by priority then id; `pricing`: the engine's result for the
    same lines (their discounts lower what counts toward a threshold)."""
    gift_offers = sorted(
        (
            o
            for o in offers
            if o.kind == engine.GIFT and o.get_sku_id and engine.is_eligible(o, shopper, now)
        ),
        key=lambda o: o.rank_key,
    )
    if not gift_offers:
        return []
    discounts = pricing.line_discounts if pricing is not None else [ZERO] * len(lines)
    payable = [
        Decimal(line.unit_price) * line.quantity - off
        for line, off in zip(lines, discounts, strict=True)
    ]
    gifts, groups = [], set()
    in_cart = {line.sku_id for line in lines}
    for offer in gift_offers:
        if offer.group and offer.group in groups:
            continue
        if offer.get_sku_id in in_cart:
            continue  # the customer buys that SKU: more of it is buy X get Y's job
        scoped = [i for i, ln in enumerate(lines) if ln.quantity and engine.in_scope(offer, ln)]
        if not scoped:
            continue
        if offer.min_amount is not None and sum(payable[i] for i in scoped) < offer.min_amount:
            continue
        gifts.append(
            Gift(
                id=offer.id,
                name=offer.name,
                sku_id=offer.get_sku_id,
                quantity=offer.get_quantity or 1,
            )
        )
        if offer.group:
            groups.add(offer.group)
    return gifts

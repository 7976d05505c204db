"""The promotion engine: which promotions a cart gets and what each line pays. Pure.

No database here: the caller passes the cart's lines, the shopper and the promotions
(selectors.running_offers) and gets back a `Pricing`. Every amount is worked in whole fen
(ints), so the arithmetic is exact; Decimals (yuan, two places) go in and come out.

How a set of promotions applies: in one fixed order — item promotions first (percent or
amount off, Nth item, buy X get Y), then spend-and-save (满减, measured on what the lines
cost after the item promotions, as Chinese shops do), then free shipping — and within a
stage by priority (higher first) then id. Each promotion discounts what its lines still
cost after the ones before it, never below zero, and its discount is spread over the lines
it applies to, to the fen (core.money.spread_fen, largest remainder), so a refund of one
line is exact.

Which promotions combine: promotions sharing a stacking group never combine (at most one of
a group applies); a promotion that is not stackable applies alone. Among the allowed
combinations the engine takes the one that saves the customer most (goods discount plus
shipping waived); ties go to the combination whose promotions rank first by priority then
id (sorted), and a promotion that would save nothing is left out. The search is exact: a
depth-first walk over the promotions in application order (taking each before leaving it
out), cut where the remaining promotions could not reach the best found (see `bound` in
price()); `MAX_NODES` bounds the walk for pathological sets, where the best found so far
is taken (none of the tests or benchmarks reaches it).

The result does not depend on the order of the cart lines: lines are worked in SKU order
(one line per SKU, as carts keep them) and answered in the caller's order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from mercato.core.money import FEN, ZERO, spread_fen, to_fen

# Kinds (promotions.models.Kind has the same values, with labels).
PERCENT_OFF = "percent_off"  # percent off the lines in scope
AMOUNT_OFF = "amount_off"  # 直降: an amount off every unit in scope
SPEND_SAVE = "spend_save"  # 满减: tiers of (threshold, amount off) over the lines in scope
NTH_ITEM = "nth_item"  # 满件折: every Nth unit at `percent` off (2nd half price, 3 for 2)
BUY_X_GET_Y = "buy_x_get_y"  # buy X units in scope, Y units of a SKU (or the same) at `percent` off
FREE_SHIPPING = "free_shipping"  # over `min_amount` in scope and/or to `provinces`
# 赠品: `get_quantity` units of `get_sku_id` added at price 0 over `min_amount` in scope (or
# for any item in scope). It takes no money off, so price() always leaves it out; gifts.py
# decides which gifts a cart gets.
GIFT = "gift"

# Scopes
ALL = "all"
PRODUCTS = "products"
CATEGORIES = "categories"
BRANDS = "brands"

# Targets
EVERYONE = "all"
NEW_CUSTOMERS = "new"
TIER = "tier"

ANY_CHANNEL = "all"

STAGES = {
    PERCENT_OFF: 0,
    AMOUNT_OFF: 0,
    NTH_ITEM: 0,
    BUY_X_GET_Y: 0,
    SPEND_SAVE: 1,
    FREE_SHIPPING: 2,
    GIFT: 3,
}
MAX_NODES = 20_000
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Line:
    """A cart line as the engine sees it."""

    sku_id: int
    product_id: int
    unit_price: Decimal
    quantity: int
    category_path: str = ""  # catalog.Category.path (treebeard): ancestors are its prefixes
    brand_id: int | None = None


@dataclass(frozen=True)
class Tier:
    threshold: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Offer:
    """A promotion as the engine sees it (selectors.offer_of builds one from the model)."""

    id: int
    name: str
    kind: str
    scope: str = ALL
    scope_ids: frozenset[int] = frozenset()  # product or brand ids
    category_paths: tuple[str, ...] = ()  # the scope's categories, by tree path
    percent: Decimal | None = None  # percent off, 0 < p <= 100
    amount: Decimal | None = None  # AMOUNT_OFF: per unit
    tiers: tuple[Tier, ...] = ()  # SPEND_SAVE, thresholds ascending
    min_amount: Decimal | None = None  # FREE_SHIPPING threshold
    provinces: frozenset[str] = frozenset()  # FREE_SHIPPING: only to these (empty: anywhere)
    nth: int | None = None  # NTH_ITEM
    buy_quantity: int | None = None  # BUY_X_GET_Y
    get_quantity: int | None = None
    get_sku_id: int | None = None  # None: the same SKU as bought
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    channel: str = ANY_CHANNEL
    target: str = EVERYONE
    tier_code: str = ""
    usage_limit: int | None = None
    used: int = 0
    per_customer_limit: int | None = None
    priority: int = 0
    group: str = ""  # promotions of one group never combine
    stackable: bool = True  # False: applies alone

    @property
    def stage(self) -> int:
        return STAGES[self.kind]

    @property
    def order_key(self) -> tuple[int, int, int]:
        return (self.stage, -self.priority, self.id)

    @property
    def rank_key(self) -> tuple[int, int]:
        return (-self.priority, self.id)


@dataclass(frozen=True)
class Shopper:
    """Who buys, where and how: what decides which promotions they may have."""

    customer_id: int | None = None
    is_new: bool = False  # no order placed before
    tier_code: str = ""
    used: Mapping[int, int] = field(default_factory=dict)  # promotion id -> uses by them
    channel: str = "web"
    province: str = ""


@dataclass(frozen=True)
class AppliedOffer:
    id: int
    name: str
    kind: str
    discount: Decimal  # off the goods
    shipping_off: Decimal
    line_discounts: tuple[Decimal, ...]  # in the caller's line order


@dataclass(frozen=True)
class Pricing:
    line_totals: tuple[Decimal, ...]  # in the caller's line order
    line_discounts: tuple[Decimal, ...]
    goods_total: Decimal
    discount_total: Decimal
    shipping_before: Decimal
    shipping_fee: Decimal
    applied: tuple[AppliedOffer, ...]  # in application order

    @property
    def total(self) -> Decimal:
        return self.goods_total - self.discount_total + self.shipping_fee

    @property
    def saving(self) -> Decimal:
        return self.discount_total + self.shipping_before - self.shipping_fee


@dataclass(frozen=True)
class TierHint:
    """How close the cart is to a spend-and-save tier: spend `missing` more for `amount` off."""

    offer_id: int
    name: str
    missing: Decimal
    threshold: Decimal
    amount: Decimal


# Fen arithmetic ----------------------------------------------------------------------------


def _fen(amount: Decimal) -> int:
    return int(to_fen(amount) / FEN)


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) * FEN).quantize(FEN)


def _percent_of(fen: int, percent: Decimal) -> int:
    """`percent` percent of `fen`, rounded half-up to the fen."""
    return _fen(Decimal(fen) * FEN * percent / HUNDRED)


# Who may have an offer ---------------------------------------------------------------------


def is_eligible(offer: Offer, shopper: Shopper, now: datetime | None = None) -> bool:
    """The offer runs now on the shopper's channel, targets them, and has uses left."""
    if now is not None:
        if offer.starts_at is not None and now < offer.starts_at:
            return False
        if offer.ends_at is not None and now >= offer.ends_at:
            return False
    if offer.channel != ANY_CHANNEL and offer.channel != shopper.channel:
        return False
    if offer.target == NEW_CUSTOMERS and (shopper.customer_id is None or not shopper.is_new):
        return False
    if offer.target == TIER and (not shopper.tier_code or shopper.tier_code != offer.tier_code):
        return False
    if offer.usage_limit is not None and offer.used >= offer.usage_limit:
        return False
    if offer.per_customer_limit is not None:
        if shopper.customer_id is None:
            return False  # a limit per customer needs to know the customer
        if shopper.used.get(offer.id, 0) >= offer.per_customer_limit:
            return False
    return True


def in_scope(offer: Offer, line: Line) -> bool:
    if offer.scope == ALL:
        return True
    if offer.scope == PRODUCTS:
        return line.product_id in offer.scope_ids
    if offer.scope == BRANDS:
        return line.brand_id is not None and line.brand_id in offer.scope_ids
    if offer.scope == CATEGORIES:
        return any(line.category_path.startswith(p) for p in offer.category_paths if p)
    return False


# One offer on the lines as they stand ---------------------------------------------------


@dataclass(frozen=True)
class _Cart:
    """The lines in SKU order, with what each unit and line costs in fen."""

    lines: tuple[Line, ...]
    unit_prices: tuple[Decimal, ...]  # yuan, as given (may be sub-fen)
    totals: tuple[int, ...]
    province: str


def _apply(offer: Offer, cart: _Cart, payable: list[int], shipping: int) -> tuple[list[int], int]:
    """(discount per line, shipping waived) of `offer` on lines that still cost `payable`."""
    n = len(cart.lines)
    off = [0] * n
    scoped = [i for i in range(n) if in_scope(offer, cart.lines[i]) and cart.lines[i].quantity]
    if not scoped:
        return off, 0
    base = sum(payable[i] for i in scoped)
    kind = offer.kind
    if kind == FREE_SHIPPING:
        if offer.min_amount is not None and base < _fen(offer.min_amount):
            return off, 0
        if offer.provinces and cart.province not in offer.provinces:
            return off, 0
        return off, shipping
    if kind in (PERCENT_OFF, SPEND_SAVE):
        if kind == PERCENT_OFF:
            amount = _percent_of(base, offer.percent or ZERO)
        else:
            reached = [t for t in offer.tiers if _fen(t.threshold) <= base]
            amount = _fen(max(reached, key=lambda t: t.threshold).amount) if reached else 0
        amount = min(amount, base)
        for i, share in zip(
            scoped, spread_fen(weights=[payable[i] for i in scoped], amount=amount), strict=True
        ):
            off[i] = share
        return off, 0
    if kind == AMOUNT_OFF:
        per_unit = _fen(offer.amount or ZERO)
        for i in scoped:
            off[i] = min(payable[i], per_unit * cart.lines[i].quantity)
        return off, 0
    percent = offer.percent if offer.percent is not None else HUNDRED
    wanted = [0] * n  # discount before capping at what the line still costs
    if kind == NTH_ITEM and offer.nth:
        # Every unit in scope, dearest first (then by SKU): in each full group of N the
        # last (the cheapest of the group) is the one at a discount.
        units = sorted(
            (
                (cart.unit_prices[i], cart.lines[i].sku_id, i)
                for i in scoped
                for _u in range(cart.lines[i].quantity)
            ),
            key=lambda u: (-u[0], u[1]),
        )
        for position, (price, _sku, i) in enumerate(units, start=1):
            if position % offer.nth == 0:
                wanted[i] += _fen(price * percent / HUNDRED)
    elif kind == BUY_X_GET_Y and offer.buy_quantity and offer.get_quantity:
        x, y = offer.buy_quantity, offer.get_quantity
        if offer.get_sku_id is None:
            for i in scoped:
                free = cart.lines[i].quantity // (x + y) * y
                wanted[i] = free * _fen(cart.unit_prices[i] * percent / HUNDRED)
        else:
            gets = [i for i in range(n) if cart.lines[i].sku_id == offer.get_sku_id]
            if gets:
                (g,) = gets
                bought = sum(cart.lines[i].quantity for i in scoped if i != g)
                free = min(bought // x * y, cart.lines[g].quantity)
                wanted[g] = free * _fen(cart.unit_prices[g] * percent / HUNDRED)
    for i in range(n):
        off[i] = min(payable[i], wanted[i])
    return off, 0


# Choosing the best combination ----------------------------------------------------------


def _compatible(offer: Offer, members: Sequence[Offer]) -> bool:
    if not members:
        return True
    if not offer.stackable or any(not m.stackable for m in members):
        return False
    return not offer.group or all(m.group != offer.group for m in members)


def _cart_of(lines: Sequence[Line], province: str) -> tuple[_Cart, list[int]]:
    """The lines in SKU order, and the caller's index of each."""
    if len({line.sku_id for line in lines}) != len(lines):
        raise ValueError("one line per SKU")
    order = sorted(range(len(lines)), key=lambda i: lines[i].sku_id)
    sorted_lines = tuple(lines[i] for i in order)
    cart = _Cart(
        lines=sorted_lines,
        unit_prices=tuple(Decimal(line.unit_price) for line in sorted_lines),
        totals=tuple(_fen(Decimal(line.unit_price) * line.quantity) for line in sorted_lines),
        province=province,
    )
    return cart, order


def combination_saving(
    *, lines: Sequence[Line], offers: Sequence[Offer], province: str = "", shipping_fee=ZERO
) -> Decimal:
    """What exactly `offers` save together (goods and shipping), applied in the engine's
    order, whether or not they may combine: a yardstick for price() and for previews."""
    cart, _order = _cart_of(lines, province)
    payable, ship, saved = list(cart.totals), _fen(shipping_fee), 0
    for offer in sorted(offers, key=lambda o: o.order_key):
        off, waived = _apply(offer, cart, payable, ship)
        payable = [p - o for p, o in zip(payable, off, strict=True)]
        ship -= waived
        saved += sum(off) + waived
    return _yuan(saved)


def may_combine(offers: Sequence[Offer]) -> bool:
    """Whether these offers may apply together (groups and stackable)."""
    return all(_compatible(o, offers[:i]) for i, o in enumerate(offers))


def price(
    *,
    lines: Sequence[Line],
    offers: Sequence[Offer],
    shopper: Shopper = Shopper(),  # noqa: B008 (frozen, never changed)
    shipping_fee: Decimal = ZERO,
    now: datetime | None = None,
) -> Pricing:
    """The best allowed combination of `offers` for `shopper` on `lines`, applied.

    `now`: when given, offers outside their schedule are left out (selectors pass offers
    already running). Lines must have distinct SKUs.
    """
    cart, order = _cart_of(lines, shopper.province)
    shipping = _fen(shipping_fee)
    start = list(cart.totals)
    candidates = sorted(
        (o for o in offers if is_eligible(o, shopper, now)), key=lambda o: o.order_key
    )
    # Alone, what each saves: a bound on what it adds to any combination; 0: left out.
    alone = []
    for offer in candidates:
        off, waived = _apply(offer, cart, start, shipping)
        alone.append(sum(off) + waived)
    candidates = [o for o, s in zip(candidates, alone, strict=True) if s > 0]
    alone = [s for s in alone if s > 0]

    # A bound on what the offers from i on can still add to `members`; the walk is cut
    # where even that cannot reach the best found. Each offer saves at most what it saves
    # alone (it works on what is left), and one group gives at most its best member's
    # saving alone. Ungrouped item offers (stage 0) are bounded together by applying all of
    # them: each leaves every line costing at most what it did, whatever came before, so
    # no subset, interleaved with others, takes more off.
    def bound(i: int, payable: list[int], ship: int, members: tuple) -> int:
        if any(not m.stackable for m in members):
            return 0
        used = {m.group for m in members if m.group}
        left, extra, groups, lone = list(payable), 0, {}, 0
        for offer, saves in zip(candidates[i:], alone[i:], strict=True):
            if not offer.stackable:
                lone = max(lone, saves)
            elif offer.group:
                if offer.group not in used:
                    groups[offer.group] = max(groups.get(offer.group, 0), saves)
            elif offer.stage == 0:
                off, _waived = _apply(offer, cart, left, ship)
                left = [p - o for p, o in zip(left, off, strict=True)]
            else:
                extra += saves
        extra += sum(payable) - sum(left) + sum(groups.values())
        extra = min(extra, sum(payable) + ship)
        return extra if members else max(extra, lone)

    best: dict = {"key": (0, ()), "steps": ()}
    nodes = 0

    def walk(i: int, payable: list[int], ship: int, saved: int, members: tuple, steps: tuple):
        nonlocal nodes
        nodes += 1
        key = (-saved, tuple(sorted(m.rank_key for m in members)))
        if key < best["key"]:
            best["key"], best["steps"] = key, steps
        if i == len(candidates) or nodes > MAX_NODES:
            return
        if saved + bound(i, payable, ship, members) < -best["key"][0]:
            return
        offer = candidates[i]
        if _compatible(offer, members):
            off, waived = _apply(offer, cart, payable, ship)
            gain = sum(off) + waived
            if gain > 0:
                walk(
                    i + 1,
                    [p - o for p, o in zip(payable, off, strict=True)],
                    ship - waived,
                    saved + gain,
                    (*members, offer),
                    (*steps, (offer, off, waived)),
                )
        walk(i + 1, payable, ship, saved, members, steps)

    walk(0, start, shipping, 0, (), ())

    # Back to the caller's order: position in `cart.lines` of each caller line.
    where = {pos: k for k, pos in enumerate(order)}
    line_off = [0] * len(lines)
    applied = []
    waived_total = 0
    for offer, off, waived in best["steps"]:
        mine = [off[where[pos]] for pos in range(len(lines))]
        for pos, fen in enumerate(mine):
            line_off[pos] += fen
        waived_total += waived
        applied.append(
            AppliedOffer(
                id=offer.id,
                name=offer.name,
                kind=offer.kind,
                discount=_yuan(sum(off)),
                shipping_off=_yuan(waived),
                line_discounts=tuple(_yuan(f) for f in mine),
            )
        )
    line_totals = tuple(_yuan(cart.totals[where[pos]]) for pos in range(len(lines)))
    return Pricing(
        line_totals=line_totals,
        line_discounts=tuple(_yuan(f) for f in line_off),
        goods_total=_yuan(sum(cart.totals)),
        discount_total=_yuan(sum(line_off)),
        shipping_before=_yuan(shipping),
        shipping_fee=_yuan(shipping - waived_total),
        applied=tuple(applied),
    )


def next_tier_hint(
    *,
    lines: Sequence[Line],
    offers: Sequence[Offer],
    shopper: Shopper = Shopper(),  # noqa: B008
    pricing: Pricing | None = None,
    now: datetime | None = None,
) -> TierHint | None:
    """The nearest spend-and-save tier the cart has not reached: 还差 ¥23 可减 50.

    Measured as the engine measures 满减: the lines in scope after the item promotions of
    `pricing` (the cart's current result, computed when not given). None when no eligible
    spend-and-save offer has a tier left to reach.
    """
    if pricing is None:
        pricing = price(lines=lines, offers=offers, shopper=shopper, now=now)
    item_off = [0] * len(lines)
    for applied in pricing.applied:
        if STAGES[applied.kind] == 0:
            for pos, amount in enumerate(applied.line_discounts):
                item_off[pos] += _fen(amount)
    hints = []
    for offer in offers:
        if offer.kind != SPEND_SAVE or not is_eligible(offer, shopper, now):
            continue
        scoped = [pos for pos, line in enumerate(lines) if in_scope(offer, line)]
        if not scoped:
            continue
        base = sum(_fen(pricing.line_totals[pos]) - item_off[pos] for pos in scoped)
        above = [t for t in offer.tiers if _fen(t.threshold) > base]
        if above:
            tier = min(above, key=lambda t: t.threshold)
            missing = _fen(tier.threshold) - base
            hints.append((missing, -_fen(tier.amount), offer.rank_key, offer, tier))
    if not hints:
        return None
    missing, _amount, _rank, offer, tier = min(hints, key=lambda h: h[:3])
    return TierHint(
        offer_id=offer.id,
        name=offer.name,
        missing=_yuan(missing),
        threshold=to_fen(tier.threshold),
        amount=to_fen(tier.amount),
    )

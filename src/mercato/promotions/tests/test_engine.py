"""The promotion engine, without a database: hand-computed figures per kind, and properties
over random carts and promotion sets (Hypothesis)."""

import itertools
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from mercato.promotions import engine
from mercato.promotions.engine import (
    AMOUNT_OFF,
    BRANDS,
    BUY_X_GET_Y,
    CATEGORIES,
    FREE_SHIPPING,
    NTH_ITEM,
    PERCENT_OFF,
    PRODUCTS,
    SPEND_SAVE,
    Line,
    Offer,
    Shopper,
    Tier,
    combination_saving,
    may_combine,
    next_tier_hint,
    price,
)

D = Decimal
MANJIAN = (Tier(D("199"), D("20")), Tier(D("399"), D("50")))


def line(sku, price_, qty=1, *, product=None, path="0001", brand=None):
    return Line(
        sku_id=sku,
        product_id=product if product is not None else sku,
        unit_price=D(price_),
        quantity=qty,
        category_path=path,
        brand_id=brand,
    )


def by_sku(lines, pricing):
    return {ln.sku_id: d for ln, d in zip(lines, pricing.line_discounts, strict=True)}


# Hand-computed, one kind at a time -------------------------------------------------------


def test_spend_and_save_takes_the_highest_tier_reached_spread_by_line_total():
    """满199减20 / 满399减50 on ¥300 + ¥120 = ¥420: ¥50 off, 300:120 → 35.71 + 14.29."""
    lines = [line(1, "150.00", 2), line(2, "120.00")]
    result = price(lines=lines, offers=[Offer(1, "满减", SPEND_SAVE, tiers=MANJIAN)])
    assert result.discount_total == D("50.00")
    assert result.line_discounts == (D("35.71"), D("14.29"))
    assert result.total == D("370.00")
    assert [a.name for a in result.applied] == ["满减"]


def test_spend_and_save_below_the_first_tier_gives_nothing():
    result = price(lines=[line(1, "198.99")], offers=[Offer(1, "满减", SPEND_SAVE, tiers=MANJIAN)])
    assert result.discount_total == 0 and result.applied == ()


def test_percent_off_a_brand_only():
    """12% off brand 7: ¥99.90 × 3 = ¥299.70 → ¥35.96 (35.964 rounded), the other line
    untouched."""
    lines = [line(1, "99.90", 3, brand=7), line(2, "50.00", brand=8)]
    offer = Offer(
        1, "品牌 88 折", PERCENT_OFF, scope=BRANDS, scope_ids=frozenset({7}), percent=D(12)
    )
    result = price(lines=lines, offers=[offer])
    assert result.line_discounts == (D("35.96"), D("0.00"))


def test_amount_off_each_unit_never_below_zero():
    """直降 ¥30 a unit: 2 × ¥100 → ¥60 off; a ¥20 item can lose at most ¥20."""
    lines = [line(1, "100.00", 2), line(2, "20.00")]
    result = price(lines=lines, offers=[Offer(1, "直降", AMOUNT_OFF, amount=D(30))])
    assert result.line_discounts == (D("60.00"), D("20.00"))
    assert result.total == D("140.00")


def test_second_item_half_price_pairs_the_dearest_units_first():
    """Units 100, 100, 80, 60 (dearest first): the 2nd and 4th are half price → 50 + 30."""
    lines = [line(1, "100.00", 2), line(2, "80.00"), line(3, "60.00")]
    offer = Offer(1, "第二件半价", NTH_ITEM, nth=2, percent=D(50))
    result = price(lines=lines, offers=[offer])
    assert by_sku(lines, result) == {1: D("50.00"), 2: D("0.00"), 3: D("30.00")}


def test_three_for_the_price_of_two():
    """3 for 2 on 7 units at ¥10: two groups of three → ¥20 off."""
    lines = [line(1, "10.00", 7)]
    result = price(lines=lines, offers=[Offer(1, "买三付二", NTH_ITEM, nth=3, percent=D(100))])
    assert result.discount_total == D("20.00")


def test_buy_two_get_one_same_sku():
    """Buy 2 get 1 free: 7 units → two free (groups of 3)."""
    lines = [line(1, "15.00", 7)]
    result = price(
        lines=lines, offers=[Offer(1, "买二送一", BUY_X_GET_Y, buy_quantity=2, get_quantity=1)]
    )
    assert result.discount_total == D("30.00")


def test_buy_x_get_another_sku_at_half_price():
    """Buy 2 phones, a case at half price: 3 phones → one case of the two in the cart."""
    lines = [line(1, "1000.00", 3, product=1), line(2, "40.00", 2, product=2)]
    offer = Offer(
        1,
        "买手机半价购壳",
        BUY_X_GET_Y,
        scope=PRODUCTS,
        scope_ids=frozenset({1}),
        buy_quantity=2,
        get_quantity=1,
        get_sku_id=2,
        percent=D(50),
    )
    result = price(lines=lines, offers=[offer])
    assert by_sku(lines, result) == {1: D("0.00"), 2: D("20.00")}


def test_free_shipping_over_an_amount_or_in_a_region():
    over = Offer(1, "满 99 包邮", FREE_SHIPPING, min_amount=D(99))
    jzh = Offer(2, "江浙沪包邮", FREE_SHIPPING, provinces=frozenset({"浙江省", "江苏省", "上海市"}))
    cheap = [line(1, "50.00")]
    result = price(lines=cheap, offers=[over, jzh], shipping_fee=D(12))
    assert result.shipping_fee == D(12)
    result = price(
        lines=cheap, offers=[over, jzh], shipping_fee=D(12), shopper=Shopper(province="浙江省")
    )
    assert (result.shipping_fee, result.discount_total, result.total) == (D(0), D(0), D(50))
    result = price(lines=[line(1, "99.00")], offers=[over], shipping_fee=D(12))
    assert result.shipping_fee == 0 and result.saving == D(12)


def test_categories_include_their_subcategories():
    """A category's path is a prefix of its subcategories' paths (treebeard)."""
    lines = [line(1, "100.00", path="00010002"), line(2, "100.00", path="0002")]
    offer = Offer(
        1, "数码 9 折", PERCENT_OFF, scope=CATEGORIES, category_paths=("0001",), percent=D(10)
    )
    assert by_sku(lines, price(lines=lines, offers=[offer])) == {1: D("10.00"), 2: D("0.00")}


def test_spend_and_save_is_measured_after_item_discounts():
    """¥400 with 10% off first → ¥360: the 满199减20 tier, not 满399减50."""
    lines = [line(1, "400.00")]
    offers = [
        Offer(1, "9 折", PERCENT_OFF, percent=D(10)),
        Offer(2, "满减", SPEND_SAVE, tiers=MANJIAN),
    ]
    result = price(lines=lines, offers=offers)
    assert [a.id for a in result.applied] == [1, 2]
    assert result.discount_total == D("60.00")


def test_a_group_keeps_the_best_one_and_a_lone_promotion_excludes_the_rest():
    lines = [line(1, "300.00")]
    a = Offer(1, "9 折", PERCENT_OFF, percent=D(10), group="单品")
    b = Offer(2, "8 折", PERCENT_OFF, percent=D(20), group="单品")
    manjian = Offer(3, "满减", SPEND_SAVE, tiers=MANJIAN)
    result = price(lines=lines, offers=[a, b, manjian])
    assert [x.id for x in result.applied] == [2, 3]  # 60 off, then 满199减20 on 240
    assert result.discount_total == D("80.00")
    alone = Offer(4, "清仓 7 折", PERCENT_OFF, percent=D(30), stackable=False)
    result = price(lines=lines, offers=[a, b, manjian, alone])
    assert [x.id for x in result.applied] == [4] and result.discount_total == D("90.00")


def test_ties_go_to_the_higher_priority_then_the_lower_id():
    lines = [line(1, "100.00")]
    offers = [
        Offer(5, "A", AMOUNT_OFF, amount=D(10), group="g"),
        Offer(3, "B", AMOUNT_OFF, amount=D(10), group="g"),
        Offer(9, "C", AMOUNT_OFF, amount=D(10), group="g", priority=1),
    ]
    assert [a.id for a in price(lines=lines, offers=offers).applied] == [9]
    assert [a.id for a in price(lines=lines, offers=offers[:2]).applied] == [3]


def test_who_may_have_an_offer():
    now = datetime(2026, 6, 18, tzinfo=UTC)
    lines = [line(1, "100.00")]
    base = {"kind": AMOUNT_OFF, "amount": D(10)}
    cases = [
        (Offer(1, "x", starts_at=now + timedelta(1), **base), Shopper(), False),
        (Offer(1, "x", ends_at=now, **base), Shopper(), False),
        (Offer(1, "x", channel="api", **base), Shopper(channel="web"), False),
        (Offer(1, "x", target="new", **base), Shopper(customer_id=3, is_new=False), False),
        (Offer(1, "x", target="new", **base), Shopper(customer_id=3, is_new=True), True),
        (Offer(1, "x", usage_limit=5, used=5, **base), Shopper(), False),
        (Offer(1, "x", per_customer_limit=1, **base), Shopper(), False),  # a guest
        (Offer(1, "x", per_customer_limit=1, **base), Shopper(customer_id=3, used={1: 1}), False),
        (Offer(1, "x", per_customer_limit=2, **base), Shopper(customer_id=3, used={1: 1}), True),
        (Offer(1, "x", target="tier", tier_code="gold", **base), Shopper(tier_code="gold"), True),
    ]
    for offer, shopper, gets in cases:
        result = price(lines=lines, offers=[offer], shopper=shopper, now=now)
        assert (result.discount_total == D(10)) is gets, offer


def test_next_tier_hint():
    """¥376 in the cart, 满399减50 next: 还差 ¥23 可减 50."""
    offers = [Offer(1, "满减", SPEND_SAVE, tiers=MANJIAN)]
    hint = next_tier_hint(lines=[line(1, "188.00", 2)], offers=offers)
    assert (hint.missing, hint.amount, hint.threshold) == (D("23.00"), D("50.00"), D("399.00"))
    assert next_tier_hint(lines=[line(1, "400.00")], offers=offers) is None


# Properties --------------------------------------------------------------------------------

PATHS = ("0001", "00010001", "00010002", "0002")
money = st.decimals(min_value="0.01", max_value="500", places=2)


@st.composite
def carts(draw):
    skus = draw(st.lists(st.integers(1, 12), min_size=1, max_size=5, unique=True))
    return [
        Line(
            sku_id=sku,
            product_id=draw(st.integers(1, 4)),
            unit_price=draw(money),
            quantity=draw(st.integers(1, 5)),
            category_path=draw(st.sampled_from(PATHS)),
            brand_id=draw(st.sampled_from([None, 1, 2])),
        )
        for sku in skus
    ]


@st.composite
def offer_sets(draw, max_size=5):
    kinds = draw(st.lists(st.sampled_from(sorted(engine.STAGES)), min_size=0, max_size=max_size))
    offers = []
    for pk, kind in enumerate(kinds, start=1):
        scope = draw(st.sampled_from([engine.ALL, PRODUCTS, CATEGORIES, BRANDS]))
        fields = {
            "scope": scope,
            "scope_ids": frozenset(draw(st.lists(st.integers(1, 4), max_size=2))),
            "category_paths": tuple(draw(st.lists(st.sampled_from(PATHS[:2]), max_size=1))),
            "priority": draw(st.integers(0, 2)),
            "group": draw(st.sampled_from(["", "", "a", "b"])),
            "stackable": draw(st.booleans()) or draw(st.booleans()),
        }
        if kind == PERCENT_OFF:
            fields["percent"] = draw(st.decimals(min_value="0.01", max_value="100", places=2))
        elif kind == AMOUNT_OFF:
            fields["amount"] = draw(money)
        elif kind == SPEND_SAVE:
            thresholds = sorted(draw(st.lists(money, min_size=1, max_size=3, unique=True)))
            fields["tiers"] = tuple(Tier(t, min(t, draw(money))) for t in thresholds)
        elif kind == NTH_ITEM:
            fields["nth"] = draw(st.integers(2, 4))
            fields["percent"] = draw(st.decimals(min_value="1", max_value="100", places=0))
        elif kind == BUY_X_GET_Y:
            fields["buy_quantity"] = draw(st.integers(1, 3))
            fields["get_quantity"] = draw(st.integers(1, 2))
            fields["get_sku_id"] = draw(st.sampled_from([None, 1, 2, 3]))
        else:
            fields["min_amount"] = draw(st.none() | money)
            fields["provinces"] = draw(st.sampled_from([frozenset(), frozenset({"浙江省"})]))
        offers.append(Offer(pk, f"p{pk}", kind, **fields))
    return offers


shipping_fees = st.decimals(min_value="0", max_value="30", places=2)
shoppers = st.sampled_from([Shopper(), Shopper(province="浙江省")])


@settings(max_examples=300, deadline=None)
@given(lines=carts(), offers=offer_sets(), fee=shipping_fees, shopper=shoppers)
def test_totals_stay_between_zero_and_the_undiscounted_total_and_add_up(
    lines, offers, fee, shopper
):
    result = price(lines=lines, offers=offers, shipping_fee=fee, shopper=shopper)
    undiscounted = result.goods_total + fee
    assert 0 <= result.total <= undiscounted
    assert 0 <= result.shipping_fee <= fee
    assert sum(result.line_discounts) == result.discount_total
    assert sum(a.discount for a in result.applied) == result.discount_total
    for total, off in zip(result.line_totals, result.line_discounts, strict=True):
        assert 0 <= off <= total and off == off.quantize(D("0.01"))
    for applied in result.applied:
        assert sum(applied.line_discounts) == applied.discount
    assert result.total == sum(result.line_totals) - sum(result.line_discounts) + (
        result.shipping_fee
    )


@settings(max_examples=300, deadline=None)
@given(lines=carts(), offers=offer_sets(), fee=shipping_fees, shopper=shoppers)
def test_the_chosen_combination_is_the_best_allowed_one(lines, offers, fee, shopper):
    """Brute force: every subset of the offers that may combine, applied as the engine
    applies them; none saves more than the engine's choice, which is itself allowed."""
    result = price(lines=lines, offers=offers, shipping_fee=fee, shopper=shopper)
    best = max(
        combination_saving(lines=lines, offers=subset, province=shopper.province, shipping_fee=fee)
        for n in range(len(offers) + 1)
        for subset in itertools.combinations(offers, n)
        if may_combine(subset)
    )
    assert result.saving == best
    chosen = [o for o in offers if o.id in {a.id for a in result.applied}]
    assert may_combine(chosen)
    assert (
        combination_saving(lines=lines, offers=chosen, province=shopper.province, shipping_fee=fee)
        == result.saving
    )


@settings(max_examples=200, deadline=None)
@given(lines=carts(), offers=offer_sets(), fee=shipping_fees, seed=st.integers(0, 2**16))
def test_the_result_does_not_depend_on_the_order_of_the_lines(lines, offers, fee, seed):
    shuffled = list(lines)
    random.Random(seed).shuffle(shuffled)
    first = price(lines=lines, offers=offers, shipping_fee=fee)
    again = price(lines=shuffled, offers=list(reversed(offers)), shipping_fee=fee)
    assert by_sku(lines, first) == by_sku(shuffled, again)
    assert [a.id for a in first.applied] == [a.id for a in again.applied]
    assert (first.total, first.shipping_fee) == (again.total, again.shipping_fee)


def test_twenty_promotions_on_ten_lines_stay_exact_and_bounded():
    """A busy campaign day: 20 site-wide promotions in four groups plus stackable ones."""
    lines = [line(n, f"{30 + 7 * n}.90", 1 + n % 3, brand=n % 2) for n in range(1, 11)]
    offers = [
        Offer(n, f"p{n}", PERCENT_OFF, percent=D(n % 9 + 1), group=f"g{n % 4}")
        for n in range(1, 17)
    ] + [
        Offer(17, "满减", SPEND_SAVE, tiers=MANJIAN),
        Offer(18, "包邮", FREE_SHIPPING, min_amount=D(99)),
        Offer(19, "直降", AMOUNT_OFF, amount=D(1), scope=BRANDS, scope_ids=frozenset({1})),
        Offer(20, "第二件半价", NTH_ITEM, nth=2, percent=D(50), group="g0"),
    ]
    result = price(lines=lines, offers=offers, shipping_fee=D(10))
    assert sum(result.line_discounts) == result.discount_total > 0
    assert result.shipping_fee == 0
    assert may_combine([o for o in offers if o.id in {a.id for a in result.applied}])

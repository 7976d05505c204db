"""Coupon pricing (pure): hand figures per kind, and Hypothesis for the fen."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from mercato.promotions import engine
from mercato.promotions.coupon_pricing import (
    BELOW_THRESHOLD,
    NO_SAVING,
    OUT_OF_SCOPE,
    CouponApplied,
    CouponRefused,
    CouponTerms,
    apply_coupon,
)

D = Decimal


def lines(*prices, product_ids=None):
    return [
        engine.Line(
            sku_id=i + 1, product_id=(product_ids or {}).get(i, i + 1), unit_price=D(p), quantity=1
        )
        for i, p in enumerate(prices)
    ]


def terms(**kw):
    return CouponTerms(coupon_id=1, code="C", name="券", **({"kind": "amount_off"} | kw))


def test_a_percentage_coupon_is_capped():
    result = apply_coupon(
        terms=terms(kind="percent_off", percent=D(10), cap=D(50)),
        lines=lines("400.00", "200.00"),
        payable=[D("400.00"), D("200.00")],
        shipping_fee=D(0),
    )
    assert result.discount == D("50.00")
    assert result.line_discounts == (D("33.33"), D("16.67"))


def test_the_threshold_counts_only_the_lines_in_scope_after_promotions():
    """满200减30 on product 1 only: ¥250 of it less ¥60 of promotions is ¥190 — ¥10 short."""
    result = apply_coupon(
        terms=terms(amount=D(30), threshold=D(200), scope="products", scope_ids=frozenset({1})),
        lines=lines("250.00", "500.00"),
        payable=[D("190.00"), D("500.00")],
        shipping_fee=D(0),
    )
    assert result == CouponRefused(BELOW_THRESHOLD, missing=D("10.00"), threshold=D(200))


def test_a_coupon_for_other_products_is_out_of_scope():
    result = apply_coupon(
        terms=terms(amount=D(5), scope="products", scope_ids=frozenset({99})),
        lines=lines("10.00"),
        payable=[D("10.00")],
        shipping_fee=D(0),
    )
    assert result == CouponRefused(OUT_OF_SCOPE)


cents = st.decimals(min_value="0.01", max_value="9999.99", places=2)


@given(
    payable=st.lists(cents, min_size=1, max_size=20),
    amount=cents,
    percent=st.decimals(min_value="0.01", max_value="100", places=2),
    kind=st.sampled_from(["amount_off", "percent_off"]),
)
def test_a_coupon_adds_up_to_the_fen_and_never_takes_a_line_below_zero(
    payable, amount, percent, kind
):
    result = apply_coupon(
        terms=terms(kind=kind, amount=amount, percent=percent),
        lines=lines(*payable),
        payable=payable,
        shipping_fee=D(0),
    )
    if not isinstance(result, CouponApplied):  # a percentage of a few fen that rounds to none
        assert result.reason == NO_SAVING and kind == "percent_off"
        assert sum(payable) * percent / 100 < D("0.005")
        return
    assert sum(result.line_discounts) == result.discount <= sum(payable)
    assert all(0 <= off <= paid for off, paid in zip(result.line_discounts, payable, strict=True))
    if kind == "amount_off":
        assert result.discount == min(amount, sum(payable))

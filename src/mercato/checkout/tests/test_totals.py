from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mercato.checkout.totals import compute_totals
from mercato.core.errors import DomainError
from mercato.core.money import spread_discount

D = Decimal
cents = st.decimals(min_value="0.01", max_value="9999.99", places=2)
prices = st.decimals(min_value="0", max_value="99999.999", places=3)  # sub-fen unit prices
line = st.tuples(prices, st.integers(min_value=0, max_value=999))


@given(lines=st.lists(cents, min_size=1, max_size=30), off=cents)
def test_spread_discount_adds_up_to_the_fen(lines, off):
    """Shares add up exactly to the discount and no share exceeds its line."""
    off = min(off, sum(lines))
    shares = spread_discount(line_totals=lines, discount=off)
    assert sum(shares) == off
    assert all(
        0 <= s <= t and s == s.quantize(D("0.01")) for s, t in zip(shares, lines, strict=True)
    )


@given(
    lines=st.lists(line, min_size=1, max_size=20),
    ship=st.decimals(min_value="0", max_value="500", places=2),
    discounts=st.lists(st.decimals(min_value="0", max_value="50000", places=2), max_size=3),
)
def test_totals_always_add_up(lines, ship, discounts):
    """Lines + shipping − discounts = total, every amount to the fen, total never negative."""
    totals = compute_totals(
        lines=lines, shipping_fee=ship, discounts=[(f"d{i}", d) for i, d in enumerate(discounts)]
    )
    assert totals.lines_total == sum(t.line_total for t in totals.lines)
    assert totals.discount_total == sum(t.discount_share for t in totals.lines)
    assert totals.discount_total == min(sum(discounts, D(0)), totals.lines_total)
    assert totals.total == totals.lines_total + totals.shipping_fee - totals.discount_total
    assert totals.total == sum(t.payable for t in totals.lines) + totals.shipping_fee
    assert totals.total >= 0
    for t in totals.lines:
        assert 0 <= t.discount_share <= t.line_total
        assert t.payable == t.line_total - t.discount_share
        for amount in (t.line_total, t.discount_share, t.payable):
            assert amount == amount.quantize(D("0.01"))


def test_hand_computed_three_way_split():
    """¥10 off three ¥10 lines: 3.34 + 3.33 + 3.33, the leftover fen to the first line."""
    totals = compute_totals(
        lines=[(D("10.00"), 1)] * 3, shipping_fee=D("8.00"), discounts=[("满减", D("10.00"))]
    )
    assert [t.discount_share for t in totals.lines] == [D("3.34"), D("3.33"), D("3.33")]
    assert [t.payable for t in totals.lines] == [D("6.66"), D("6.67"), D("6.67")]
    assert (totals.lines_total, totals.discount_total, totals.total) == (
        D("30.00"),
        D("10.00"),
        D("28.00"),
    )


def test_line_rounded_half_up_once():
    """3 × ¥3.335 = ¥10.005 → ¥10.01 (rounded once per line, not per unit: 3 × 3.34 = 10.02)."""
    totals = compute_totals(lines=[(D("3.335"), 3)], shipping_fee=D("0"))
    assert totals.lines[0].line_total == D("10.01")


def test_largest_remainder_goes_to_largest_fraction():
    """¥1 off lines of ¥1 and ¥2: exact shares 0.333… and 0.666…, so the 2nd line gets 0.67."""
    totals = compute_totals(
        lines=[(D("1.00"), 1), (D("2.00"), 1)], shipping_fee=D("0"), discounts=[("券", D("1"))]
    )
    assert [t.discount_share for t in totals.lines] == [D("0.33"), D("0.67")]


def test_discounts_summed_and_capped_at_goods_total():
    """Several discount steps are summed; beyond the goods total only shipping is left to pay."""
    totals = compute_totals(
        lines=[(D("20.00"), 2)],
        shipping_fee=D("12.00"),
        discounts=[("满减", D("30.00")), ("优惠券", D("25.00"))],
    )
    assert totals.discount_total == D("40.00")
    assert totals.lines[0].payable == D("0.00")
    assert totals.total == D("12.00")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"lines": [(D("-1"), 1)], "shipping_fee": D("0")}, "unit_price"),
        ({"lines": [(D("1"), -1)], "shipping_fee": D("0")}, "quantity"),
        ({"lines": [(D("1"), 1)], "shipping_fee": D("-1")}, "shipping_fee"),
        (
            {"lines": [(D("1"), 1)], "shipping_fee": D("0"), "discounts": [("x", D("-1"))]},
            "discounts",
        ),
    ],
)
def test_negative_amounts_refused_naming_the_field(kwargs, field):
    """A negative price, quantity, fee or discount is refused with an error naming it."""
    with pytest.raises(DomainError) as exc:
        compute_totals(**kwargs)
    assert exc.value.field == field

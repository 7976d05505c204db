"""The cart page's re-check: current prices, stock notices, totals, and its query budget."""

from decimal import Decimal

import pytest

from mercato.cart.selectors import cart_summary
from mercato.cart.services import acknowledge_prices, add_to_cart, get_or_create_cart, select_lines
from mercato.catalog.models import ProductStatus
from mercato.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture
def cart(db):
    return get_or_create_cart(session_key="guest")


def test_price_change_is_noticed_until_acknowledged(cart, sku, stock_up):
    """A list price changed since adding shows the old and new price until acknowledged."""
    stock_up(sku, 10)
    add_to_cart(cart=cart, sku_id=sku.pk, quantity=2)
    sku.list_price = Decimal("89.50")
    sku.save()

    (line,) = cart_summary(cart=cart).lines
    assert line.price_changed
    assert line.old_price == Decimal("99.00")
    assert line.unit_price == Decimal("89.50")
    assert cart_summary(cart=cart).total == Decimal("179.00")

    acknowledge_prices(cart=cart)
    (line,) = cart_summary(cart=cart).lines
    assert not line.price_changed
    assert line.old_price is None


def test_stock_shortage_is_noticed_with_the_available_figure(cart, make_sku, stock_up):
    """A line asking for more than all warehouses hold is flagged with what is available."""
    short, plenty, none = make_sku(), make_sku(), make_sku()
    stock_up(short, 3)
    stock_up(plenty, 50)
    add_to_cart(cart=cart, sku_id=short.pk, quantity=5)
    add_to_cart(cart=cart, sku_id=plenty.pk, quantity=5)
    add_to_cart(cart=cart, sku_id=none.pk, quantity=1)

    by_sku = {v.line.sku_id: v for v in cart_summary(cart=cart, province="四川省").lines}
    assert by_sku[short.pk].insufficient and by_sku[short.pk].available == 3
    assert not by_sku[plenty.pk].insufficient and by_sku[plenty.pk].available == 50
    assert by_sku[none.pk].insufficient and by_sku[none.pk].available == 0


def test_totals_count_selected_lines_on_sale(cart, make_sku):
    """The total is of the selected lines still on sale, at the current prices, in Decimal."""
    a, b, c = make_sku("10.10"), make_sku("0.20"), make_sku("5.00")
    add_to_cart(cart=cart, sku_id=a.pk, quantity=3)
    line_b = add_to_cart(cart=cart, sku_id=b.pk, quantity=1)
    add_to_cart(cart=cart, sku_id=c.pk, quantity=1)
    select_lines(cart=cart, line_ids=[line_b.pk], selected=False)
    c.product.status = ProductStatus.OFF_SHELF
    c.product.save()

    summary = cart_summary(cart=cart)
    assert summary.total == Decimal("30.30")
    assert isinstance(summary.total, Decimal)
    assert summary.selected_count == 3
    assert not {v.line.sku_id: v for v in summary.lines}[c.pk].on_sale
    assert summary.has_notices


def test_unknown_province_is_refused(cart):
    """The province is checked, and the error names it."""
    with pytest.raises(ValidationFailed) as exc:
        cart_summary(cart=cart, province="Sichuan")
    assert "province" in exc.value.field_errors


@pytest.mark.parametrize("count", [2, 20])
def test_query_budget_does_not_grow_with_lines(
    cart, make_sku, stock_up, count, django_assert_max_num_queries
):
    """The summary costs the same two queries for 2 lines as for 20."""
    for _ in range(count):
        sku = make_sku()
        stock_up(sku, 5)
        add_to_cart(cart=cart, sku_id=sku.pk, quantity=1)
    with django_assert_max_num_queries(2):
        summary = cart_summary(cart=cart, province="四川省")
        assert len(summary.lines) == count

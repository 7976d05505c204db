from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mercato.orders.models import Order
from mercato.orders.services import PricedLine
from mercato.testing.factories import SkuFactory, make_order

cents = st.decimals(min_value="0.00", max_value="99999.99", places=2)
line = st.tuples(cents, st.integers(min_value=1, max_value=9999), st.floats(0, 1))


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(lines=st.lists(line, min_size=1, max_size=6), shipping=cents)
def test_any_amounts_that_add_up_are_stored_to_the_fen(lines, shipping):
    """Any prices, quantities, shipping fees and discount shares that add up pass the
    service and the database constraints (also SQLite, which adds floats) and read back
    exactly."""
    sku = SkuFactory()
    priced = [
        PricedLine(
            sku_id=sku.pk,
            product_id=sku.product_id,
            product_name="商品",
            sku_code=sku.code,
            unit_price=price,
            quantity=qty,
            discount_share=(price * qty * Decimal(str(off))).quantize(
                Decimal("0.01"), "ROUND_DOWN"
            ),
        )
        for price, qty, off in lines
    ]
    order = make_order(lines=priced, shipping=str(shipping))
    saved = Order.objects.get(pk=order.pk)
    assert saved.total == saved.lines_total + saved.shipping_fee - saved.discount_total
    assert saved.total == order.total
    assert [ln.line_total for ln in saved.lines.all()] == [
        p.unit_price * p.quantity for p in priced
    ]

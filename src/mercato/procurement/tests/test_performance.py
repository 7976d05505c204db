import datetime
from decimal import Decimal

import pytest
import time_machine

from mercato.procurement import orders, receiving, selectors, suppliers
from mercato.testing.factories import SkuFactory
from mercato.testing.procurement import USCC


@pytest.mark.django_db
def test_performance_is_computed_from_receipts(supplier, buyer, warehouse, make_po):
    """Hand-computed: two receipts, one on time and one late; 100 received, 8 rejected;
    paid 10.00 × 60 + 20.00 × 40 = 1400 against the other supplier's lowest valid prices
    9.50 × 60 + 20.00 × 40 = 1370 → +2.19%."""
    tea, cup = SkuFactory(), SkuFactory()
    other = suppliers.create_supplier(actor=None, code="other", name="别家", uscc=USCC[1])
    day = datetime.date(2026, 1, 1)
    for sku, price in ((tea, "9.50"), (tea, "9.80"), (cup, "20.00")):
        suppliers.set_price(actor=None, supplier_id=other.pk, sku_id=sku.pk, price=price,
                            valid_from=day if price != "9.80" else day.replace(day=2))  # fmt: skip
    # An expired, cheaper price does not count.
    suppliers.set_price(actor=None, supplier_id=other.pk, sku_id=tea.pk, price="1.00",
                        valid_from=datetime.date(2025, 1, 1),
                        valid_to=datetime.date(2025, 12, 31))  # fmt: skip
    with time_machine.travel("2026-03-01 10:00 +0800", tick=False):
        first = make_po([{"sku_id": tea.pk, "quantity": 60, "unit_price": "10.00"}],
                        promised=datetime.date(2026, 3, 5))  # fmt: skip
        second = make_po([{"sku_id": cup.pk, "quantity": 40, "unit_price": "20.00"}],
                         promised=datetime.date(2026, 3, 5))  # fmt: skip
        for order in (first, second):
            orders.submit_purchase_order(actor=buyer, order_id=order.pk)
            orders.send_purchase_order(actor=buyer, order_id=order.pk)
    with time_machine.travel("2026-03-05 23:00 +0800", tick=False):  # on the promised day
        receiving.receive_goods(actor=buyer, order_id=first.pk, lines=[
            {"line_id": first.lines.get().pk, "received": 60, "rejected": 6, "reason": "霉变"}
        ])  # fmt: skip
    with time_machine.travel("2026-03-06 09:00 +0800", tick=False):  # a day late
        receiving.receive_goods(actor=buyer, order_id=second.pk, lines=[
            {"line_id": second.lines.get().pk, "received": 40, "rejected": 2, "reason": "破损"}
        ])  # fmt: skip
    result = selectors.supplier_performance(supplier_id=supplier.pk)
    assert (result.receipts, result.on_time, result.on_time_rate) == (2, 1, Decimal("0.5000"))
    assert (result.received, result.rejected, result.reject_rate) == (100, 8, Decimal("0.0800"))
    assert result.price_vs_market == Decimal("0.0219")
    # Read for several suppliers at once, each supplier's figures are the same.
    both = selectors.supplier_performances(supplier_ids=[supplier.pk, other.pk])
    assert both[supplier.pk] == result
    assert both[other.pk].receipts == 0 and both[other.pk].price_vs_market is None

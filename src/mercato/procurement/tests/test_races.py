"""Two clerks receiving the same delivery at the same moment (PostgreSQL, real threads):
the order's row lock lets one receipt in; the other is refused (the order is received), and the
stock, ledger and moving-average cost count the goods once."""

from decimal import Decimal

import pytest

from mercato.catalog.models import Sku
from mercato.core.errors import Conflict
from mercato.inventory.models import Stock, StockMovement
from mercato.procurement import receiving
from mercato.procurement.models import Receipt
from mercato.testing.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_delivery_received_twice_at_once_is_counted_once(
    sent_po, buyer, sku, warehouse, settings
):
    settings.MERCATO_PO_OVER_RECEIPT = Decimal("0")
    line = sent_po.lines.get()
    outcomes = run_concurrently(
        [
            lambda: receiving.receive_goods(
                actor=buyer, order_id=sent_po.pk, lines=[{"line_id": line.pk, "received": 100}]
            )
        ]
        * 2
    )
    # The second, once the first has committed, finds the order fully received.
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "Receipt"], outcomes
    assert any(isinstance(o, Conflict) and o.code == "not_receivable" for o in outcomes)
    assert Receipt.objects.count() == 1
    stock = Stock.objects.get(sku=sku, warehouse=warehouse)
    assert stock.on_hand == 100
    assert StockMovement.objects.filter(stock=stock).count() == 1
    assert Sku.objects.get(pk=sku.pk).cost_price == Decimal("10.00")


def test_two_part_deliveries_at_once_cannot_exceed_the_order(
    sent_po, buyer, sku, warehouse, settings
):
    """60 + 60 of an order of 100 (no tolerance): the second sees the first's 60 and is
    refused with the most that may still come."""
    settings.MERCATO_PO_OVER_RECEIPT = Decimal("0")
    line = sent_po.lines.get()
    outcomes = run_concurrently(
        [
            lambda: receiving.receive_goods(
                actor=buyer, order_id=sent_po.pk, lines=[{"line_id": line.pk, "received": 60}]
            )
        ]
        * 2
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["Receipt", "ValidationFailed"]
    assert Stock.objects.get(sku=sku, warehouse=warehouse).on_hand == 60
    line.refresh_from_db()
    assert line.received == 60

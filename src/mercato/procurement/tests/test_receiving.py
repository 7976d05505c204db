from decimal import Decimal

import pytest

from mercato.catalog.models import Sku
from mercato.core.errors import Conflict, DomainError, ValidationFailed
from mercato.inventory.locations import define_bins
from mercato.inventory.models import Stock, StockMovement
from mercato.inventory.services import receive_stock
from mercato.procurement import orders, receiving
from mercato.procurement.models import POStatus, Receipt

S = POStatus


@pytest.fixture(autouse=True)
def tolerance(settings):
    settings.MERCATO_PO_OVER_RECEIPT = Decimal("0.05")


@pytest.mark.django_db
def test_a_receipt_moves_stock_ledger_bin_and_moving_average_cost(sent_po, buyer, sku, warehouse):
    # given 50 units on hand at a cost of ¥8.00
    Sku.objects.filter(pk=sku.pk).update(cost_price=Decimal("8.00"))
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=50)
    define_bins(actor=None, warehouse_id=warehouse.pk, bins=[("A", "A-01-01")])
    line = sent_po.lines.get()
    # when 70 arrive at ¥10.00 and the quality check rejects 3
    receipt = receiving.receive_goods(
        actor=buyer, order_id=sent_po.pk,
        lines=[{"line_id": line.pk, "received": 70, "rejected": 3, "reason": "外箱破损",
                "bin": "a-01-01"}],
    )  # fmt: skip
    # then 67 enter stock, in bin A-01-01, with a RECEIPT ledger row naming the receipt
    stock = Stock.objects.get(sku=sku, warehouse=warehouse)
    assert stock.on_hand == 117 and stock.bin.code == "A-01-01"
    movement = StockMovement.objects.filter(stock=stock).first()
    assert (movement.reason, movement.on_hand_delta, movement.reference) == (
        "receipt",
        67,
        receipt.number,
    )
    # (50 × 8.00 + 67 × 10.00) / 117 = 1070 / 117 = 9.1453 → 9.15
    sku.refresh_from_db()
    assert sku.cost_price == Decimal("9.15")
    line.refresh_from_db()
    assert (line.received, line.accepted, line.rejected) == (70, 67, 3)
    sent_po.refresh_from_db()
    assert sent_po.status == S.PARTIALLY_RECEIVED


@pytest.mark.django_db
def test_the_first_receipt_sets_the_cost_to_the_price_paid(sent_po, buyer, sku):
    line = sent_po.lines.get()
    receiving.receive_goods(
        actor=buyer, order_id=sent_po.pk, lines=[{"line_id": line.pk, "received": 100}]
    )
    sku.refresh_from_db()
    assert sku.cost_price == Decimal("10.00")
    sent_po.refresh_from_db()
    assert sent_po.status == S.RECEIVED


@pytest.mark.django_db
def test_over_receipt_beyond_the_tolerance_is_refused_and_nothing_changes(
    sent_po, buyer, sku, warehouse
):
    line = sent_po.lines.get()
    with pytest.raises(ValidationFailed) as caught:  # 100 ordered, 5% tolerance: 105 at most
        receiving.receive_goods(
            actor=buyer, order_id=sent_po.pk, lines=[{"line_id": line.pk, "received": 106}]
        )
    assert "105" in caught.value.field_errors["lines.0"][0]  # the most that may come
    assert not Stock.objects.filter(sku=sku, on_hand__gt=0).exists()
    assert not Receipt.objects.exists()
    receiving.receive_goods(
        actor=buyer, order_id=sent_po.pk, lines=[{"line_id": line.pk, "received": 105}]
    )
    assert Stock.objects.get(sku=sku, warehouse=warehouse).on_hand == 105


@pytest.mark.django_db
def test_scanning_past_the_tolerance_is_refused(sent_po, buyer, sku):
    line = sent_po.lines.get()
    assert (
        receiving.check_scan(
            actor=buyer, order_id=sent_po.pk, code="6901234567892", counted={line.pk: 104}
        )
        == line
    )
    with pytest.raises(Conflict) as caught:
        receiving.check_scan(
            actor=buyer, order_id=sent_po.pk, code=sku.code, counted={line.pk: 105}
        )
    assert caught.value.code == "over_receipt"
    with pytest.raises(ValidationFailed):
        receiving.check_scan(actor=buyer, order_id=sent_po.pk, code="0000", counted={})


@pytest.mark.django_db
@pytest.mark.parametrize(
    "item",
    [
        {"received": 0},
        {"received": -5},
        {"received": 5, "rejected": 6, "reason": "x"},
        {"received": 5, "rejected": 1},  # no reason
        {"received": 5, "bin": "NO-SUCH-BIN"},
    ],
)
def test_bad_counts_are_refused_and_nothing_changes(sent_po, buyer, sku, item):
    line = sent_po.lines.get()
    with pytest.raises(DomainError):
        receiving.receive_goods(
            actor=buyer, order_id=sent_po.pk, lines=[{"line_id": line.pk, **item}]
        )
    assert not Stock.objects.filter(sku=sku, on_hand__gt=0).exists()
    assert not Receipt.objects.exists()
    line.refresh_from_db()
    assert line.received == 0


@pytest.mark.django_db
def test_receiving_against_a_closed_order_is_refused(sent_po, buyer, sku):
    line = sent_po.lines.get()
    receiving.receive_goods(
        actor=buyer, order_id=sent_po.pk, lines=[{"line_id": line.pk, "received": 10}]
    )
    orders.close_purchase_order(actor=buyer, order_id=sent_po.pk, note="余货不到")
    with pytest.raises(Conflict) as caught:
        receiving.receive_goods(
            actor=buyer, order_id=sent_po.pk, lines=[{"line_id": line.pk, "received": 1}]
        )
    assert caught.value.code == "not_receivable"
    assert Receipt.objects.count() == 1


@pytest.mark.django_db
def test_on_order_counts_units_sent_and_not_yet_received(sent_po, buyer, sku, warehouse):
    from mercato.procurement.selectors import on_order

    line = sent_po.lines.get()
    receiving.receive_goods(
        actor=buyer, order_id=sent_po.pk, lines=[{"line_id": line.pk, "received": 30}]
    )
    assert on_order(sku_ids=[sku.pk]) == {(sku.pk, warehouse.pk): 70}
    orders.close_purchase_order(actor=buyer, order_id=sent_po.pk)
    assert on_order(sku_ids=[sku.pk]) == {}

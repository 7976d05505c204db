"""Transfer orders: stock leaves the source on shipping, is in transit, and enters the
destination on receiving (perhaps short, with a reason); bad input changes nothing."""

import pytest

from mercato.core.errors import Conflict, ValidationFailed
from mercato.inventory.models import Stock, StockMovement
from mercato.inventory.services import receive_stock
from mercato.procurement import transfers
from mercato.procurement.models import TransferOrder, TransferStatus
from mercato.procurement.selectors import in_transit
from mercato.testing.factories import SkuFactory
from mercato.testing.procurement import make_shanghai_warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(make_staff):
    return make_staff("procurement")


@pytest.fixture
def two_warehouses(db):
    return make_shanghai_warehouse("sh"), make_shanghai_warehouse("sh2")


def on_hand(sku, warehouse) -> int:
    row = Stock.objects.filter(sku=sku, warehouse=warehouse).first()
    return row.on_hand if row else 0


def test_shipping_moves_stock_into_transit_and_receiving_into_the_destination(
    clerk, two_warehouses
):
    src, dst = two_warehouses
    sku = SkuFactory()
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=src.pk, quantity=50)
    order = transfers.create_transfer(
        actor=clerk, from_warehouse_id=src.pk, to_warehouse_id=dst.pk,
        lines=[{"sku_id": sku.pk, "quantity": 30}],
    )  # fmt: skip
    assert order.number.startswith("TO") and order.status == TransferStatus.DRAFT
    assert in_transit() == {}  # a draft moves nothing

    transfers.ship_transfer(actor=clerk, order_id=order.pk)
    assert (on_hand(sku, src), on_hand(sku, dst)) == (20, 0)
    assert in_transit() == {(sku.pk, dst.pk): 30}
    out = StockMovement.objects.get(reason=StockMovement.Reason.TRANSFER_OUT)
    assert (out.reference, out.on_hand_delta) == (order.number, -30)

    transfers.receive_transfer(actor=clerk, order_id=order.pk)
    assert (on_hand(sku, src), on_hand(sku, dst)) == (20, 30)
    assert in_transit() == {}
    order.refresh_from_db()
    assert order.status == TransferStatus.RECEIVED
    assert [e.to_status for e in order.events.all()] == ["draft", "shipped", "received"]


def test_a_short_arrival_needs_a_reason_and_records_the_shortfall(clerk, two_warehouses):
    src, dst = two_warehouses
    sku = SkuFactory()
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=src.pk, quantity=10)
    order = transfers.create_transfer(
        actor=clerk, from_warehouse_id=src.pk, to_warehouse_id=dst.pk,
        lines=[{"sku_id": sku.pk, "quantity": 10}],
    )  # fmt: skip
    transfers.ship_transfer(actor=clerk, order_id=order.pk)
    line = order.lines.get()
    with pytest.raises(ValidationFailed) as exc:
        transfers.receive_transfer(actor=clerk, order_id=order.pk, received={line.pk: 8})
    assert "reason" in exc.value.field_errors
    with pytest.raises(ValidationFailed):
        transfers.receive_transfer(actor=clerk, order_id=order.pk, received={line.pk: 11})
    assert on_hand(sku, dst) == 0 and in_transit() == {(sku.pk, dst.pk): 10}

    transfers.receive_transfer(
        actor=clerk, order_id=order.pk, received={line.pk: 8}, reason="2件破损"
    )
    line.refresh_from_db()
    assert (line.received, line.shortfall, line.shortfall_reason) == (8, 2, "2件破损")
    assert (on_hand(sku, src), on_hand(sku, dst)) == (0, 8)
    assert in_transit() == {}


def test_shipping_more_than_available_is_refused_with_nothing_changed(clerk, two_warehouses):
    src, dst = two_warehouses
    enough, short = SkuFactory(), SkuFactory()
    receive_stock(actor=None, sku_id=enough.pk, warehouse_id=src.pk, quantity=10)
    receive_stock(actor=None, sku_id=short.pk, warehouse_id=src.pk, quantity=3)
    order = transfers.create_transfer(
        actor=clerk, from_warehouse_id=src.pk, to_warehouse_id=dst.pk,
        lines=[{"sku_id": enough.pk, "quantity": 5}, {"sku_id": short.pk, "quantity": 4}],
    )  # fmt: skip
    movements = StockMovement.objects.count()
    with pytest.raises(Conflict) as exc:
        transfers.ship_transfer(actor=clerk, order_id=order.pk)
    assert exc.value.code == "insufficient_stock"
    assert short.code in str(exc.value)
    order.refresh_from_db()
    assert order.status == TransferStatus.DRAFT and order.events.count() == 1
    assert (on_hand(enough, src), on_hand(short, src)) == (10, 3)
    assert StockMovement.objects.count() == movements and in_transit() == {}


def test_bad_transfers_are_refused(clerk, two_warehouses):
    src, dst = two_warehouses
    sku = SkuFactory()
    cases = [
        ({"to_warehouse_id": src.pk, "lines": [{"sku_id": sku.pk, "quantity": 1}]}, "to_warehouse"),
        ({"lines": []}, "lines"),
        ({"lines": [{"sku_id": sku.pk, "quantity": 0}]}, "quantity"),
        ({"lines": [{"sku_id": sku.pk, "quantity": "1.5"}]}, "quantity"),
        ({"lines": [{"sku_id": 999999, "quantity": 1}]}, "lines"),
    ]
    for overrides, field in cases:
        kwargs = {"from_warehouse_id": src.pk, "to_warehouse_id": dst.pk, **overrides}
        with pytest.raises(ValidationFailed) as exc:
            transfers.create_transfer(actor=clerk, **kwargs)
        assert field in exc.value.field_errors, (overrides, exc.value.field_errors)
    assert not TransferOrder.objects.exists()


def test_only_a_draft_may_be_cancelled_and_a_received_transfer_is_final(clerk, two_warehouses):
    src, dst = two_warehouses
    sku = SkuFactory()
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=src.pk, quantity=5)
    make = lambda: transfers.create_transfer(  # noqa: E731
        actor=clerk, from_warehouse_id=src.pk, to_warehouse_id=dst.pk,
        lines=[{"sku_id": sku.pk, "quantity": 5}],
    )  # fmt: skip
    draft = make()
    transfers.cancel_transfer(actor=clerk, order_id=draft.pk)
    with pytest.raises(Conflict):
        transfers.ship_transfer(actor=clerk, order_id=draft.pk)
    shipped = make()
    transfers.ship_transfer(actor=clerk, order_id=shipped.pk)
    with pytest.raises(Conflict):
        transfers.cancel_transfer(actor=clerk, order_id=shipped.pk)
    transfers.receive_transfer(actor=clerk, order_id=shipped.pk)
    with pytest.raises(Conflict):
        transfers.receive_transfer(actor=clerk, order_id=shipped.pk)
    assert (on_hand(sku, src), on_hand(sku, dst)) == (0, 5)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_transfers_taking_the_last_units_at_once_one_is_refused(clerk, two_warehouses):
    from mercato.testing.concurrency import run_concurrently

    src, dst = two_warehouses
    sku = SkuFactory()
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=src.pk, quantity=6)
    orders = [
        transfers.create_transfer(
            actor=clerk,
            from_warehouse_id=src.pk,
            to_warehouse_id=dst.pk,
            lines=[{"sku_id": sku.pk, "quantity": 5}],
        )  # fmt: skip
        for _ in range(2)
    ]
    outcomes = run_concurrently(
        [lambda o=o: transfers.ship_transfer(actor=clerk, order_id=o.pk) for o in orders]
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "TransferOrder"], outcomes
    assert on_hand(sku, src) == 1
    assert sum(in_transit().values()) == 5
    assert StockMovement.objects.filter(reason=StockMovement.Reason.TRANSFER_OUT).count() == 1

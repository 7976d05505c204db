"""Stock changes through inventory.services: the ledger, the refusals, and concurrency."""

import threading

import pytest
from django.db import connection, transaction
from django.utils import translation

from mercato.core.errors import Conflict, NotFound, PermissionDeniedError, ValidationFailed
from mercato.inventory.models import Stock, StockMovement
from mercato.inventory.services import (
    adjust_stock,
    apply_movement,
    create_warehouse,
    lock_stock,
    receive_stock,
)
from mercato.testing.factories import SkuFactory

ADDRESS = {"province": "四川省", "city": "成都市", "district": "双流区", "address": "物联大道200号"}
Reason = StockMovement.Reason


def make_warehouse(code: str = "CD01"):
    return create_warehouse(
        actor=None, code=code, name=f"仓库{code}", provinces=["四川省"], **ADDRESS
    )


@pytest.fixture
def sku(db):
    return SkuFactory()


@pytest.fixture
def warehouse(db):
    return make_warehouse()


def ledger(stock: Stock) -> list[tuple]:
    return list(
        StockMovement.objects.filter(stock=stock)
        .order_by("pk")
        .values_list(
            "reason",
            "on_hand_delta",
            "reserved_delta",
            "on_hand_before",
            "on_hand_after",
            "reserved_before",
            "reserved_after",
        )
    )


def reserve(stock_pk: int, units: int) -> None:
    """Hold units for an order, as the reservation service of issue 5 will."""
    with transaction.atomic():
        stock = Stock.objects.select_for_update().get(pk=stock_pk)
        apply_movement(stock=stock, reason=Reason.RESERVATION, reserved_delta=units)


@pytest.mark.django_db
def test_receiving_creates_the_stock_row_and_writes_a_receipt_with_before_and_after(sku, warehouse):
    """Goods received into an empty warehouse create its stock row; each receipt is one
    ledger row with the figures before and after."""
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=10)
    stock = receive_stock(
        actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity="5", reference="PO-1"
    )
    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved, stock.available) == (15, 0, 15)
    assert ledger(stock) == [
        (Reason.RECEIPT, 10, 0, 0, 10, 0, 0),
        (Reason.RECEIPT, 5, 0, 10, 15, 0, 0),
    ]
    assert StockMovement.objects.get(on_hand_after=15).reference == "PO-1"


@pytest.mark.django_db
def test_an_adjustment_records_its_reason_and_actor(sku, warehouse, make_staff):
    """A stock-take correction by procurement staff is a ledger row naming who and why."""
    clerk = make_staff("procurement")
    receive_stock(actor=clerk, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=8)
    stock = adjust_stock(
        actor=clerk, sku_id=sku.pk, warehouse_id=warehouse.pk, delta=-3, reason=" 盘亏 "
    )
    assert Stock.objects.get(pk=stock.pk).on_hand == 5
    last = StockMovement.objects.filter(stock=stock).latest("pk")
    assert (last.reason, last.on_hand_before, last.on_hand_after) == (Reason.ADJUSTMENT, 8, 5)
    assert (last.note, last.actor) == ("盘亏", clerk)


@pytest.mark.django_db
def test_stock_changes_need_the_permission(sku, warehouse, make_staff):
    """Operations staff may see stock but not change it; nothing is written."""
    with pytest.raises(PermissionDeniedError):
        receive_stock(
            actor=make_staff("operations"), sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=1
        )
    assert not Stock.objects.exists() and not StockMovement.objects.exists()


@pytest.mark.django_db
def test_adjusting_below_zero_is_refused_and_nothing_is_written(sku, warehouse):
    """Taking 4 units out of 3 raises a conflict on the quantity; the count and the ledger
    stay as they were."""
    stock = receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=3)
    with pytest.raises(Conflict) as exc, translation.override("en"):
        adjust_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, delta=-4, reason="x")
    assert exc.value.code == "insufficient_stock" and exc.value.field == "quantity"
    assert "3 available" in exc.value.message
    stock.refresh_from_db()
    assert stock.on_hand == 3
    assert len(ledger(stock)) == 1


@pytest.mark.django_db
def test_adjusting_stock_that_does_not_exist_yet_creates_nothing(sku, warehouse):
    """A negative adjustment where there is no stock row is refused without leaving an empty
    stock row behind."""
    with pytest.raises(Conflict):
        adjust_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, delta=-1, reason="x")
    assert not Stock.objects.exists() and not StockMovement.objects.exists()


@pytest.mark.django_db
def test_on_hand_cannot_fall_below_the_reserved_units(sku, warehouse):
    """With 5 on hand and 3 reserved for orders, a count may remove 2 units but not 3."""
    stock = receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=5)
    reserve(stock.pk, 3)
    with pytest.raises(Conflict) as exc, translation.override("en"):
        adjust_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, delta=-3, reason="x")
    assert "2 available, 3 reserved" in exc.value.message
    adjust_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, delta=-2, reason="x")
    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved, stock.available) == (3, 3, 0)
    assert ledger(stock) == [
        (Reason.RECEIPT, 5, 0, 0, 5, 0, 0),
        (Reason.RESERVATION, 0, 3, 5, 5, 0, 3),
        (Reason.ADJUSTMENT, -2, 0, 5, 3, 3, 3),
    ]


@pytest.mark.django_db
def test_apply_movement_refuses_over_reserving_and_over_releasing(sku, warehouse):
    """Reserving more than is available, or releasing more than is reserved, raises a
    conflict and leaves the row and the ledger unchanged."""
    stock = receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=2)
    reserve(stock.pk, 1)
    for delta in (2, -2):
        with pytest.raises(Conflict), transaction.atomic():
            locked = Stock.objects.select_for_update().get(pk=stock.pk)
            apply_movement(stock=locked, reason=Reason.RESERVATION, reserved_delta=delta)
    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved) == (2, 1)
    assert len(ledger(stock)) == 2


@pytest.mark.django_db
def test_apply_movement_refuses_a_change_of_nothing(sku, warehouse):
    """A movement that changes neither figure would be a ledger row saying nothing."""
    stock = receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=2)
    with pytest.raises(ValidationFailed), transaction.atomic():
        apply_movement(stock=lock_stock(sku_id=sku.pk, warehouse_id=warehouse.pk), reason="x")
    assert len(ledger(stock)) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("bad", [0, "", "abc", None, 1.5, "2.5", 1_000_001, -1_000_001])
def test_bad_quantities_name_the_field_and_write_nothing(sku, warehouse, bad):
    """Zero, non-numbers, fractions and absurd amounts are refused before anything is
    locked or written; the error names the field."""
    with pytest.raises(ValidationFailed) as exc:
        receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=bad)
    assert "quantity" in exc.value.field_errors
    with pytest.raises(ValidationFailed) as exc:
        adjust_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, delta=bad, reason="x")
    assert "delta" in exc.value.field_errors
    assert not Stock.objects.exists()


@pytest.mark.django_db
def test_receiving_a_negative_quantity_is_refused(sku, warehouse):
    """Receipts only add: a negative receipt is an adjustment in disguise."""
    with pytest.raises(ValidationFailed):
        receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=-2)
    assert not Stock.objects.exists()


@pytest.mark.django_db
def test_an_adjustment_needs_a_reason(sku, warehouse):
    """Without a reason the adjustment is refused, naming the reason field."""
    with pytest.raises(ValidationFailed) as exc:
        adjust_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, delta=2, reason=" ")
    assert "reason" in exc.value.field_errors
    assert not Stock.objects.exists()


@pytest.mark.django_db
def test_lock_stock_refuses_unknown_skus_and_warehouses(sku, warehouse):
    """An unknown SKU or warehouse is a not-found error, and no stock row is made."""
    with pytest.raises(NotFound):
        lock_stock(sku_id=sku.pk + 999, warehouse_id=warehouse.pk)
    with pytest.raises(NotFound):
        lock_stock(sku_id=sku.pk, warehouse_id=warehouse.pk + 999)
    assert not Stock.objects.exists()


@pytest.mark.django_db
def test_lock_stock_returns_one_row_per_sku_and_warehouse(sku, warehouse):
    """Locking twice gives the same row, created at zero the first time."""
    with transaction.atomic():
        first = lock_stock(sku_id=sku.pk, warehouse_id=warehouse.pk)
        again = lock_stock(sku_id=sku.pk, warehouse_id=warehouse.pk)
    assert first.pk == again.pk
    assert (first.on_hand, first.reserved) == (0, 0)
    assert Stock.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_adjustments_never_lose_an_update_or_go_negative():
    """Twelve clerks take one unit each at the same moment from 5 units: five succeed, seven
    are refused, the stock ends at exactly 0 and the ledger holds the receipt plus five rows
    that chain (each one's before is the previous one's after)."""
    units, clerks = 5, 12
    sku = SkuFactory()
    warehouse = make_warehouse()
    stock = receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=units)
    gate, outcomes, lock = threading.Barrier(clerks), [], threading.Lock()

    def take_one():
        try:
            gate.wait()
            adjust_stock(
                actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, delta=-1, reason="picked"
            )
            result = "ok"
        except Conflict:
            result = "refused"
        except Exception as exc:  # anything else is a failure the test must show
            result = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=take_one) for _ in range(clerks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["ok"] * units + ["refused"] * (clerks - units)
    stock.refresh_from_db()
    assert stock.on_hand == 0
    rows = ledger(stock)
    adjustments = [row for row in rows if row[0] == Reason.ADJUSTMENT]
    assert len(adjustments) == units
    assert [(r[3], r[4]) for r in adjustments] == [(n, n - 1) for n in range(units, 0, -1)]

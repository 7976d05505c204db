"""Cycle counts: a sheet by zone or ABC class, counts typed or scanned, the variance,
approval by a lead above the limit, and adjustments posted with the ledger."""

from decimal import Decimal

import pytest

from mercato.core.errors import Conflict, PermissionDeniedError, ValidationFailed
from mercato.inventory import counts
from mercato.inventory.models import CountStatus, Stock, StockMovement, Zone
from mercato.inventory.selectors import abc_classes, stock_disagreements
from mercato.testing.fulfillment import make_shop, make_sku, stock
from mercato.testing.stockcontrol import ship_units

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    warehouses = make_shop(provinces=("四川省",))
    chengdu = warehouses["四川省"]
    skus = [make_sku(price=p) for p in ("100.00", "10.00", "1.00")]
    for n, sku in enumerate(skus):
        sku.cost_price = Decimal("50.00")
        sku.save(update_fields=["cost_price"])
        stock(sku, chengdu, 100, f"A-0{n + 1}")
    return {"wh": chengdu, "skus": skus, "zone": Zone.objects.get(warehouse=chengdu, code="A")}


@pytest.fixture
def clerk(make_staff):
    return make_staff("procurement")


@pytest.fixture
def lead(make_staff):
    return make_staff("procurement", roles=["procurement_lead"])


def sheet(task) -> dict[str, object]:
    return {line.stock.sku.code: line for line in task.lines.select_related("stock__sku")}


def test_abc_classes_split_skus_by_sales_value_over_90_days(shop):
    """Values 100×8 = 800, 10×15 = 150, 1×50 = 50 (of 1,000): A is the first 80 %, B the
    next 15 %, C the rest; a sale older than 90 days is not counted."""
    wh, (a, b, c) = shop["wh"], shop["skus"]
    ship_units(a, wh, 8, days_ago=10)
    ship_units(b, wh, 15, days_ago=89)
    ship_units(c, wh, 50, days_ago=5)
    ship_units(c, wh, 40, days_ago=91)
    assert abc_classes(days=90) == {a.pk: "A", b.pk: "B", c.pk: "C"}


def test_a_zone_count_with_a_small_variance_is_posted_by_the_clerk(shop, clerk):
    wh, (a, b, c) = shop["wh"], shop["skus"]
    task = counts.create_count_task(actor=clerk, warehouse_id=wh.pk, zone_id=shop["zone"].pk)
    lines = sheet(task)
    assert sorted(line.expected for line in lines.values()) == [100, 100, 100]
    # Typed for two lines, scanned for the third (barcode or code, one scan per unit).
    counts.record_counts(
        actor=clerk, task_id=task.pk,
        counts={lines[a.code].pk: "99", lines[b.code].pk: "100", lines[c.code].pk: "98"},
    )  # fmt: skip
    counts.record_counts(actor=clerk, task_id=task.pk, scans=[c.barcode, c.code])
    lines = sheet(task)
    assert (lines[a.code].variance, lines[b.code].variance, lines[c.code].variance) == (-1, 0, 0)
    with pytest.raises(ValidationFailed):  # a variance needs its reason
        counts.submit_count(actor=clerk, task_id=task.pk)
    task = counts.submit_count(actor=clerk, task_id=task.pk, reason="破损未登记")
    assert task.status == CountStatus.POSTED
    assert Stock.objects.get(sku=a, warehouse=wh).on_hand == 99
    [row] = StockMovement.objects.filter(reference=task.number)
    assert (row.reason, row.on_hand_delta, row.note) == ("adjustment", -1, "破损未登记")
    assert [e.action for e in task.events.all()] == ["created", "counted", "counted", "posted"]
    assert stock_disagreements() == []


def test_a_variance_above_the_limit_waits_for_a_lead(shop, clerk, lead, settings):
    """30 units short at ¥50 = ¥1,500 > ¥1,000: the clerk's submit waits; the lead
    approves and the stock moves; a clerk cannot approve."""
    settings.MERCATO_COUNT_APPROVAL_VALUE = "1000"
    wh, (a, *_rest) = shop["wh"], shop["skus"]
    task = counts.create_count_task(actor=clerk, warehouse_id=wh.pk, abc_class="C")
    lines = sheet(task)
    counts.record_counts(
        actor=clerk, task_id=task.pk,
        counts={line.pk: (70 if code == a.code else 100) for code, line in lines.items()},
    )  # fmt: skip
    assert counts.variance_value(list(task.lines.all())) == Decimal("1500.00")
    task = counts.submit_count(actor=clerk, task_id=task.pk, reason="串货")
    assert task.status == CountStatus.AWAITING_APPROVAL
    assert Stock.objects.get(sku=a, warehouse=wh).on_hand == 100
    with pytest.raises(PermissionDeniedError):
        counts.approve_count(actor=clerk, task_id=task.pk)
    counts.approve_count(actor=lead, task_id=task.pk)
    task.refresh_from_db()
    assert task.status == CountStatus.POSTED
    assert Stock.objects.get(sku=a, warehouse=wh).on_hand == 70
    assert [e.action for e in task.events.all()][-2:] == ["submitted", "posted"]


def test_a_lead_sends_a_count_back_and_movements_since_the_sheet_are_no_variance(shop, clerk, lead):
    wh, (a, *_rest) = shop["wh"], shop["skus"]
    task = counts.create_count_task(actor=clerk, warehouse_id=wh.pk, zone_id=shop["zone"].pk)
    ship_units(a, wh, 10)  # 90 left on the books after the sheet was made
    lines = sheet(task)
    counts.record_counts(actor=clerk, task_id=task.pk, counts={lines[a.code].pk: 60})
    assert sheet(task)[a.code].variance == -30
    counts.record_counts(
        actor=clerk, task_id=task.pk,
        counts={line.pk: 100 for code, line in lines.items() if code != a.code},
    )  # fmt: skip
    counts.submit_count(actor=clerk, task_id=task.pk, reason="待查")
    with pytest.raises(ValidationFailed):
        counts.reject_count(actor=lead, task_id=task.pk, note=" ")
    task = counts.reject_count(actor=lead, task_id=task.pk, note="A-01 重点复盘")
    assert task.status == CountStatus.COUNTING
    counts.record_counts(actor=clerk, task_id=task.pk, counts={lines[a.code].pk: 90})
    task = counts.submit_count(actor=clerk, task_id=task.pk)  # no variance: no reason needed
    assert task.status == CountStatus.POSTED
    assert not StockMovement.objects.filter(reference=task.number).exists()


def test_bad_counts_are_refused_and_change_nothing(shop, clerk, make_staff):
    wh, (a, *_rest) = shop["wh"], shop["skus"]
    with pytest.raises(ValidationFailed):
        counts.create_count_task(actor=clerk, warehouse_id=wh.pk)  # neither zone nor class
    with pytest.raises(PermissionDeniedError):
        counts.create_count_task(
            actor=make_staff("marketing"), warehouse_id=wh.pk, zone_id=shop["zone"].pk
        )
    task = counts.create_count_task(actor=clerk, warehouse_id=wh.pk, zone_id=shop["zone"].pk)
    line = sheet(task)[a.code]
    for bad in ({line.pk: "-1"}, {line.pk: "1.5"}, {999999: "1"}):
        with pytest.raises(ValidationFailed):
            counts.record_counts(actor=clerk, task_id=task.pk, counts=bad)
    with pytest.raises(ValidationFailed):
        counts.record_counts(actor=clerk, task_id=task.pk, scans=["NOT-HERE"])
    assert sheet(task)[a.code].counted is None
    with pytest.raises(Conflict):  # lines not counted yet
        counts.submit_count(actor=clerk, task_id=task.pk, reason="x")
    counts.cancel_count(actor=clerk, task_id=task.pk)
    with pytest.raises(counts.IllegalCountStep):
        counts.record_counts(actor=clerk, task_id=task.pk, counts={line.pk: 1})


def test_a_count_cannot_take_on_hand_below_the_units_reserved(shop, clerk, lead):
    """Posting is one transaction: when one adjustment is refused, none is written."""
    wh, (a, b, _c) = shop["wh"], shop["skus"]
    task = counts.create_count_task(actor=clerk, warehouse_id=wh.pk, zone_id=shop["zone"].pk)
    lines = sheet(task)
    counts.record_counts(
        actor=clerk, task_id=task.pk,
        counts={lines[a.code].pk: 90, lines[b.code].pk: 100, lines[_c.code].pk: 100},
    )  # fmt: skip
    from mercato.inventory.services import apply_movement, lock_stock

    apply_movement(  # 95 reserved for orders meanwhile
        stock=lock_stock(sku_id=a.pk, warehouse_id=wh.pk), reason="reservation",
        reserved_delta=95, reference="ORDER-1",
    )  # fmt: skip
    with pytest.raises(Conflict):
        counts.submit_count(actor=lead, task_id=task.pk, reason="盘亏")
    task.refresh_from_db()
    assert task.status == CountStatus.COUNTING
    assert not StockMovement.objects.filter(reference=task.number).exists()

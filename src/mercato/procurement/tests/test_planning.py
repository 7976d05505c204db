"""Purchase suggestions and purchase lists (procurement.planning, purchase_lists)."""

import dataclasses
import datetime
import math

import pytest
import time_machine
from django.urls import reverse

from mercato.core.errors import Conflict, ValidationFailed
from mercato.inventory.services import receive_stock
from mercato.procurement import forecast, planning, purchase_lists, suppliers
from mercato.procurement.models import (
    POStatus,
    PurchaseList,
    PurchaseListLine,
    PurchaseListStatus,
    PurchaseOrder,
)
from mercato.testing.factories import ORDER_ADDRESS, SkuFactory, make_order, priced_line
from mercato.testing.procurement import USCC, make_sent_po, make_supplier

SHANGHAI = dataclasses.replace(ORDER_ADDRESS, province="上海市", city="上海市", district="浦东新区")
TODAY = datetime.date(2026, 3, 11)
SALES = [3, 5, 4, 6, 2, 4, 5, 3, 4, 4]  # the ten days before TODAY: mean 4, σ √1.2


def sell(sku, quantities, *, last_day=TODAY - datetime.timedelta(days=1)):
    """One order a day in 上海市, the last on `last_day` (noon, Shanghai)."""
    for back, quantity in enumerate(reversed(quantities)):
        day = last_day - datetime.timedelta(days=back)
        moment = datetime.datetime(day.year, day.month, day.day, 4, tzinfo=datetime.UTC)
        with time_machine.travel(moment, tick=False):
            make_order(lines=[priced_line(sku=sku, quantity=quantity)], address=SHANGHAI)


def price(supplier, sku, amount, moq=1):
    suppliers.set_price(
        actor=None, supplier_id=supplier.pk, sku_id=sku.pk, price=amount, min_quantity=moq,
        valid_from=datetime.date(2026, 1, 1),
    )  # fmt: skip


@pytest.fixture
def at_today():
    with time_machine.travel(datetime.datetime(2026, 3, 11, 2, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.mark.django_db
def test_suggested_quantity_matches_the_hand_computed_case(
    warehouse, supplier, buyer, sku, settings
):
    """Ten days sold (moving average 4 a day, σ √1.2), lead time 7 days (no receipts yet),
    review 14 → cover 21 days: forecast 84; safety 1.645 × 1.095 × √7 = 4.77; 30 on hand
    and 20 on order → ⌈84 + 4.77 − 50⌉ = 39, raised to the MOQ of 50."""
    settings.MERCATO_PURCHASE_REVIEW_DAYS = 14
    settings.MERCATO_PURCHASE_LEAD_DAYS = 7
    settings.MERCATO_PURCHASE_SERVICE_LEVEL = 0.95
    settings.MERCATO_PO_LEAD_LIMIT = "5000"
    sell(sku, SALES)
    price(supplier, sku, "12.00", moq=50)
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=30)
    make_sent_po(
        buyer=buyer, supplier=supplier, warehouse=warehouse,
        lines=[{"sku_id": sku.pk, "quantity": 20, "unit_price": "12.00"}],
    )  # fmt: skip

    [s] = planning.suggest(today=TODAY)

    safety = 1.6448536 * math.sqrt(1.2) * math.sqrt(7)
    assert (s.sku_id, s.warehouse_id, s.supplier_id) == (sku.pk, warehouse.pk, supplier.pk)
    assert s.method == forecast.MOVING_AVERAGE
    assert (s.cover_days, s.lead_time_days, s.daily_forecast, s.forecast_units) == (
        21,
        7,
        4.0,
        84.0,
    )
    assert s.safety_stock == round(safety, 1) == 4.8
    assert (s.available, s.in_transit, s.on_order, s.min_quantity) == (30, 0, 20, 50)
    assert s.quantity == 50
    # Without the MOQ the need itself: ⌈84 + 4.77 − 50⌉.
    assert planning.order_quantity(
        forecast_units=84, safety=safety, available=30, in_transit=0, on_order=20, min_quantity=1
    ) == 39  # fmt: skip


@pytest.mark.django_db
def test_enough_stock_means_no_suggestion(warehouse, sku):
    sell(sku, SALES)
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=500)

    assert planning.suggest(today=TODAY) == []


@pytest.mark.django_db
def test_a_generated_list_keeps_the_why_and_its_progress(
    warehouse, supplier, buyer, sku, at_today, django_capture_on_commit_callbacks
):
    """Generating runs as a task (in-process here): the list ends as a draft whose line
    carries the method, forecast, cover and safety stock, and the progress is complete."""
    sell(sku, SALES)
    price(supplier, sku, "12.00")

    with django_capture_on_commit_callbacks(execute=True):
        created = purchase_lists.start_generation(actor=buyer)

    purchase_list = PurchaseList.objects.get(pk=created.pk)
    assert purchase_list.status == PurchaseListStatus.DRAFT
    assert (purchase_list.progress_done, purchase_list.progress_total) == (1, 1)
    [line] = purchase_list.lines.all()
    assert line.suggested and line.method == forecast.MOVING_AVERAGE
    assert (line.forecast_units, line.cover_days, line.quantity) == (84.0, 21, 89)
    assert line.supplier_id == supplier.pk


@pytest.mark.django_db
def test_zero_or_negative_quantities_are_refused_and_nothing_saved(warehouse, buyer, sku):
    purchase_list = purchase_lists.create_purchase_list(
        actor=buyer, lines=[{"sku_id": sku.pk, "warehouse_id": warehouse.pk, "quantity": 5}]
    )
    [line] = purchase_list.lines.all()
    other = SkuFactory()

    for bad in ("0", "-3", "2.5", "abc"):
        with pytest.raises(ValidationFailed) as refused:
            purchase_lists.change_lines(
                actor=buyer, purchase_list_id=purchase_list.pk, quantities={line.pk: bad}
            )
        assert refused.value.field_errors == {f"quantity-{line.pk}": ["请输入大于零的整数件数"]}
    with pytest.raises(ValidationFailed) as refused:
        purchase_lists.add_lines(
            actor=buyer, purchase_list_id=purchase_list.pk,
            lines=[{"sku_id": other.pk, "warehouse_id": warehouse.pk, "quantity": 4},
                   {"sku_id": sku.pk, "warehouse_id": warehouse.pk, "quantity": -1}],
        )  # fmt: skip
    assert list(refused.value.field_errors) == ["lines.1"]
    with pytest.raises(ValidationFailed):
        purchase_lists.create_purchase_list(
            actor=buyer, lines=[{"sku_id": sku.pk, "warehouse_id": warehouse.pk, "quantity": 0}]
        )

    assert [(ln.sku_id, ln.quantity) for ln in purchase_list.lines.all()] == [(sku.pk, 5)]
    assert PurchaseList.objects.count() == 1


@pytest.mark.django_db
def test_convert_makes_one_draft_po_per_supplier_and_warehouse(warehouse, supplier, buyer):
    """Two SKUs cheapest at acme, one at a second supplier: two draft POs with the
    price-list prices; the list is marked converted and its lines point to their PO."""
    other = make_supplier(code="beta", uscc=USCC[1], name="深圳贝塔电子有限公司")
    a, b, c = SkuFactory(), SkuFactory(), SkuFactory()
    price(supplier, a, "10.00")
    price(supplier, b, "20.00")
    price(other, b, "25.00")  # dearer: not chosen
    price(other, c, "5.50", moq=10)
    purchase_list = purchase_lists.create_purchase_list(
        actor=buyer,
        lines=[{"sku_id": s.pk, "warehouse_id": warehouse.pk, "quantity": q}
               for s, q in ((a, 3), (b, 4), (c, 10))],
    )  # fmt: skip

    created = purchase_lists.convert_to_purchase_orders(
        actor=buyer, purchase_list_id=purchase_list.pk
    )

    by_supplier = {po.supplier_id: po for po in created}
    assert set(by_supplier) == {supplier.pk, other.pk}
    acme, beta = by_supplier[supplier.pk], by_supplier[other.pk]
    assert acme.status == POStatus.DRAFT and str(acme.total) == "110.00"
    assert sorted(
        (ln.sku_id, ln.quantity, str(ln.unit_price)) for ln in acme.lines.all()
    ) == sorted([(a.pk, 3, "10.00"), (b.pk, 4, "20.00")])
    assert str(beta.total) == "55.00"
    purchase_list.refresh_from_db()
    assert purchase_list.status == PurchaseListStatus.CONVERTED
    assert set(purchase_list.lines.values_list("purchase_order_id", flat=True)) == {
        acme.pk,
        beta.pk,
    }


@pytest.mark.django_db
def test_convert_is_refused_whole_when_a_sku_has_no_supplier(warehouse, supplier, buyer):
    a, orphan = SkuFactory(), SkuFactory(code="NOSUP-1")
    price(supplier, a, "10.00")
    purchase_list = purchase_lists.create_purchase_list(
        actor=buyer,
        lines=[{"sku_id": s.pk, "warehouse_id": warehouse.pk, "quantity": 2} for s in (a, orphan)],
    )

    with pytest.raises(ValidationFailed) as refused:
        purchase_lists.convert_to_purchase_orders(actor=buyer, purchase_list_id=purchase_list.pk)

    assert "NOSUP-1" in refused.value.field_errors["lines"][0]
    assert PurchaseOrder.objects.count() == 0
    assert PurchaseListLine.objects.filter(purchase_order__isnull=False).count() == 0
    purchase_list.refresh_from_db()
    assert purchase_list.status == PurchaseListStatus.DRAFT


@pytest.mark.django_db
def test_a_list_stuck_generating_after_a_worker_crash_is_computed_again(
    warehouse, supplier, buyer, sku, at_today, django_capture_on_commit_callbacks, client
):
    """The task never ran (its worker died): refused while it may still be working, then
    after 10 minutes without progress the list is retried from the page and ends a draft
    with its line; a run that finishes after another leaves the first one's lines."""
    sell(sku, SALES)
    price(supplier, sku, "12.00")
    created = purchase_lists.start_generation(actor=buyer)  # the on-commit task is lost
    with pytest.raises(Conflict):
        purchase_lists.retry_generation(actor=buyer, purchase_list_id=created.pk)
    later = created.updated_at + datetime.timedelta(minutes=11)
    client.force_login(buyer)
    url = reverse("backoffice:purchase_list_detail", args=[created.pk])
    with time_machine.travel(later, tick=False):
        assert 'id="retry-generation"' in client.get(url).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("backoffice:purchase_list_retry", args=[created.pk]))
    assert response.status_code == 302
    purchase_list = PurchaseList.objects.get(pk=created.pk)
    assert purchase_list.status == PurchaseListStatus.DRAFT and purchase_list.lines.count() == 1
    again = purchase_lists.generate_suggestions(purchase_list_id=created.pk)  # a late twin
    assert again.status == PurchaseListStatus.DRAFT and again.lines.count() == 1
    with pytest.raises(Conflict):  # it has its suggestions: nothing to retry
        purchase_lists.retry_generation(actor=buyer, purchase_list_id=created.pk)

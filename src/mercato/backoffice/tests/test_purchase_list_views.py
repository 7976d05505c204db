"""Purchase lists in the procurement workspace: generate with progress, the why of each
suggestion, editing (bad quantities refused, nothing saved), the chart, convert to POs."""

import dataclasses
import datetime

import pytest
import time_machine
from django.urls import reverse

from mercato.procurement import purchase_lists, suppliers
from mercato.procurement.models import PurchaseList, PurchaseListStatus, PurchaseOrder
from mercato.testing.factories import ORDER_ADDRESS, SkuFactory, make_order, priced_line
from mercato.testing.procurement import make_shanghai_warehouse, make_supplier

pytestmark = pytest.mark.django_db
SHANGHAI = dataclasses.replace(ORDER_ADDRESS, province="上海市", city="上海市", district="浦东新区")
NOW = datetime.datetime(2026, 3, 11, 2, tzinfo=datetime.UTC)


@pytest.fixture
def stocked():
    """A SKU sold 4 a day for twenty days in 上海市, priced by a supplier."""
    warehouse = make_shanghai_warehouse()
    supplier = make_supplier()
    sku = SkuFactory(code="PLAN-1")
    suppliers.set_price(
        actor=None, supplier_id=supplier.pk, sku_id=sku.pk, price="8.00",
        valid_from=datetime.date(2026, 1, 1),
    )  # fmt: skip
    for back in range(1, 21):
        with time_machine.travel(NOW - datetime.timedelta(days=back), tick=False):
            make_order(lines=[priced_line(sku=sku, quantity=4)], address=SHANGHAI)
    return warehouse, supplier, sku


def test_generate_shows_progress_then_the_lines_with_their_why(
    client, login, stocked, django_capture_on_commit_callbacks
):
    login("procurement")
    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = client.post(reverse("backoffice:purchase_list_generate"))
        purchase_list = PurchaseList.objects.get()
        assert response.url == reverse("backoffice:purchase_list_detail", args=[purchase_list.pk])
        # Before the task has run: the progress bar polls.
        page = client.get(response.url).content.decode()
        assert 'id="list-progress"' in page and "hx-trigger" in page
        for callback in callbacks:
            callback()
        poll = client.get(reverse("backoffice:purchase_list_progress", args=[purchase_list.pk]))
        assert poll["HX-Refresh"] == "true"
        page = client.get(response.url).content.decode()

    assert "hx-trigger" not in page
    assert "PLAN-1" in page
    assert "简单指数平滑" in page  # the method named beside the figure
    assert "4.0/天 × 21 天" in page or "4.0" in page


def test_zero_quantity_is_refused_with_a_message_and_nothing_saved(client, login, stocked):
    warehouse, _supplier, sku = stocked
    user = login("procurement")
    purchase_list = purchase_lists.create_purchase_list(
        actor=user, lines=[{"sku_id": sku.pk, "warehouse_id": warehouse.pk, "quantity": 7}]
    )
    [line] = purchase_list.lines.all()

    response = client.post(
        reverse("backoffice:purchase_list_save", args=[purchase_list.pk]),
        {f"quantity-{line.pk}": "0"},
        follow=True,
    )

    assert "未保存" in response.content.decode()
    line.refresh_from_db()
    assert line.quantity == 7


def test_lines_typed_by_hand_then_converted_to_a_draft_po(client, login, stocked):
    warehouse, supplier, sku = stocked
    user = login("procurement")
    purchase_list = purchase_lists.create_purchase_list(actor=user)
    add = reverse("backoffice:purchase_list_add", args=[purchase_list.pk])

    bad = client.post(
        add, {"lines": f"{sku.code}, {warehouse.code}, -2\nNOPE, {warehouse.code}, 1"}, follow=True
    )
    assert "第 2 行" in bad.content.decode()
    assert purchase_list.lines.count() == 0
    client.post(add, {"lines": f"{sku.code}, {warehouse.code}, 30"})
    response = client.post(reverse("backoffice:purchase_list_convert", args=[purchase_list.pk]))

    assert response.url == reverse("backoffice:po_list") + "?status=draft"
    [order] = PurchaseOrder.objects.all()
    assert (order.supplier_id, order.warehouse_id, str(order.total)) == (
        supplier.pk,
        warehouse.pk,
        "240.00",
    )
    purchase_list.refresh_from_db()
    assert purchase_list.status == PurchaseListStatus.CONVERTED


def test_the_chart_of_one_line_and_the_page_query_budget(
    client, login, stocked, django_assert_max_num_queries
):
    warehouse, _supplier, sku = stocked
    user = login("procurement")
    purchase_list = purchase_lists.create_purchase_list(
        actor=user,
        lines=[{"sku_id": s.pk, "warehouse_id": warehouse.pk, "quantity": 3}
               for s in [sku, *SkuFactory.create_batch(5)]],
    )  # fmt: skip
    line = purchase_list.lines.get(sku=sku)
    url = reverse("backoffice:purchase_list_detail", args=[purchase_list.pk])

    with time_machine.travel(NOW, tick=False):
        with django_assert_max_num_queries(12):
            page = client.get(url).content.decode()
        chart = client.get(f"{url}?chart={line.pk}").content.decode()

    assert page.count('name="quantity-') == 6
    assert 'id="forecast-chart"' in chart and "<polyline" in chart
    assert 'id="chart-method"' in chart


def test_a_department_without_the_permission_is_refused(client, login, stocked):
    login("service")
    assert client.get(reverse("backoffice:purchase_list_index")).status_code == 403
    assert client.post(reverse("backoffice:purchase_list_generate")).status_code == 403
    assert PurchaseList.objects.count() == 0

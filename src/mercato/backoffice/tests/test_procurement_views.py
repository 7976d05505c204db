"""The procurement workspace's pages: suppliers, purchase orders, receiving by scanning."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from mercato.inventory.models import Stock
from mercato.procurement import orders
from mercato.procurement.models import POStatus, PurchaseOrder, SupplierPrice
from mercato.testing.factories import SkuFactory
from mercato.testing.procurement import (
    USCC,
    make_sent_po,
    make_shanghai_warehouse,
    make_supplier,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def supplier(db):
    return make_supplier()


def _order(buyer, supplier, warehouse, *, sku=None, quantity=3):
    sku = sku or SkuFactory()
    return make_sent_po(
        buyer=buyer, supplier=supplier, warehouse=warehouse,
        lines=[{"sku_id": sku.pk, "quantity": quantity, "unit_price": "2.00"}],
    )  # fmt: skip


def test_bank_account_is_masked_for_a_buyer_and_whole_for_the_lead(client, login, supplier):
    url = reverse("backoffice:supplier_detail", args=[supplier.pk])
    login("procurement")
    page = client.get(url).content.decode()
    assert "6225880212345678" not in page and "**** 5678" in page
    login("procurement", roles=["procurement_lead"])
    assert "6225880212345678" in client.get(url).content.decode()


def test_a_supplier_with_a_wrong_credit_code_is_not_created(client, login):
    login("procurement")
    response = client.post(
        reverse("backoffice:supplier_create"),
        {"code": "x1", "name": "某公司", "uscc": "91330100799655058C", "is_active": "on"},
    )
    assert response.status_code == 400
    assert "91330100799655058C" in response.content.decode()
    response = client.post(
        reverse("backoffice:supplier_create"),
        {"code": "x1", "name": "某公司", "uscc": USCC[1], "is_active": "on"},
    )
    assert response.status_code == 302


def test_a_price_list_with_bad_rows_shows_each_row_and_imports_nothing(client, login, supplier):
    SkuFactory(code="TEA-1")
    book = openpyxl.Workbook()
    for row in [
        ["SKU编码", "单价", "生效日期"],
        ["TEA-1", 5, "2026-01-01"],
        ["TEA-1", 0, "2026-02-01"],
    ]:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "价格.xlsx"
    login("procurement")
    url = reverse("backoffice:supplier_price_import", args=[supplier.pk])
    response = client.post(url, {"file": data}, follow=True)
    page = response.content.decode()
    assert 'id="import-errors"' in page and "3" in page
    assert not SupplierPrice.objects.exists()


def test_lists_stay_within_their_query_budget(
    client, login, supplier, django_assert_max_num_queries
):
    buyer = login("procurement")
    warehouse = make_shanghai_warehouse()
    for _ in range(5):
        _order(buyer, supplier, warehouse)
    for name in ("po_list", "supplier_list", "receiving"):
        with django_assert_max_num_queries(12):
            assert client.get(reverse(f"backoffice:{name}")).status_code == 200


def test_a_clerk_receives_by_scanning(client, login, supplier, settings):
    settings.MERCATO_PO_OVER_RECEIPT = Decimal("0")
    clerk = login("procurement")
    warehouse = make_shanghai_warehouse()
    sku = SkuFactory(barcode="6901234567892")
    order = _order(clerk, supplier, warehouse, sku=sku, quantity=2)
    url = reverse("backoffice:po_receive", args=[order.number])
    for _ in range(2):
        client.post(url, {"action": "scan", "code": "6901234567892", "quantity": "1"})
    # A third unit is over the order (no tolerance): refused, the count stays 2.
    page = client.post(url, {"action": "scan", "code": "6901234567892"}, follow=True)
    assert "最多还能收 0 件" in page.content.decode()
    line = order.lines.get()
    page = client.get(url).content.decode()
    assert f'name="received_{line.pk}" value="2"' in page
    client.post(url, {"action": "receive", f"received_{line.pk}": "2", f"rejected_{line.pk}": "0"})
    assert Stock.objects.get(sku=sku, warehouse=warehouse).on_hand == 2
    assert PurchaseOrder.objects.get().status == POStatus.RECEIVED


def test_pdf_prints_the_order(client, login, supplier):
    buyer = login("procurement")
    order = _order(buyer, supplier, make_shanghai_warehouse())
    response = client.get(reverse("backoffice:po_pdf", args=[order.number]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_detail_pages_stay_within_their_query_budget(
    client, login, supplier, django_assert_max_num_queries
):
    """The supplier page (record, contacts, documents, prices, performance, orders) and an
    order's page (lines, events, receipts) within a fixed budget, for 1 line or 5."""
    buyer = login("procurement")
    warehouse = make_shanghai_warehouse()
    small = _order(buyer, supplier, warehouse)
    big = orders.create_purchase_order(
        actor=buyer, supplier_id=supplier.pk, warehouse_id=warehouse.pk,
        promised_date=small.promised_date,
        lines=[{"sku_id": SkuFactory().pk, "quantity": 2, "unit_price": "3.00"} for _ in range(5)],
    )  # fmt: skip
    supplier_url = reverse("backoffice:supplier_detail", args=[supplier.pk])
    client.get(supplier_url)
    with django_assert_max_num_queries(12):
        assert client.get(supplier_url).status_code == 200
    for order in (small, big):  # the same count for 1 line and 5
        with django_assert_max_num_queries(11):
            assert (
                client.get(reverse("backoffice:po_detail", args=[order.number])).status_code == 200
            )

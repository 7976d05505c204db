"""Suppliers and purchase orders over the staff API: /api/staff/procurement/..."""

import json
from decimal import Decimal

import pytest

from mercato.procurement.models import PurchaseOrder
from mercato.testing.api import assert_error_format, bearer
from mercato.testing.factories import SkuFactory
from mercato.testing.procurement import make_shanghai_warehouse, make_supplier

pytestmark = pytest.mark.django_db
BASE = "/api/staff/procurement"


def post(client, path, body, headers):
    return client.post(path, json.dumps(body), content_type="application/json", headers=headers)


def test_create_submit_and_approve_a_purchase_order(client, make_staff, settings):
    settings.MERCATO_PO_LEAD_LIMIT = Decimal("100")
    settings.MERCATO_PO_FINANCE_LIMIT = Decimal("1000")
    buyer, lead = make_staff("procurement"), make_staff("procurement", roles=["procurement_lead"])
    supplier, warehouse = make_supplier(), make_shanghai_warehouse()
    SkuFactory(code="TEA-1")
    body = {
        "supplier_id": supplier.pk, "warehouse_id": warehouse.pk, "promised_date": "2026-03-10",
        "lines": [{"sku_code": "TEA-1", "quantity": 30, "unit_price": "10.00"}],
    }  # fmt: skip
    created = post(client, f"{BASE}/purchase-orders", body, bearer(buyer))
    assert created.status_code == 201, created.content
    number = created.json()["number"]
    assert created.json()["total"] == "300.00" and created.json()["status"] == "draft"
    post(client, f"{BASE}/purchase-orders/{number}/submit", {}, bearer(buyer))
    refused = post(client, f"{BASE}/purchase-orders/{number}/approve", {}, bearer(buyer))
    assert refused.status_code == 403
    approved = post(
        client, f"{BASE}/purchase-orders/{number}/approve", {"note": "好"}, bearer(lead)
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert [e["to_status"] for e in approved.json()["events"]] == [
        "draft", "pending_lead", "approved"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"sku_code": "TEA-1", "quantity": 0, "unit_price": "1"}, "lines.0"),
        ({"sku_code": "TEA-1", "quantity": 3, "unit_price": "-1"}, "lines.0"),
        ({"sku_code": "NOPE", "quantity": 3, "unit_price": "1"}, "lines.0"),
    ],
)
def test_bad_lines_are_422_naming_the_line(client, make_staff, line, field):
    buyer = make_staff("procurement")
    supplier, warehouse = make_supplier(), make_shanghai_warehouse()
    SkuFactory(code="TEA-1")
    body = {"supplier_id": supplier.pk, "warehouse_id": warehouse.pk,
            "promised_date": "2026-03-10", "lines": [line]}  # fmt: skip
    response = post(client, f"{BASE}/purchase-orders", body, bearer(buyer))
    assert response.status_code == 422
    assert_error_format(response, 422)
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not PurchaseOrder.objects.exists()


def test_suppliers_bank_account_is_masked_without_the_permission(client, make_staff):
    supplier = make_supplier()
    rows = client.get(f"{BASE}/suppliers", headers=bearer(make_staff("procurement"))).json()
    assert rows["results"][0]["bank_account"] == "**** 5678"
    finance = bearer(make_staff("finance"))
    detail = client.get(f"{BASE}/suppliers/{supplier.pk}", headers=finance).json()
    assert detail["bank_account"] == "6225880212345678"
    assert detail["performance"]["receipts"] == 0

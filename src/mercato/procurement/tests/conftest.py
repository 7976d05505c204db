import datetime

import pytest

from mercato.inventory.services import create_warehouse
from mercato.procurement import orders, suppliers
from mercato.testing.factories import SkuFactory

USCC = ["91310000MA1FL8XX03", "91440300MA5FXXXX0U", "91110108102060930K"]


@pytest.fixture
def warehouse(db):
    return create_warehouse(
        actor=None, code="sh", name="上海仓", provinces=["上海市"], province="上海市",
        city="上海市", district="浦东新区", address="张江路1号",
    )  # fmt: skip


@pytest.fixture
def supplier(db):
    return suppliers.create_supplier(
        actor=None, code="acme", name="上海优品贸易有限公司", uscc=USCC[0],
        bank_name="招商银行上海分行", bank_account="6225880212345678",
    )  # fmt: skip


@pytest.fixture
def buyer(make_staff):
    return make_staff("procurement")


@pytest.fixture
def lead(make_staff):
    return make_staff("procurement", roles=["procurement_lead"])


@pytest.fixture
def finance(make_staff):
    return make_staff("finance")


@pytest.fixture
def sku(db):
    return SkuFactory(barcode="6901234567892", cost_price="0.00")


@pytest.fixture
def make_po(buyer, supplier, warehouse):
    def make(lines, *, promised=datetime.date(2026, 3, 10), actor=None):
        return orders.create_purchase_order(
            actor=actor or buyer, supplier_id=supplier.pk, warehouse_id=warehouse.pk,
            promised_date=promised, lines=lines,
        )  # fmt: skip

    return make


@pytest.fixture
def sent_po(make_po, buyer, sku, settings):
    """A sent order of 100 units of `sku` at ¥10.00 (below the lead limit)."""
    settings.MERCATO_PO_LEAD_LIMIT = "5000"
    order = make_po([{"sku_id": sku.pk, "quantity": 100, "unit_price": "10.00"}])
    orders.submit_purchase_order(actor=buyer, order_id=order.pk)
    orders.send_purchase_order(actor=buyer, order_id=order.pk)
    order.refresh_from_db()
    return order

import datetime

import pytest

from mercato.procurement import orders
from mercato.testing.factories import SkuFactory
from mercato.testing.procurement import make_sent_po, make_shanghai_warehouse, make_supplier


@pytest.fixture
def warehouse(db):
    return make_shanghai_warehouse()


@pytest.fixture
def supplier(db):
    return make_supplier()


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
def sent_po(buyer, supplier, warehouse, sku, settings):
    """A sent order of 100 units of `sku` at ¥10.00 (below the lead limit)."""
    settings.MERCATO_PO_LEAD_LIMIT = "5000"
    return make_sent_po(
        buyer=buyer, supplier=supplier, warehouse=warehouse,
        lines=[{"sku_id": sku.pk, "quantity": 100, "unit_price": "10.00"}],
    )  # fmt: skip

"""Fixtures of the cart tests: SKUs on sale, a customer, a warehouse with stock."""

from decimal import Decimal

import pytest

from mercato.catalog.models import ProductStatus
from mercato.customers.services import create_customer
from mercato.inventory.services import create_warehouse, receive_stock
from mercato.testing.factories import ProductFactory, SkuFactory, make_category


@pytest.fixture
def make_sku(db):
    category = make_category()

    def make(price="99.00", **kw):
        product = ProductFactory(category=category, status=ProductStatus.ON_SALE)
        return SkuFactory(product=product, list_price=Decimal(price), **kw)

    return make


@pytest.fixture
def sku(make_sku):
    return make_sku()


@pytest.fixture
def customer(db):
    return create_customer(mobile="13800138000", name="张三")


@pytest.fixture
def warehouse(db):
    return create_warehouse(
        actor=None,
        code="CD",
        name="成都仓",
        provinces=["四川省"],
        province="四川省",
        city="成都市",
        district="双流区",
        address="物流园1号",
    )


@pytest.fixture
def stock_up(warehouse):
    def stock(sku, units):
        receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=units)

    return stock

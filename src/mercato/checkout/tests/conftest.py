"""Fixtures of the placement tests: a rate table for every province, warehouses, SKUs on
sale, customers with carts, a delivery address in 成都."""

import uuid
from decimal import Decimal

import pytest

from mercato.cart.services import add_to_cart, get_or_create_cart
from mercato.catalog.models import ProductStatus
from mercato.catalog.tests.factories import ProductFactory, SkuFactory, make_category
from mercato.checkout.services import save_shipping_zone
from mercato.core.regions import mainland_provinces
from mercato.inventory.services import receive_stock
from mercato.inventory.tests.helpers import make_warehouse
from mercato.orders.services import DeliveryAddress
from mercato.orders.tests.factories import make_customer

CHENGDU = DeliveryAddress(
    recipient="张三",
    mobile="13800138000",
    province="四川省",
    city="成都市",
    district="武侯区",
    detail="人民南路四段1号",
)


@pytest.fixture
def rates(db):
    """¥10 for the first kilo anywhere, ¥5 per started 500 g after; free from ¥99."""
    return save_shipping_zone(
        name="全国",
        provinces=list(mainland_provinces()),
        first_weight_g=1000,
        first_fee=Decimal("10.00"),
        extra_weight_step_g=500,
        extra_fee=Decimal("5.00"),
    )


@pytest.fixture
def chengdu(db):
    return make_warehouse("CD", "四川省")


@pytest.fixture
def shanghai(db):
    return make_warehouse("SH", "上海市")


@pytest.fixture
def make_sku(db):
    category = make_category()

    def make(price="39.90", weight_g=400, specs=None, name=None):
        product = ProductFactory(
            category=category, status=ProductStatus.ON_SALE, **({"name": name} if name else {})
        )
        extra = {"specs": specs} if specs else {}
        return SkuFactory(product=product, list_price=Decimal(price), weight_g=weight_g, **extra)

    return make


def stock(sku, warehouse, units):
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=units)


def cart_with(customer, *lines):
    """The customer's cart holding (sku, quantity) lines, all selected."""
    cart = get_or_create_cart(customer=customer)
    for sku, quantity in lines:
        add_to_cart(cart=cart, sku_id=sku.pk, quantity=quantity)
    return cart


def new_key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def customer(db):
    return make_customer(name="张三")


@pytest.fixture
def shop(rates, chengdu, shanghai):
    """Everything a placement needs but the SKUs: rates and two warehouses."""
    return {"CD": chengdu, "SH": shanghai}


__all__ = ["CHENGDU", "cart_with", "make_customer", "new_key", "stock"]

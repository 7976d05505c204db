"""pytest fixtures every app's tests can take by name (src/mercato/conftest.py registers
this module as a plugin). An app's own conftest may define a fixture of the same name for
its tests; the nearest one wins."""

import importlib
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import transaction

from mercato.catalog.models import ProductStatus
from mercato.catalog.services import sync_spec_values
from mercato.checkout.services import save_shipping_zone
from mercato.core.regions import mainland_provinces
from mercato.customers.sms import LocmemSmsBackend
from mercato.inventory.services import create_warehouse, receive_stock

from .factories import (
    BrandFactory,
    ProductFactory,
    SkuFactory,
    make_category,
    make_customer,
    make_phone,
    make_warehouse,
)


def add_default_dictionary() -> None:
    """The search dictionary the migrations give a new shop (default synonyms, then the
    colloquial words), again: a transactional test before this one flushed every table,
    migration rows included. Both loaders leave what is already there."""
    from django.apps import apps

    for name, loader in (("0003_default_synonyms", "add_defaults"),
                         ("0005_colloquial_dictionary", "load")):  # fmt: skip
        module = importlib.import_module(f"mercato.search.migrations.{name}")
        getattr(module, loader)(apps, None)


@contextmanager
def rolled_back():
    """A transaction around a module's data set (a module-scoped fixture): every test's own
    transaction is a savepoint inside it, and the seeded rows vanish when the module is done,
    with what the cache (the test process's own, see the root conftest) says of them."""
    try:
        with transaction.atomic():
            yield
            transaction.set_rollback(True)
    finally:
        cache.clear()


# Buying: a rate table for every province, two warehouses, SKUs on sale, a customer.
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
def shop(rates, chengdu, shanghai):
    """Everything a placement needs but the SKUs: rates and two warehouses by code."""
    return {"CD": chengdu, "SH": shanghai}


@pytest.fixture
def make_sku(db):
    """make_sku(price="39.90", weight_g=400, specs=None, name=None) → a SKU on sale."""
    category = make_category()

    def make(price="39.90", weight_g=400, specs=None, name=None):
        product = ProductFactory(
            category=category, status=ProductStatus.ON_SALE, **({"name": name} if name else {})
        )
        extra = {"specs": specs} if specs else {}
        return SkuFactory(product=product, list_price=Decimal(price), weight_g=weight_g, **extra)

    return make


@pytest.fixture
def customer(db):
    return make_customer(name="张三")


# The shop front: phones of two brands, stocked in two warehouses.
@pytest.fixture
def phone_shop(db):
    """手机 under 数码; 2 brands, 3 phones; stock:

    phone 1: 黑色/128GB in the 上海 warehouse (serves 上海市, 江苏省) only;
             白色/256GB in the 成都 warehouse (serves 四川省) only; the rest nowhere.
    """
    cache.clear()
    root = make_category("数码", slug="shuma")
    phones = make_category("手机", parent=root, slug="shouji")
    huawei = BrandFactory(name="华为", slug="huawei")
    xiaomi = BrandFactory(name="小米", slug="xiaomi")
    p1, skus1 = make_phone(phones, huawei, 1, price="2999.00")
    p2, _ = make_phone(phones, huawei, 2, price="899.00", colours=("蓝色",))
    p3, _ = make_phone(phones, xiaomi, 3, price="1299.00")
    sync_spec_values([p1.pk, p2.pk, p3.pk])
    east = create_warehouse(
        actor=None, code="sh", name="上海仓", provinces=["上海市", "江苏省"], province="上海市",
        city="上海市", district="浦东新区", address="1号",
    )  # fmt: skip
    west = create_warehouse(
        actor=None, code="cd", name="成都仓", provinces=["四川省"], province="四川省",
        city="成都市", district="武侯区", address="2号",
    )  # fmt: skip
    by_spec = {tuple(s.specs.values()): s for s in skus1}
    receive_stock(
        actor=None, sku_id=by_spec[("黑色", "128GB")].pk, warehouse_id=east.pk, quantity=5
    )
    receive_stock(
        actor=None, sku_id=by_spec[("白色", "256GB")].pk, warehouse_id=west.pk, quantity=2
    )
    return {
        "root": root,
        "phones": phones,
        "products": [p1, p2, p3],
        "skus": by_spec,
        "warehouses": (east, west),
    }


@pytest.fixture
def black(phone_shop):
    """华为 手机 1, 黑色/128GB: ¥2999.00, 5 in stock (上海)."""
    return phone_shop["skus"][("黑色", "128GB")]


@pytest.fixture
def white(phone_shop):
    """华为 手机 1, 白色/256GB: ¥2999.00, 2 in stock (成都)."""
    return phone_shop["skus"][("白色", "256GB")]


# Accounts.
@pytest.fixture
def sms_outbox(settings):
    """SMS go to a list; the rate-limit counters in the (locmem) cache start from zero."""
    settings.MERCATO_SMS_BACKEND = "mercato.customers.sms.LocmemSmsBackend"
    settings.MERCATO_SMS_OPTIONS = {}
    LocmemSmsBackend.outbox.clear()
    cache.clear()
    yield LocmemSmsBackend.outbox
    LocmemSmsBackend.outbox.clear()
    cache.clear()


# Catalogue imports.
@pytest.fixture
def import_catalogue(db):
    """手机数码 > 手机 > 智能手机 and the brands 华为, 小米: what the import files name."""
    root = make_category("手机数码", slug="shou-ji-shu-ma")
    phones = make_category("手机", parent=root, slug="shou-ji")
    smart = make_category("智能手机", parent=phones, slug="zhi-neng-shou-ji")
    BrandFactory(name="华为", name_en="Huawei", slug="huawei")
    BrandFactory(name="小米", name_en="Xiaomi", slug="xiaomi")
    return {"smart": smart, "phones": phones}


# Browsers.
@pytest.fixture
def page(browser_page):
    """The browser page, 900 px tall (a checkout with two parcels fits)."""
    browser_page.set_viewport_size({"width": 1280, "height": 900})
    return browser_page

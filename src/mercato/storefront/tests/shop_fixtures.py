"""A small shop for page tests: phones in two warehouses' regions, with stock."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from mercato.catalog.models import ProductStatus
from mercato.catalog.services import sync_spec_values
from mercato.catalog.tests.factories import BrandFactory, ProductFactory, SkuFactory, make_category
from mercato.inventory.services import create_warehouse, receive_stock


def make_phone(category, brand, n: int, *, price="1999.00", colours=("黑色", "白色")):
    product = ProductFactory(
        name=f"{brand.name} 手机 {n}",
        slug=f"phone-{brand.slug}-{n}",
        category=category,
        brand=brand,
        status=ProductStatus.ON_SALE,
        min_price=Decimal(price),
        max_price=Decimal(price),
    )
    skus = [
        SkuFactory(product=product, specs={"颜色": c, "存储容量": s}, list_price=Decimal(price))
        for c in colours
        for s in ("128GB", "256GB")
    ]
    return product, skus


@pytest.fixture(name="shop")
def shop_fixture(db):
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

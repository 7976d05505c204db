from decimal import Decimal

import pytest
from django.core.cache import cache

from mercato.catalog.models import Brand, ProductStatus
from mercato.search import dictionary, querylog, selectors, services
from mercato.testing.factories import ProductFactory, SkuFactory, make_category
from mercato.testing.fixtures import add_default_dictionary


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    cache.clear()
    dictionary.forget()  # each test's database has its own brands, categories and synonyms
    # Counts are written at once, so a test reads what it searched and a query count is
    # the same on every run; none are left over from an earlier test.
    settings.MERCATO_SEARCH_COUNT_SECONDS = 0
    querylog.forget_pending_counts()
    yield
    cache.clear()


def make_product(name, *, category, brand=None, status=ProductStatus.ON_SALE, price="99.00"):
    product = ProductFactory(name=name, category=category, brand=brand, status=status)
    SkuFactory(product=product, list_price=Decimal(price))
    product.min_price = product.max_price = Decimal(price)
    product.save(update_fields=["min_price", "max_price"])
    return product


@pytest.fixture
def shop(db, django_capture_on_commit_callbacks):
    """A small catalogue, indexed: phones, a watch, a cable, a draft phone."""
    add_default_dictionary()
    digital = make_category("手机数码", slug="shouji-shuma")
    phones = make_category("手机", parent=digital, slug="shouji")
    smart = make_category("智能手机", parent=phones, slug="zhineng-shouji")
    watches = make_category("智能手表", parent=digital, slug="zhineng-shoubiao")
    cables = make_category("数据线", parent=digital, slug="shujuxian")
    huawei = Brand.objects.create(name="华为", name_en="Huawei", slug="huawei")
    apple = Brand.objects.create(name="苹果", name_en="Apple", slug="apple")
    with django_capture_on_commit_callbacks(execute=True):
        items = {
            "mate": make_product("华为 Mate 60 旗舰5G智能手机", category=smart, brand=huawei),
            "iphone": make_product("苹果 iPhone 15 拍照手机", category=smart, brand=apple),
            "watch": make_product("华为 GT4 健康手表", category=watches, brand=huawei),
            "cable": make_product("苹果 编织快充数据线", category=cables, brand=apple),
            "draft": make_product(
                "华为 秘密新品手机", category=smart, brand=huawei, status=ProductStatus.DRAFT
            ),
        }
    services.rebuild_index()
    return items


def names(query, **kwargs):
    return [p.name for p in selectors.search_products(query=query, **kwargs).results]

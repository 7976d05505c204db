"""Spec filters match values on ONE SKU, and the facet counts agree with the lists."""

from decimal import Decimal

import pytest
from django.http import QueryDict

from mercato.catalog.facets import facets_for, filter_products
from mercato.catalog.models import Product, ProductStatus
from mercato.catalog.services import sync_spec_values
from mercato.testing.factories import BrandFactory, ProductFactory, SkuFactory, make_category

pytestmark = pytest.mark.django_db

BLACK_256 = "spec=颜色:黑色&spec=存储容量:256GB"


@pytest.fixture
def phones():
    """Five phones; one line per SKU (E's black 256GB SKU is inactive, not for sale):

    name  brand   SKUs
    A     huawei  黑色/128GB, 白色/256GB   black and 256GB, never together
    B     huawei  黑色/256GB, 白色/128GB
    C     xiaomi  黑色/128GB, 黑色/256GB
    D     xiaomi  白色/256GB, 蓝色/512GB
    E     xiaomi  黑色/128GB, (黑色/256GB inactive)
    """
    category = make_category("手机", slug="shouji")
    brands = {s: BrandFactory(slug=s, name=s.title()) for s in ("huawei", "xiaomi")}
    rows = [
        ("A", "huawei", [("黑色", "128GB", True), ("白色", "256GB", True)]),
        ("B", "huawei", [("黑色", "256GB", True), ("白色", "128GB", True)]),
        ("C", "xiaomi", [("黑色", "128GB", True), ("黑色", "256GB", True)]),
        ("D", "xiaomi", [("白色", "256GB", True), ("蓝色", "512GB", True)]),
        ("E", "xiaomi", [("黑色", "128GB", True), ("黑色", "256GB", False)]),
    ]
    for name, brand, skus in rows:
        product = ProductFactory(
            name=name,
            category=category,
            brand=brands[brand],
            status=ProductStatus.ON_SALE,
            min_price=Decimal("999.00"),
            max_price=Decimal("999.00"),
        )
        for colour, storage, active in skus:
            SkuFactory(
                product=product, specs={"颜色": colour, "存储容量": storage}, is_active=active
            )
    sync_spec_values(Product.objects.values_list("pk", flat=True))


def listed(query: str) -> list[str]:
    return sorted(
        p.name for p in filter_products(products=Product.objects.all(), params=QueryDict(query))
    )


def counts(query: str) -> dict[str, dict[str, int]]:
    facets = facets_for(products=Product.objects.all(), params=QueryDict(query))
    return {f.key: {v.value: v.count for v in f.values} for f in facets if f.key != "price"}


def test_black_and_256gb_must_be_one_sku(phones):
    """黑色 + 256GB lists B and C only: A has both values on different SKUs, and E's black
    256GB SKU is not for sale."""
    assert listed(BLACK_256) == ["B", "C"]
    assert listed("spec=颜色:黑色") == ["A", "B", "C", "E"]
    assert listed("spec=存储容量:256GB") == ["A", "B", "C", "D"]


def test_facet_counts_with_black_and_256gb_selected(phones):
    """Counted by hand from the table in `phones`:

    颜色 (256GB applied, colour not): 256GB SKUs are A白 B黑 C黑 D白 → 黑色 2, 白色 2.
    存储容量 (黑色 applied): black SKUs A128 B256 C128 C256 E128 → 128GB 3 (A C E),
        256GB 2 (B C).
    brand (both specs applied): B (huawei), C (xiaomi) → 1 and 1.
    """
    assert counts(BLACK_256) == {
        "brand": {"huawei": 1, "xiaomi": 1},
        "spec:颜色": {"黑色": 2, "白色": 2},
        "spec:存储容量": {"128GB": 3, "256GB": 2},
    }


def test_every_count_is_the_length_of_the_list_it_stands_for(phones):
    """A value's count is how many products its facet's filter set to that value alone
    (the other filters kept) lists."""
    selected = {"颜色": "黑色", "存储容量": "256GB"}
    for facet in facets_for(products=Product.objects.all(), params=QueryDict(BLACK_256)):
        for value in facet.values:
            if facet.key in ("brand", "price"):
                query = f"{BLACK_256}&{facet.key}={value.value}"
            else:
                specs = {**selected, facet.key.removeprefix("spec:"): value.value}
                query = "&".join(f"spec={n}:{v}" for n, v in specs.items())
            assert len(listed(query)) == value.count, (facet.key, value.value)


def test_one_spec_with_alternatives_still_matches_any_of_them(phones):
    """Values of one spec are alternatives: 蓝色 or 黑色 with 512GB lists D (blue 512GB)."""
    assert listed("spec=颜色:黑色&spec=颜色:蓝色&spec=存储容量:512GB") == ["D"]

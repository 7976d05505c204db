"""Facet counts, filters and sorting against hand-computed expectations."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.http import QueryDict
from django.utils import timezone

from mercato.catalog.facets import facets_for, filter_products, parse_params, sort_products
from mercato.catalog.models import Product, ProductPopularity, ProductStatus
from mercato.catalog.services import sync_spec_values
from mercato.testing.factories import BrandFactory, ProductFactory, SkuFactory, make_category

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf():
    """Four phones:

    name  brand   price  specs (one SKU per line)               sold  published
    A     huawei   899   黑色/128GB, 白色/128GB                   10   3 days ago
    B     huawei  2599   黑色/256GB                               50   100 days ago
    C     xiaomi  1299   白色/256GB, 蓝色/256GB                    5   200 days ago
    D     apple   5999   黑色/512GB                                0   10 days ago
    """
    category = make_category("手机", slug="shouji")
    brands = {s: BrandFactory(slug=s, name=s.title()) for s in ("huawei", "xiaomi", "apple")}
    now = timezone.now()
    rows = [
        ("A", "huawei", "899", [("黑色", "128GB"), ("白色", "128GB")], 10, 3),
        ("B", "huawei", "2599", [("黑色", "256GB")], 50, 100),
        ("C", "xiaomi", "1299", [("白色", "256GB"), ("蓝色", "256GB")], 5, 200),
        ("D", "apple", "5999", [("黑色", "512GB")], 0, 10),
    ]
    products = {}
    for name, brand, price, skus, sold, age in rows:
        p = ProductFactory(
            name=name,
            category=category,
            brand=brands[brand],
            status=ProductStatus.ON_SALE,
            min_price=Decimal(price),
            max_price=Decimal(price),
            published_at=now - timedelta(days=age),
        )
        for colour, storage in skus:
            SkuFactory(product=p, specs={"颜色": colour, "存储容量": storage}, list_price=price)
        if sold:
            ProductPopularity.objects.create(product=p, units_sold=sold)
        products[name] = p
    sync_spec_values([p.pk for p in products.values()])
    return products


def names(qs) -> list[str]:
    return [p.name for p in qs]


def counts(facets, key) -> dict[str, int]:
    facet = next(f for f in facets if f.key == key)
    return {v.value: v.count for v in facet.values}


def test_counts_without_filters(shelf):
    """Each facet counts products, not SKUs: 黑色 is in A, B and D."""
    facets = facets_for(products=Product.objects.all(), params=QueryDict(""))
    assert counts(facets, "brand") == {"huawei": 2, "apple": 1, "xiaomi": 1}
    assert counts(facets, "price") == {
        "500-1000": 1,
        "1000-2000": 1,
        "2000-5000": 1,
        "5000-10000": 1,
    }
    assert counts(facets, "spec:颜色") == {"黑色": 3, "白色": 2, "蓝色": 1}
    assert counts(facets, "spec:存储容量") == {"256GB": 2, "128GB": 1, "512GB": 1}


def test_a_facet_counts_alternatives_with_the_other_filters_applied(shelf):
    """With brand=huawei and 颜色=白色: brands count 白色 phones, colours count Huawei phones."""
    params = QueryDict("brand=huawei&spec=颜色:白色")
    assert names(filter_products(products=Product.objects.order_by("name"), params=params)) == ["A"]
    facets = facets_for(products=Product.objects.all(), params=params)
    assert counts(facets, "brand") == {"huawei": 1, "xiaomi": 1}
    assert counts(facets, "spec:颜色") == {"黑色": 2, "白色": 1}
    # Only 128GB is left: a facet with a single unselected value is not worth showing.
    assert "spec:存储容量" not in {f.key for f in facets}
    brand = next(f for f in facets if f.key == "brand")
    assert [v.selected for v in brand.values] == [True, False]


def test_values_of_one_facet_are_alternatives(shelf):
    """Two brands give the products of either; two price buckets likewise."""
    qs = Product.objects.order_by("name")
    assert names(filter_products(products=qs, params=QueryDict("brand=huawei&brand=apple"))) == [
        "A", "B", "D",
    ]  # fmt: skip
    both = QueryDict("price=500-1000&price=5000-10000")
    assert names(filter_products(products=qs, params=both)) == ["A", "D"]


def test_toggle_links_keep_other_filters_and_drop_the_page(shelf):
    """A facet value's link adds itself (or removes itself when selected), without page."""
    params = QueryDict("brand=huawei&sort=new&page=3")
    brand = next(f for f in facets_for(products=Product.objects.all(), params=params))
    huawei = next(v for v in brand.values if v.value == "huawei")
    apple = next(v for v in brand.values if v.value == "apple")
    assert huawei.url_params == "sort=new"
    assert QueryDict(apple.url_params).getlist("brand") == ["huawei", "apple"]
    assert "page" not in apple.url_params


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("sales", ["B", "A", "C", "D"]),
        ("price_asc", ["A", "C", "B", "D"]),
        ("price_desc", ["D", "B", "C", "A"]),
        ("new", ["A", "D", "B", "C"]),
        # 综合: sold + 50 for the last 30 days: A 60, D 50, B 50, C 5; ties by newest.
        ("", ["A", "D", "B", "C"]),
    ],
)
def test_sorting(shelf, sort, expected):
    """Each sort gives the hand-computed order."""
    qs = sort_products(products=Product.objects.all(), params={"sort": sort})
    assert names(qs) == expected


def test_bad_values_are_ignored_not_fatal(shelf):
    """Unknown sort, malformed or negative prices, control characters: dropped."""
    sel = parse_params(
        QueryDict("sort=evil&price=-5-10&price=abc&price=10-5&spec=nocolon&brand=%00x")
    )
    assert sel.sort == "" and sel.prices == () and sel.specs == {} and sel.brands == ()
    qs = filter_products(products=Product.objects.all(), params=QueryDict("brand=nosuch"))
    assert qs.count() == 0
    facets = facets_for(products=Product.objects.all(), params=QueryDict("brand=nosuch"))
    assert counts(facets, "brand")["nosuch"] == 0


def test_facets_take_a_fixed_number_of_queries(shelf, django_assert_num_queries):
    """Brand, price and spec facets, one spec selected: four queries, whatever the products."""
    params = QueryDict("brand=huawei&spec=颜色:黑色")
    with django_assert_num_queries(4):
        facets_for(products=Product.objects.all(), params=params)

"""Public catalogue reads through /api/catalog/: tree, brands, product list and detail."""

import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from mercato.catalog import services
from mercato.catalog.models import ProductImage, ProductStatus
from mercato.testing.api import assert_error_format, bearer
from mercato.testing.factories import (
    BrandFactory,
    ProductFactory,
    SkuFactory,
    make_category,
)

pytestmark = pytest.mark.django_db

ON_SALE = ProductStatus.ON_SALE


def _get(client, url, **kw) -> dict:
    response = client.get(url, **kw)
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def _codes(page: dict) -> list[str]:
    return [p["code"] for p in page["items"]]


def _png(name="p.png") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 30, 30)).save(buf, format="PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def test_category_tree_is_nested_and_hides_inactive_subtrees(client):
    """The tree nests children under parents; an inactive category hides its whole subtree."""
    phones = make_category("手机数码")
    mobiles = make_category("手机", parent=phones)
    make_category("5G手机", parent=mobiles)
    hidden = make_category("停用", parent=phones, is_active=False)
    make_category("停用的子类", parent=hidden)
    make_category("家用电器")

    tree = _get(client, "/api/catalog/categories")
    assert [n["name"] for n in tree] == ["手机数码", "家用电器"]
    assert [c["name"] for c in tree[0]["children"]] == ["手机"]
    assert tree[0]["children"][0]["children"][0]["name"] == "5G手机"
    assert tree[0]["children"][0]["children"][0]["depth"] == 3


def test_brands_are_listed_by_name_with_paging(client):
    """Brands come sorted by name; limit and offset page through them."""
    for name in ["小米", "华为", "Apple"]:
        BrandFactory(name=name)
    page = _get(client, "/api/catalog/brands?limit=2&offset=1")
    assert page["count"] == 3
    assert len(page["items"]) == 2


def test_public_list_shows_only_products_on_sale(client, make_staff):
    """Anonymous callers see products on sale; asking for drafts is 403 naming `status`."""
    ProductFactory(code="SALE", status=ON_SALE)
    ProductFactory(code="DRAFT")
    ProductFactory(code="OFF", status=ProductStatus.OFF_SHELF)
    assert _codes(_get(client, "/api/catalog/products")) == ["SALE"]
    body = assert_error_format(client.get("/api/catalog/products?status=draft"), 403)
    assert body["errors"][0]["field"] == "status"

    # Staff who may view products see every status, and may filter by any.
    headers = bearer(make_staff("service"))
    assert set(_codes(_get(client, "/api/catalog/products", headers=headers))) == {
        "SALE",
        "DRAFT",
        "OFF",
    }
    drafts = _get(client, "/api/catalog/products?status=draft", headers=headers)
    assert _codes(drafts) == ["DRAFT"]


def test_category_filter_includes_subcategories(client):
    """Filtering by a category finds products in it and in every category below it."""
    root = make_category("手机数码")
    child = make_category("手机", parent=root)
    grandchild = make_category("5G手机", parent=child)
    other = make_category("图书")
    ProductFactory(code="IN-CHILD", category=child, status=ON_SALE)
    ProductFactory(code="IN-GRAND", category=grandchild, status=ON_SALE)
    ProductFactory(code="ELSEWHERE", category=other, status=ON_SALE)
    page = _get(client, f"/api/catalog/products?category={root.pk}")
    assert set(_codes(page)) == {"IN-CHILD", "IN-GRAND"}
    page = _get(client, f"/api/catalog/products?category={grandchild.pk}")
    assert _codes(page) == ["IN-GRAND"]
    body = assert_error_format(client.get("/api/catalog/products?category=999999"), 422)
    assert body["errors"][0]["field"] == "category"


def test_brand_price_and_text_filters(client):
    """brand, min_price/max_price (overlapping the SKU price range) and q narrow the list."""
    huawei = BrandFactory(name="华为")
    ProductFactory(
        code="HW-1", name="华为手机", brand=huawei, status=ON_SALE,
        min_price=Decimal("1999.00"), max_price=Decimal("2999.00"),
    )  # fmt: skip
    ProductFactory(
        code="MI-1", name="小米手机", status=ON_SALE,
        min_price=Decimal("999.00"), max_price=Decimal("1299.00"),
    )  # fmt: skip
    ProductFactory(
        code="BOOK-1", name="三体", status=ON_SALE,
        min_price=Decimal("23.00"), max_price=Decimal("23.00"),
    )  # fmt: skip
    assert _codes(_get(client, f"/api/catalog/products?brand={huawei.pk}")) == ["HW-1"]
    in_range = _get(client, "/api/catalog/products?min_price=1200&max_price=2000")
    assert set(_codes(in_range)) == {"HW-1", "MI-1"}
    assert _codes(_get(client, "/api/catalog/products?q=手机&sort=price")) == ["MI-1", "HW-1"]
    assert _codes(_get(client, "/api/catalog/products?q=book")) == ["BOOK-1"]


def test_sorting_and_pagination(client):
    """sort orders the list; limit/offset page it; count is the total."""
    for n, price in enumerate(["30.00", "10.00", "20.00"]):
        ProductFactory(
            code=f"P{n}", name=f"商品{n}", status=ON_SALE,
            min_price=Decimal(price), max_price=Decimal(price),
        )  # fmt: skip
    assert _codes(_get(client, "/api/catalog/products?sort=price")) == ["P1", "P2", "P0"]
    assert _codes(_get(client, "/api/catalog/products?sort=-price")) == ["P0", "P2", "P1"]
    assert _codes(_get(client, "/api/catalog/products?sort=newest")) == ["P2", "P1", "P0"]
    page = _get(client, "/api/catalog/products?sort=oldest&limit=2&offset=1")
    assert (page["count"], _codes(page)) == (3, ["P1", "P2"])
    assert_error_format(client.get("/api/catalog/products?limit=101"), 422)


def test_detail_has_skus_and_image_thumbnails(client, ops_user):
    """A product's detail lists its active SKUs and its images with thumbnail URLs."""
    product = ProductFactory(status=ON_SALE)
    SkuFactory(product=product, code="A-01")
    SkuFactory(product=product, code="A-02", is_active=False)
    services.add_product_image(actor=ops_user, product_id=product.pk, upload=_png())

    detail = _get(client, f"/api/catalog/products/{product.pk}")
    assert [s["code"] for s in detail["skus"]] == ["A-01"]
    image = detail["images"][0]
    assert set(image["thumbnails"]) == {"small", "medium", "large"}
    assert all(url.endswith(".webp") for url in image["thumbnails"].values())
    listed = _get(client, "/api/catalog/products")["items"][0]
    assert listed["thumbnail"] == image["thumbnails"]["small"]


def test_drafts_are_hidden_from_the_public_detail(client, make_staff):
    """A draft's detail is 404 for the public and visible to staff who may view products."""
    product = ProductFactory()
    assert_error_format(client.get(f"/api/catalog/products/{product.pk}"), 404)
    headers = bearer(make_staff("marketing"))
    assert _get(client, f"/api/catalog/products/{product.pk}", headers=headers)["id"] == product.pk


@pytest.mark.parametrize(
    "department, sees_cost",
    [
        ("operations", True),
        ("procurement", True),
        ("finance", True),
        ("service", False),
        ("marketing", False),
        ("tech", False),
        ("hr", False),
        (None, False),
    ],
)
def test_cost_price_only_for_those_allowed(client, make_staff, department, sees_cost):
    """cost_price appears only for callers with catalog.view_cost_price; others lack the key."""
    sku = SkuFactory(product=ProductFactory(status=ON_SALE), cost_price=Decimal("61.50"))
    headers = bearer(make_staff(department)) if department else {}
    detail = _get(client, f"/api/catalog/products/{sku.product_id}", headers=headers)
    assert ("cost_price" in detail["skus"][0]) is sees_cost
    if sees_cost:
        assert detail["skus"][0]["cost_price"] == "61.50"
    assert "61.50" not in json.dumps(detail) or sees_cost


def _catalogue(n: int) -> None:
    """n products on sale across two categories and brands, each with a SKU and an image."""
    root = make_category("根")
    categories = [make_category("甲", parent=root), make_category("乙", parent=root)]
    brands = [BrandFactory(), BrandFactory()]
    for i in range(n):
        product = ProductFactory(status=ON_SALE, category=categories[i % 2], brand=brands[i % 2])
        SkuFactory(product=product)
        ProductImage.objects.create(
            product=product, image=f"products/{product.pk}/x.jpg", width=10, height=10
        )


def _queries(client, url, **kw) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **kw)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("as_staff", [False, True])
def test_product_list_queries_do_not_grow_with_rows(
    client, make_staff, django_assert_max_num_queries, as_staff
):
    """The product list runs no more queries for 60 products than for 5."""
    user = make_staff("operations") if as_staff else None
    url = "/api/catalog/products?limit=100&sort=price"
    _catalogue(5)
    few = _queries(client, url, headers=bearer(user) if user else {})
    _catalogue(55)
    headers = bearer(user) if user else {}
    # Anonymous: count, page, images. Staff: + token, last-used stamp, 2 permission lookups.
    with django_assert_max_num_queries(min(few, 7 if as_staff else 3)):
        response = client.get(url, headers=headers)
    assert len(json.loads(response.content)["items"]) == 60
    # A category filter adds one lookup of the category's path, whatever the row count.
    headers = bearer(user) if user else {}
    with django_assert_max_num_queries(few + 1):
        client.get(f"{url}&category=1", headers=headers)


def test_detail_and_tree_queries_are_fixed(client, django_assert_max_num_queries):
    """Product detail and the category tree run a fixed number of queries."""
    _catalogue(3)
    product = ProductFactory(status=ON_SALE)
    SkuFactory.create_batch(8, product=product)
    with django_assert_max_num_queries(3):
        client.get(f"/api/catalog/products/{product.pk}")
    with django_assert_max_num_queries(1):
        client.get("/api/catalog/categories")

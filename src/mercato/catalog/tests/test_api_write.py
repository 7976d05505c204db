"""Catalogue writes through /api/catalog/: each checked against the caller's permissions."""

import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from mercato.catalog.models import Brand, Category, Product, ProductImage, Sku
from mercato.testing.api import assert_error_format, bearer, fields_of
from mercato.testing.factories import BrandFactory, ProductFactory, SkuFactory, make_category

pytestmark = pytest.mark.django_db


def _png() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (0, 120, 200)).save(buf, format="PNG")
    return SimpleUploadedFile("photo.png", buf.getvalue(), content_type="image/png")


@pytest.fixture
def shop(db):
    """A small catalogue: two categories, a brand, a draft product with one priced SKU."""
    phones = make_category("手机数码")
    books = make_category("图书")
    brand = BrandFactory(name="华为")
    product = ProductFactory(code="P-1", name="旧名字", category=phones, brand=brand)
    sku = SkuFactory(product=product, code="P-1-01", list_price=Decimal("100.00"))
    return {"phones": phones, "books": books, "brand": brand, "product": product, "sku": sku}


def _snapshot() -> dict:
    """Everything a write endpoint could change, to prove a refused request changed nothing."""
    return {
        "products": list(Product.objects.order_by("pk").values_list("pk", "name", "status")),
        "skus": list(Sku.objects.order_by("pk").values_list("pk", "code", "list_price")),
        "categories": list(Category.objects.order_by("pk").values_list("pk", "path", "name")),
        "brands": list(Brand.objects.order_by("pk").values_list("pk", "name")),
        "images": ProductImage.objects.count(),
    }


def _writes(shop) -> list[tuple[str, str, dict | None]]:
    """(method, url, JSON body) for every write endpoint; None body means a multipart upload."""
    p, s = shop["product"].pk, shop["sku"].pk
    return [
        (
            "post",
            "/api/catalog/products",
            {"code": "NEW-1", "name": "新品", "category_id": shop["phones"].pk},
        ),  # noqa: E501
        ("patch", f"/api/catalog/products/{p}", {"name": "新名字"}),
        (
            "post",
            f"/api/catalog/products/{p}/skus",
            {"spec_values": {"颜色": ["黑", "白"]}, "list_price": "99.00"},
        ),  # noqa: E501
        ("patch", f"/api/catalog/skus/{s}", {"list_price": "88.00"}),
        ("post", f"/api/catalog/products/{p}/status", {"status": "on_sale"}),
        (
            "post",
            "/api/catalog/prices/preview",
            {"sku_ids": [s], "mode": "percent", "value": "-10"},
        ),  # noqa: E501
        ("post", "/api/catalog/prices/apply", {"sku_ids": [s], "mode": "percent", "value": "-10"}),  # noqa: E501
        ("post", "/api/catalog/categories", {"name": "平板", "parent_id": shop["phones"].pk}),
        (
            "post",
            f"/api/catalog/categories/{shop['books'].pk}/move",
            {"target_id": shop["phones"].pk, "position": "first-child"},
        ),  # noqa: E501
        ("post", "/api/catalog/brands", {"name": "小米"}),
        ("post", f"/api/catalog/products/{p}/images", None),
    ]


def _send(client, method, url, body, headers):
    if body is None:
        return client.post(url, {"image": _png(), "alt": "正面"}, headers=headers)
    return getattr(client, method)(url, body, content_type="application/json", headers=headers)


WRITE_IDS = [
    "create-product", "update-product", "generate-skus", "update-sku", "publish",
    "price-preview", "price-apply", "create-category", "move-category", "create-brand",
    "upload-image",
]  # fmt: skip


@pytest.mark.parametrize("index", range(len(WRITE_IDS)), ids=WRITE_IDS)
@pytest.mark.parametrize(
    "department, roles", [("operations", []), ("tech", ["sysadmin"])], ids=["ops", "sysadmin"]
)
def test_allowed_departments_may_write(client, make_staff, shop, index, department, roles):
    """Operations staff and the sysadmin role may use every catalogue write endpoint."""
    headers = bearer(make_staff(department, roles=roles))
    before = _snapshot()
    method, url, body = _writes(shop)[index]
    response = _send(client, method, url, body, headers)
    assert response.status_code in (200, 201), response.content
    # Every write changes something, except the preview, which must not.
    assert (_snapshot() == before) is (WRITE_IDS[index] == "price-preview")


@pytest.mark.parametrize("index", range(len(WRITE_IDS)), ids=WRITE_IDS)
@pytest.mark.parametrize(
    "department", ["service", "marketing", "procurement", "tech", "finance", "hr"]
)
def test_other_departments_get_403_and_nothing_changes(client, make_staff, shop, index, department):
    """Every department but operations gets 403 on every catalogue write; nothing changes."""
    headers = bearer(make_staff(department))
    before = _snapshot()
    method, url, body = _writes(shop)[index]
    response = _send(client, method, url, body, headers)
    assert_error_format(response, 403)
    assert _snapshot() == before


def test_customer_service_token_cannot_change_prices(client, make_staff, shop):
    """A customer-service token posting a price change gets 403; the price stays."""
    headers = bearer(make_staff("service"))
    sku = shop["sku"]
    for method, url, body in [
        ("patch", f"/api/catalog/skus/{sku.pk}", {"list_price": "1.00"}),
        ("post", "/api/catalog/prices/apply", {"sku_ids": [sku.pk], "mode": "set", "value": "1"}),
    ]:
        body = assert_error_format(_send(client, method, url, body, headers), 403)
        assert "catalog.change" in body["detail"]
    sku.refresh_from_db()
    assert sku.list_price == Decimal("100.00")


def test_operations_flow_through_the_api(client, ops_user, shop):
    """Create a product, generate SKUs, price one, add an image, publish: all via the API."""
    headers = bearer(ops_user)

    def call(method, url, body=None, status=200):
        response = _send(client, method, url, body, headers)
        assert response.status_code == status, response.content
        return json.loads(response.content)

    created = call(
        "post",
        "/api/catalog/products",
        {"code": "MATE-70", "name": "华为 Mate 70", "category_id": shop["phones"].pk,
         "brand_id": shop["brand"].pk, "description": "<p>好</p><script>x()</script>"},
        status=201,
    )  # fmt: skip
    assert created["slug"].startswith("hua-wei")
    assert "<script>" not in created["description"]
    pid = created["id"]
    skus = call(
        "post",
        f"/api/catalog/products/{pid}/skus",
        {"spec_values": {"颜色": ["黑", "白"], "存储": ["256GB"]}, "list_price": "5499.00",
         "cost_price": "4100.00", "weight_g": 230},
        status=201,
    )  # fmt: skip
    assert [s["specs"] for s in skus] == [
        {"颜色": "黑", "存储": "256GB"},
        {"颜色": "白", "存储": "256GB"},
    ]
    assert skus[0]["cost_price"] == "4100.00"
    sku = call("patch", f"/api/catalog/skus/{skus[1]['id']}", {"list_price": "5599.00"})
    assert sku["list_price"] == "5599.00"
    call("post", f"/api/catalog/products/{pid}/images", None, status=201)
    published = call("post", f"/api/catalog/products/{pid}/status", {"status": "on_sale"})
    assert published["status"] == "on_sale"
    assert (published["min_price"], published["max_price"]) == ("5499.00", "5599.00")
    assert len(published["images"]) == 1

    preview = call(
        "post",
        "/api/catalog/prices/preview",
        {"sku_ids": [s["id"] for s in skus], "mode": "amount", "value": "-100"},
    )
    assert [c["new_price"] for c in preview] == ["5399.00", "5499.00"]
    expected = {str(c["sku_id"]): c["old_price"] for c in preview}
    call(
        "post",
        "/api/catalog/prices/apply",
        {
            "sku_ids": [s["id"] for s in skus],
            "mode": "amount",
            "value": "-100",
            "expected": expected,
        },  # noqa: E501
    )
    public = json.loads(client.get(f"/api/catalog/products/{pid}").content)
    assert [s["list_price"] for s in public["skus"]] == ["5399.00", "5499.00"]


def test_stale_preview_is_409_and_changes_nothing(client, ops_user, shop):
    """Applying with an old price that moved since the preview is 409; no price changes."""
    sku = shop["sku"]
    response = client.post(
        "/api/catalog/prices/apply",
        {"sku_ids": [sku.pk], "mode": "set", "value": "50", "expected": {str(sku.pk): "90.00"}},
        content_type="application/json",
        headers=bearer(ops_user),
    )
    assert_error_format(response, 409)
    sku.refresh_from_db()
    assert sku.list_price == Decimal("100.00")


def test_category_create_and_move(client, ops_user, shop):
    """A new category lands under its parent; moving carries the subtree along."""
    headers = bearer(ops_user)
    child = json.loads(
        client.post(
            "/api/catalog/categories",
            {"name": "历史", "parent_id": shop["books"].pk},
            content_type="application/json",
            headers=headers,
        ).content
    )
    assert child["parent_id"] == shop["books"].pk and child["depth"] == 2
    moved = client.post(
        f"/api/catalog/categories/{shop['books'].pk}/move",
        {"target_id": shop["phones"].pk, "position": "last-child"},
        content_type="application/json",
        headers=headers,
    )
    assert json.loads(moved.content)["parent_id"] == shop["phones"].pk
    assert Category.objects.get(pk=child["id"]).depth == 3
    into_itself = client.post(
        f"/api/catalog/categories/{shop['phones'].pk}/move",
        {"target_id": child["id"], "position": "first-child"},
        content_type="application/json",
        headers=headers,
    )
    assert fields_of(assert_error_format(into_itself, 422)) == {"target"}


BAD_BODIES = [
    ("post", "/api/catalog/products", {"code": "X", "name": "", "category_id": "{phones}"}, "name"),
    (
        "post",
        "/api/catalog/products",
        {"code": "X", "name": "好", "category_id": 987654},
        "category",
    ),  # noqa: E501
    (
        "post",
        "/api/catalog/products",
        {"code": "P-1", "name": "重复", "category_id": "{phones}"},
        "code",
    ),  # noqa: E501
    (
        "post",
        "/api/catalog/products/{product}/skus",
        {"spec_values": {"颜色": ["黑"]}, "list_price": "-1"},
        "list_price",
    ),  # noqa: E501
    (
        "post",
        "/api/catalog/products/{product}/skus",
        {"spec_values": {"颜色": ["黑"]}, "list_price": "1.001"},
        "list_price",
    ),  # noqa: E501
    (
        "post",
        "/api/catalog/products/{product}/skus",
        {"spec_values": {"颜色": []}, "list_price": "1"},
        "specs",
    ),  # noqa: E501
    ("patch", "/api/catalog/skus/{sku}", {"barcode": "6901234567891"}, "barcode"),
    ("patch", "/api/catalog/skus/{sku}", {"list_price": "abc"}, "list_price"),
    ("patch", "/api/catalog/skus/{sku}", {"weight_g": -5}, "weight_g"),
    ("post", "/api/catalog/products/{product}/status", {"status": "sold"}, "status"),
    (
        "post",
        "/api/catalog/prices/apply",
        {"sku_ids": ["{sku}"], "mode": "double", "value": "1"},
        "mode",
    ),  # noqa: E501
    (
        "post",
        "/api/catalog/prices/apply",
        {"sku_ids": ["{sku}"], "mode": "percent", "value": "-100"},
        "value",
    ),  # noqa: E501
    ("post", "/api/catalog/prices/apply", {"sku_ids": [], "mode": "set", "value": "1"}, "sku_ids"),
    (
        "post",
        "/api/catalog/prices/apply",
        {"sku_ids": ["{sku}"], "mode": "set", "value": "-5"},
        "value",
    ),  # noqa: E501
    ("post", "/api/catalog/categories", {"name": "", "parent_id": "{phones}"}, "name"),
    (
        "post",
        "/api/catalog/categories/{books}/move",
        {"target_id": "{phones}", "position": "in"},
        "position",
    ),  # noqa: E501
    ("post", "/api/catalog/brands", {"name": "华为"}, "name"),
    ("post", "/api/catalog/brands", {"name": "x" * 81}, "name"),
    ("patch", "/api/catalog/products/{product}", {"name": "坏\x00名"}, "name"),
]


def _fill(value, ids):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize("method, url, body, field", BAD_BODIES)
def test_bad_bodies_are_422_naming_the_field(client, ops_user, shop, method, url, body, field):
    """A bad body is 422 naming the field, and nothing is written."""
    ids = {k: v.pk for k, v in shop.items()}
    headers = bearer(ops_user)
    before = _snapshot()
    response = _send(client, method, _fill(url, ids), _fill(body, ids), headers)
    assert field in fields_of(assert_error_format(response, 422))
    assert _snapshot() == before


def test_bad_image_upload_is_422(client, ops_user, shop):
    """A file that is not an image, or no file, is 422 naming `image`; nothing is stored."""
    url = f"/api/catalog/products/{shop['product'].pk}/images"
    headers = bearer(ops_user)
    fake = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    for data, field in [
        ({"image": fake}, "image"),
        ({"alt": "no file"}, "image"),
        ({"image": _png(), "alt": "坏\x00"}, "alt"),
    ]:
        response = client.post(url, data, headers=headers)
        assert fields_of(assert_error_format(response, 422)) == {field}
    assert not ProductImage.objects.exists()

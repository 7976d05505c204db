"""The operations catalogue workspace through its pages."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from mercato.catalog import services as catalog
from mercato.catalog.models import Category, Product, ProductStatus, Sku
from mercato.testing.factories import ProductFactory, SkuFactory

pytestmark = pytest.mark.django_db
LIST = "/backoffice/catalog/products/"


def png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 60, 20)).save(buf, "PNG")
    return buf.getvalue()


def test_search_finds_by_name_product_code_and_sku_code(client, login, catalogue):
    """The search box matches the name, the product code and any SKU code."""
    login("operations")
    ProductFactory(name="别的东西", code="X1", category=catalogue["smart"])
    for q in ["测试手机", "P100", "P100-02"]:
        body = client.get(LIST, {"q": q}).content.decode()
        assert "测试手机" in body and "别的东西" not in body, q


def test_category_filter_includes_subcategories(client, login, catalogue):
    """Filtering by 手机 shows products of its child 智能手机 too."""
    login("operations")
    body = client.get(LIST, {"category": catalogue["phones"].pk}).content.decode()
    assert "测试手机" in body


def test_filters_by_brand_status_and_price(client, login, catalogue):
    """Brand, status and the price range narrow the list."""
    login("operations")
    cheap = ProductFactory(name="便宜货", category=catalogue["smart"], min_price=Decimal("10"))
    assert "便宜货" not in client.get(LIST, {"brand": catalogue["brand"].pk}).content.decode()
    body = client.get(LIST, {"price_min": "1000", "price_max": "3000"}).content.decode()
    assert "测试手机" in body and "便宜货" not in body
    body = client.get(LIST, {"status": "draft", "price_max": "50"}).content.decode()
    assert cheap.name in body and "测试手机" not in body


def test_sorting_by_price(client, login, catalogue):
    """Sorting by price puts the cheapest first."""
    login("operations")
    ProductFactory(name="便宜货", category=catalogue["smart"], min_price=Decimal("10"))
    body = client.get(LIST, {"sort": "price"}).content.decode()
    assert body.index("便宜货") < body.index("测试手机")


def test_htmx_filter_returns_only_the_results(client, login, catalogue):
    """An htmx request targeting the results gets the table alone, not the whole page."""
    login("operations")
    body = client.get(LIST, {"q": "测试"}, headers={"HX-Request": "true",
                      "HX-Target": "results"}).content.decode()  # fmt: skip
    assert "测试手机" in body and "<html" not in body


def test_pagination_shows_50_per_page(client, login, catalogue):
    """60 products make two pages of 50 and 10 (+1 from the fixture)."""
    login("operations")
    ProductFactory.create_batch(60, category=catalogue["smart"])
    page1 = client.get(LIST).context["page"]
    page2 = client.get(LIST, {"page": 2}).context["page"]
    assert len(page1.object_list) == 50 and len(page2.object_list) == 11


def _count_queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(LIST, params).status_code == 200
    return len(ctx.captured_queries)


def _products_with_skus_and_images(n, category):
    for product in ProductFactory.create_batch(n, category=category):
        SkuFactory.create_batch(2, product=product)
        product.images.create(
            image=f"products/{product.pk}/{product.pk}-0.png", width=64, height=48, position=0
        )


def test_product_list_query_count_does_not_grow_with_rows(
    client, login, catalogue, django_assert_max_num_queries
):
    """5 or 60 products (each with SKUs and an image): the same number of queries, within budget.

    Six queries: the user, their permissions (two), the count, the page's rows with their
    SKU counts and first images, the top bar's department. The filter's category and brand
    options come from the cache (a seventh query when a category filter is given: its row).
    """
    login("operations")
    _products_with_skus_and_images(5, catalogue["smart"])
    client.get(LIST)  # warm the session and permission caches like a second page view
    few = _count_queries(client)
    _products_with_skus_and_images(55, catalogue["smart"])
    client.get(LIST)  # the factories made brands: the filter options are read once again
    many = _count_queries(client)
    assert few == many == 6
    filtered = {"q": "测试", "category": catalogue["phones"].pk, "sort": "-price"}
    with django_assert_max_num_queries(7):
        assert client.get(LIST, filtered).status_code == 200


def test_filter_options_follow_new_brands_and_moved_categories(client, login, catalogue):
    """A brand created or a category moved shows in the product list's filter at once."""
    login("operations")
    body = client.get(LIST).content.decode()
    assert "小米" not in body
    client.post("/backoffice/catalog/brands/", {"name": "小米"})
    client.post("/backoffice/catalog/categories/new/", {"name": "电视"})
    body = client.get(LIST).content.decode()
    assert "小米" in body
    assert body.index(">手机<") < body.index(">电视<")
    tv = Category.objects.get(name="电视")
    client.post(f"/backoffice/catalog/categories/{tv.pk}/move/", {"direction": "up"})
    body = client.get(LIST).content.decode()
    assert body.index(">电视<") < body.index(">手机<")


def test_product_list_escapes_what_it_shows(client, login, catalogue):
    """Names written into the rows and the filter's options are HTML-escaped."""
    login("operations")
    catalog.create_brand(actor=None, name="<b>牌</b>")
    catalog.create_product(
        actor=None, code="P<1>", name="<script>x</script>", category_id=catalogue["smart"].pk
    )
    body = client.get(LIST).content.decode()
    assert "<script>x" not in body and "&lt;script&gt;x&lt;/script&gt;" in body
    assert "<b>牌" not in body and "&lt;b&gt;牌&lt;/b&gt;" in body
    assert "P&lt;1&gt;" in body


def test_create_product_and_generate_two_skus(client, login, catalogue):
    """A new product gets a pinyin slug and, from two colour values, two SKUs."""
    login("operations")
    response = client.post(
        "/backoffice/catalog/products/new/",
        {"code": "P200", "name": "新手机", "category": catalogue["smart"].pk,
         "brand": catalogue["brand"].pk, "description": "<p>好<script>x()</script></p>"},
    )  # fmt: skip
    product = Product.objects.get(code="P200")
    assert response.status_code == 302 and product.slug == "xin-shou-ji"
    assert "<script" not in product.description
    response = client.post(
        f"/backoffice/catalog/products/{product.pk}/skus/generate/",
        {"spec_0": ["黑色", "白色"], "spec_0_extra": "", "list_price": "2999.00",
         "cost_price": "2000", "weight_g": 300, "volume_cm3": 500},
    )  # fmt: skip
    assert response.status_code == 302
    assert sorted(s.specs["颜色"] for s in product.skus.all()) == ["白色", "黑色"]
    product.refresh_from_db()
    assert product.min_price == Decimal("2999.00")


def test_unknown_category_is_named_in_the_form(client, login, catalogue):
    """A category id that does not exist: 400, the category field says why, nothing saved."""
    login("operations")
    response = client.post(
        "/backoffice/catalog/products/new/", {"code": "P300", "name": "X", "category": 999999}
    )
    assert response.status_code == 400
    assert "category" in response.context["form"].errors
    assert not Product.objects.filter(code="P300").exists()


def test_bad_barcode_is_named_in_the_sku_form(client, login, catalogue):
    """A barcode with a wrong check digit: 400, the barcode field has the error, SKU unchanged."""
    login("operations")
    sku = catalogue["product"].skus.first()
    response = client.post(
        f"/backoffice/catalog/skus/{sku.pk}/",
        {"barcode": "6901234567890", "list_price": "1", "cost_price": "1", "weight_g": 1,
         "volume_cm3": 1, "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "barcode" in response.context["form"].errors
    sku.refresh_from_db()
    assert sku.barcode == "" and sku.list_price == Decimal("1999.00")


def test_negative_price_is_named_in_the_sku_form(client, login, catalogue):
    """A negative list price: 400 with the error on list_price, and the price stays."""
    login("operations")
    sku = catalogue["product"].skus.first()
    response = client.post(
        f"/backoffice/catalog/skus/{sku.pk}/",
        {"barcode": "6901234567892", "list_price": "-5", "cost_price": "1", "weight_g": 1,
         "volume_cm3": 1, "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["list_price"]
    sku.refresh_from_db()
    assert sku.list_price == Decimal("1999.00")


def test_valid_sku_edit_saves(client, login, catalogue):
    """A valid EAN-13 and new weight are saved."""
    login("operations")
    sku = catalogue["product"].skus.first()
    client.post(
        f"/backoffice/catalog/skus/{sku.pk}/",
        {"barcode": "6901234567892", "list_price": "1999", "cost_price": "1500",
         "weight_g": 210, "volume_cm3": 900, "is_active": "on"},
    )  # fmt: skip
    sku.refresh_from_db()
    assert (sku.barcode, sku.weight_g) == ("6901234567892", 210)


def test_sku_form_without_price_permission(client, login, catalogue):
    """Someone who may edit products but not prices sees no price fields, and a posted price
    is refused with 403."""
    user = login("service")
    user.user_permissions.add(Permission.objects.get(codename="change_product"))
    sku = catalogue["product"].skus.first()
    form = client.get(f"/backoffice/catalog/skus/{sku.pk}/").context["form"]
    assert "list_price" not in form.fields and "cost_price" not in form.fields
    response = client.post(
        f"/backoffice/catalog/skus/{sku.pk}/",
        {"list_price": "1", "weight_g": 1, "volume_cm3": 1, "barcode": ""},
    )
    assert response.status_code == 403
    sku.refresh_from_db()
    assert sku.list_price == Decimal("1999.00") and sku.weight_g == 0


def test_cost_price_shown_only_to_roles_that_may_see_it(client, login, catalogue):
    """Procurement sees the cost price on the product page; marketing does not."""
    url = f"/backoffice/catalog/products/{catalogue['product'].pk}/"
    login("procurement")
    assert "¥1500.00" in client.get(url).content.decode()
    login("marketing")
    assert "¥1500.00" not in client.get(url).content.decode()


def test_publish_without_priced_sku_shows_the_reason(client, login, catalogue):
    """Publishing a product with no SKU is refused with the service's message; still a draft."""
    login("operations")
    product = ProductFactory(category=catalogue["smart"])
    response = client.post(
        f"/backoffice/catalog/products/{product.pk}/status/", {"status": "on_sale"}, follow=True
    )
    assert "至少" in response.content.decode() or "at least one" in response.content.decode()
    product.refresh_from_db()
    assert product.status == ProductStatus.DRAFT


def test_publish_then_take_off_the_shelf(client, login, catalogue):
    """Publish puts the product on sale; the other button takes it off the shelf."""
    login("operations")
    pk = catalogue["product"].pk
    client.post(f"/backoffice/catalog/products/{pk}/status/", {"status": "on_sale"})
    assert Product.objects.get(pk=pk).status == ProductStatus.ON_SALE
    client.post(f"/backoffice/catalog/products/{pk}/status/", {"status": "off_shelf"})
    assert Product.objects.get(pk=pk).status == ProductStatus.OFF_SHELF


def test_image_upload_shows_webp_thumbnail_and_delete(client, login, catalogue):
    """An uploaded PNG appears with WebP thumbnails; delete removes it."""
    login("operations")
    product = catalogue["product"]
    upload = SimpleUploadedFile("phone.png", png_bytes(), content_type="image/png")
    response = client.post(
        f"/backoffice/catalog/products/{product.pk}/images/", {"image": upload, "alt": "正面"}
    )
    assert response.status_code == 302
    image = product.images.get()
    page = client.get(f"/backoffice/catalog/products/{product.pk}/").content.decode()
    assert ".webp" in page
    assert ".webp" in client.get(LIST).content.decode()
    client.post(f"/backoffice/catalog/images/{image.pk}/delete/")
    assert not product.images.exists()


def test_upload_that_is_not_an_image_is_refused_on_the_field(client, login, catalogue):
    """A text file posted as an image: 400 with the error on the image field."""
    login("operations")
    product = catalogue["product"]
    upload = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    response = client.post(f"/backoffice/catalog/products/{product.pk}/images/", {"image": upload})
    assert response.status_code == 400
    assert "image" in response.context["image_form"].errors
    assert not product.images.exists()


def _skus(catalogue):
    return list(catalogue["product"].skus.order_by("pk"))


def test_bulk_price_page_lists_skus_of_checked_products(client, login, catalogue):
    """Ticking a product in the list brings all its SKUs to the price page."""
    login("operations")
    response = client.get("/backoffice/catalog/prices/", {"product": catalogue["product"].pk})
    assert [s.pk for s in response.context["skus"]] == [s.pk for s in _skus(catalogue)]


def test_bulk_price_page_takes_all_skus_matching_the_filter(client, login, catalogue):
    """“All matching products” takes the list's filter."""
    login("operations")
    SkuFactory(product=ProductFactory(name="别的", category=catalogue["smart"]))
    response = client.get("/backoffice/catalog/prices/", {"q": "测试手机", "all": "1"})
    assert {s.product_id for s in response.context["skus"]} == {catalogue["product"].pk}


def test_bulk_preview_shows_old_and_new_and_writes_nothing(client, login, catalogue):
    """The preview lists old → new prices, flags prices that would drop to zero, writes nothing."""
    login("operations")
    skus = _skus(catalogue)
    response = client.post(
        "/backoffice/catalog/prices/preview/",
        {"mode": "amount", "value": "-1999", "sku": [s.pk for s in skus]},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "1999.00" in body and "0.00" in body
    assert all(c.problem for c in response.context["changes"])
    assert {s.list_price for s in Sku.objects.all()} == {Decimal("1999.00")}


def test_bulk_apply_refuses_a_stale_preview(client, login, catalogue):
    """If a price changed after the preview, apply changes nothing and shows a fresh preview."""
    user = login("operations")
    skus = _skus(catalogue)
    data = {"mode": "set", "value": "1500", "sku": [s.pk for s in skus]}
    data.update({f"expected_{s.pk}": "1999.00" for s in skus})
    catalog.update_sku(actor=user, sku_id=skus[0].pk, list_price="1888.00")
    response = client.post("/backoffice/catalog/prices/apply/", data)
    assert response.status_code == 409
    prices = sorted(Sku.objects.values_list("list_price", flat=True))
    assert prices == [Decimal("1888.00"), Decimal("1999.00")]
    assert response.context["changes"][0].old_price == Decimal("1888.00")


def test_category_tree_create_rename_and_move(client, login, catalogue):
    """Operations adds a child, renames it and moves subtrees up and into another category."""
    login("operations")
    smart = catalogue["smart"]
    client.post("/backoffice/catalog/categories/new/", {"name": "老人机", "parent": smart.pk})
    child = Category.objects.get(name="老人机")
    assert Category.objects.get_parent(child).pk == smart.pk
    client.post(f"/backoffice/catalog/categories/{child.pk}/rename/", {"name": "长辈手机"})
    child.refresh_from_db()
    assert child.name == "长辈手机"
    client.post("/backoffice/catalog/categories/new/", {"name": "电视"})
    tv = Category.objects.get(name="电视")
    client.post(f"/backoffice/catalog/categories/{tv.pk}/move/", {"direction": "up"})
    roots = [c.name for c in Category.objects.get_root_nodes()]
    assert roots == ["电视", "手机"]
    client.post(
        f"/backoffice/catalog/categories/{smart.pk}/move/",
        {"target": tv.pk, "position": "last-child"},
    )
    smart.refresh_from_db()
    assert Category.objects.get_parent(smart).name == "电视"
    assert [c.name for c in Category.objects.get_children(smart)] == [
        "长辈手机"
    ]  # the subtree moved along
    page = client.get("/backoffice/catalog/categories/").content.decode()
    assert "长辈手机" in page


def test_brand_create_and_duplicate_name(client, login, catalogue):
    """A new brand is listed; the same name again is refused on the name field."""
    login("operations")
    assert client.post("/backoffice/catalog/brands/", {"name": "小米"}).status_code == 302
    response = client.post("/backoffice/catalog/brands/", {"name": "小米"})
    assert response.status_code == 400 and "name" in response.context["form"].errors

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import override
from PIL import Image

from mercato.catalog import services
from mercato.catalog.models import Category, Product, ProductStatus, Sku
from mercato.catalog.text import barcode_error, pinyin_slug, sanitize_html
from mercato.core.errors import Conflict, PermissionDeniedError, ValidationFailed
from mercato.testing.factories import ProductFactory, SkuFactory, make_category


def test_sanitizing_removes_scripts_event_handlers_and_javascript_urls():
    dirty = (
        '<p onclick="steal()">好<script>alert(1)</script></p>'
        '<img src="x.png" onerror="alert(2)"><a href="javascript:alert(3)">点</a>'
        '<a href="https://example.com/a">ok</a><iframe src="https://evil"></iframe>'
    )
    clean = sanitize_html(dirty)
    for bad in ("script", "onclick", "onerror", "javascript:", "iframe", "alert(1)"):
        assert bad not in clean
    assert "<p>好</p>" in clean
    assert 'href="https://example.com/a"' in clean


def test_slugs_come_from_pinyin():
    assert pinyin_slug("智能手机") == "zhi-neng-shou-ji"
    assert pinyin_slug("Apple iPhone 15 手机壳") == "apple-iphone-15-shou-ji-ke"
    assert pinyin_slug("!!!") == "item"


@pytest.mark.parametrize(
    ("code", "problem", "problem_en"),
    [
        ("6901234567892", None, None),
        ("", None, None),
        ("6901234567891", "EAN-13 条码校验位错误", "The EAN-13 check digit is wrong"),
        ("690123456789", "EAN-13 条码必须是 13 位数字", "An EAN-13 barcode has exactly 13 digits"),
        ("69012345678ab", "EAN-13 条码必须是 13 位数字", "An EAN-13 barcode has exactly 13 digits"),
    ],
)
def test_barcodes_are_checked_as_ean13_with_the_message_in_the_users_language(
    code, problem, problem_en
):
    assert barcode_error(code) == problem  # Simplified Chinese is the default
    with override("en"):
        assert barcode_error(code) == problem_en


@pytest.mark.django_db
def test_a_product_description_is_sanitised_when_saved(ops_user):
    category = make_category()
    product = services.create_product(
        actor=ops_user,
        code="P1",
        name="蓝牙耳机",
        category_id=category.pk,
        description='<p>音质<script>x()</script></p><img src=a onerror="y()">',
    )
    product.refresh_from_db()
    assert product.slug == "lan-ya-er-ji"
    assert "script" not in product.description and "onerror" not in product.description
    services.update_product(
        actor=ops_user, product_id=product.pk, description='<a href="javascript:z()">x</a>'
    )
    product.refresh_from_db()
    assert "javascript" not in product.description


@pytest.mark.django_db
def test_create_product_names_unknown_references_and_writes_nothing(ops_user):
    with pytest.raises(ValidationFailed) as exc:
        services.create_product(actor=ops_user, code="P1", name="x", category_id=999, brand_id=999)
    assert {e["field"] for e in exc.value.errors()} == {"category", "brand"}
    assert Product.objects.count() == 0


@pytest.mark.django_db
def test_generating_skus_twice_adds_only_the_new_combinations(ops_user):
    product = ProductFactory(code="P9")
    services.generate_skus(
        actor=ops_user, product_id=product.pk, spec_values={"颜色": ["黑", "白"]}, list_price="10"
    )
    added = services.generate_skus(
        actor=ops_user,
        product_id=product.pk,
        spec_values={"颜色": ["黑", "白", "蓝"]},
        list_price="12.50",
    )
    assert [s.specs for s in added] == [{"颜色": "蓝"}]
    assert sorted(product.skus.values_list("code", flat=True)) == ["P9-01", "P9-02", "P9-03"]
    product.refresh_from_db()
    assert (product.min_price, product.max_price) == (Decimal("10.00"), Decimal("12.50"))


@pytest.mark.django_db
@pytest.mark.parametrize("price", ["-1", "abc", "1.234", "NaN", "1e12"])
def test_bad_prices_are_refused_with_the_field_named(ops_user, price):
    product = ProductFactory()
    with pytest.raises(ValidationFailed) as exc:
        services.generate_skus(
            actor=ops_user, product_id=product.pk, spec_values={"颜色": ["黑"]}, list_price=price
        )
    assert exc.value.errors()[0]["field"] == "list_price"
    assert Sku.objects.count() == 0


@pytest.mark.django_db
def test_a_price_change_needs_change_price_even_for_a_product_editor(make_staff):
    marketing = make_staff("marketing")
    sku = SkuFactory(list_price=Decimal("50.00"))
    with pytest.raises(PermissionDeniedError):
        services.update_sku(actor=marketing, sku_id=sku.pk, list_price="1.00")
    sku.refresh_from_db()
    assert sku.list_price == Decimal("50.00")


@pytest.mark.django_db
def test_publishing_needs_a_priced_active_sku(ops_user):
    product = ProductFactory()
    with pytest.raises(Conflict):
        services.set_product_status(
            actor=ops_user, product_id=product.pk, status=ProductStatus.ON_SALE
        )
    SkuFactory(product=product)
    published = services.set_product_status(
        actor=ops_user, product_id=product.pk, status=ProductStatus.ON_SALE
    )
    assert published.status == ProductStatus.ON_SALE and published.published_at is not None


@pytest.mark.django_db
def test_bulk_price_change_preview_writes_nothing_and_apply_rounds_half_up(ops_user):
    a = SkuFactory(list_price=Decimal("19.99"))
    b = SkuFactory(list_price=Decimal("0.05"))
    preview = services.preview_price_change(
        actor=ops_user, sku_ids=[a.pk, b.pk], mode="percent", value="-10"
    )
    assert [(c.old_price, c.new_price) for c in preview] == [
        (Decimal("19.99"), Decimal("17.99")),  # 17.991 → 17.99
        (Decimal("0.05"), Decimal("0.05")),  # 0.045 → 0.05 (half up)
    ]
    assert Sku.objects.get(pk=a.pk).list_price == Decimal("19.99")
    services.apply_price_change(actor=ops_user, sku_ids=[a.pk, b.pk], mode="percent", value="-10")
    assert Sku.objects.get(pk=a.pk).list_price == Decimal("17.99")


@pytest.mark.django_db
def test_a_bulk_change_that_would_make_a_price_zero_changes_nothing(ops_user):
    a = SkuFactory(list_price=Decimal("100.00"))
    b = SkuFactory(list_price=Decimal("5.00"))
    with pytest.raises(ValidationFailed) as exc:
        services.apply_price_change(
            actor=ops_user, sku_ids=[a.pk, b.pk], mode="amount", value="-10"
        )
    assert b.code in exc.value.errors()[0]["message"]
    assert Sku.objects.get(pk=a.pk).list_price == Decimal("100.00")


@pytest.mark.django_db
def test_a_stale_preview_is_refused(ops_user):
    sku = SkuFactory(list_price=Decimal("100.00"))
    services.update_sku(actor=ops_user, sku_id=sku.pk, list_price="120.00")
    with pytest.raises(Conflict):
        services.apply_price_change(
            actor=ops_user,
            sku_ids=[sku.pk],
            mode="set",
            value="99",
            expected={sku.pk: Decimal("100.00")},
        )
    assert Sku.objects.get(pk=sku.pk).list_price == Decimal("120.00")


@pytest.mark.django_db
def test_moving_a_category_moves_its_whole_subtree(ops_user):
    phones = make_category("手机数码")
    mobiles = make_category("手机", parent=phones)
    smart = make_category("智能手机", parent=mobiles)
    home = make_category("家用电器")
    services.move_category(
        actor=ops_user, category_id=mobiles.pk, target_id=home.pk, position="last-child"
    )
    mobiles.refresh_from_db()
    smart.refresh_from_db()
    home.refresh_from_db()
    phones.refresh_from_db()
    assert Category.objects.get_parent(mobiles) == home
    assert Category.objects.get_parent(smart) == mobiles and smart.depth == 3
    assert list(Category.objects.get_descendants(home)) == [mobiles, smart]
    assert Category.objects.get_descendants(phones).count() == 0


@pytest.mark.django_db
def test_a_category_cannot_move_into_its_own_subtree(ops_user):
    top = make_category("图书")
    child = make_category("小说", parent=top)
    with pytest.raises(ValidationFailed):
        services.move_category(
            actor=ops_user, category_id=top.pk, target_id=child.pk, position="first-child"
        )
    assert Category.objects.get_parent(Category.objects.get(pk=child.pk)) == top


@pytest.mark.django_db
def test_category_siblings_keep_the_order_they_were_moved_to(ops_user):
    root = make_category("服装鞋帽")
    a = make_category("男装", parent=root)
    b = make_category("女装", parent=root)
    services.move_category(actor=ops_user, category_id=b.pk, target_id=a.pk, position="left")
    children = Category.objects.get_children(Category.objects.get(pk=root.pk))
    assert [c.name for c in children] == ["女装", "男装"]


def _png(width=900, height=600) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buf, "PNG")
    return SimpleUploadedFile("photo.png", buf.getvalue(), content_type="image/png")


@pytest.mark.django_db
def test_an_uploaded_image_gets_webp_thumbnails_in_every_size(ops_user, settings):
    product = ProductFactory()
    image = services.add_product_image(actor=ops_user, product_id=product.pk, upload=_png())
    assert (image.width, image.height) == (900, 600)
    thumbs = list((settings.MEDIA_ROOT / "thumbs").rglob("*.webp"))
    assert len(thumbs) == len(settings.THUMBNAIL_ALIASES[""])
    sizes = sorted(Image.open(t).size for t in thumbs)
    assert sizes == [(120, 120), (360, 360), (800, 533)]


@pytest.mark.django_db
def test_a_file_that_is_not_an_image_is_refused(ops_user):
    product = ProductFactory()
    fake = SimpleUploadedFile("x.png", b"<svg onload=alert(1)>", content_type="image/png")
    with pytest.raises(ValidationFailed) as exc:
        services.add_product_image(actor=ops_user, product_id=product.pk, upload=fake)
    assert exc.value.errors()[0]["field"] == "image"
    assert product.images.count() == 0


@pytest.mark.django_db
def test_a_named_version_is_new_at_each_renewal_and_a_rolled_back_one_never_returns():
    """Lists kept per process under a version (core.versioned) must never see a value
    again: a counter bumped in a rolled-back transaction and bumped again would repeat."""
    from django.db import transaction

    from mercato.catalog.models import CacheVersion
    from mercato.catalog.versions import renew_named_version

    def read():
        return CacheVersion.objects.filter(name="test-list").values_list("version", flat=True)[0]

    seen = set()
    for _ in range(3):
        renew_named_version("test-list")
        seen.add(read())
    assert len(seen) == 3

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        renew_named_version("test-list")
        undone = read()
        raise Undo
    renew_named_version("test-list")
    assert read() not in {undone, *seen}

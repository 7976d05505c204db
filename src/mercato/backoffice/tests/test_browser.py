"""End to end in Chromium: operations builds and publishes a product; customer service
cannot reach the price form."""

import io
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from mercato.catalog import services as catalog
from mercato.catalog.models import Sku
from mercato.testing.factories import BrandFactory, make_category

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pass-1234-word"


def _png(colour, size=(480, 480)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def shop(settings):
    settings.ROOT_URLCONF = "mercato.backoffice.tests.urls_live"
    phones = make_category("手机数码", slug="shou-ji-shu-ma")
    smart = make_category("智能手机", parent=phones, slug="zhi-neng-shou-ji")
    catalog.set_category_specs(
        actor=None, category_id=smart.pk, specs=[("颜色", ["黑色", "白色", "蓝色"])]
    )
    brand = BrandFactory(name="华为", slug="huawei")
    return {"smart": smart, "brand": brand}


def _add_examples(shop, ops):
    """A few products with SKUs and images, so the list looks like a shop's."""
    examples = [
        ("P0001", "华为 Mate 60 Pro 智能手机", "5999.00", (30, 30, 40)),
        ("P0002", "华为 nova 12 轻薄手机", "2499.00", (40, 110, 200)),
        ("P0003", "华为 畅享 70 大电池手机", "1199.00", (200, 80, 40)),
    ]
    for code, name, price, colour in examples:
        product = catalog.create_product(
            actor=ops, code=code, name=name, category_id=shop["smart"].pk,
            brand_id=shop["brand"].pk,
        )  # fmt: skip
        catalog.generate_skus(
            actor=ops, product_id=product.pk, spec_values={"颜色": ["黑色", "白色"]},
            list_price=Decimal(price),
        )  # fmt: skip
        upload = SimpleUploadedFile(f"{code}.png", _png(colour), content_type="image/png")
        catalog.add_product_image(actor=ops, product_id=product.pk, upload=upload)
        catalog.set_product_status(actor=ops, product_id=product.pk, status="on_sale")


def _log_in(page, base, username):
    page.goto(f"{base}/backoffice/")
    assert "/backoffice/login/" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{base}/backoffice/")


def test_operations_creates_publishes_and_lists_a_product(
    live_server, browser_page, shop, make_staff, tmp_path
):
    """Log in, create a product, generate two SKUs from two colours, upload an image, publish,
    and find it on sale in the product list."""
    ops = make_staff("operations", username="yunying")
    _add_examples(shop, ops)
    page, base = browser_page, live_server.url
    _log_in(page, base, "yunying")

    page.click("nav.sidenav >> text=新建商品")
    page.fill("input[name=code]", "P9001")
    page.fill("input[name=name]", "华为 Pura 70 旗舰手机")
    page.select_option("select[name=category]", str(shop["smart"].pk))
    page.select_option("select[name=brand]", str(shop["brand"].pk))
    page.click("text=创建商品")
    page.wait_for_url(re.compile(r"/backoffice/catalog/products/\d+/$"))

    page.check("label:has-text('黑色') >> input")
    page.check("label:has-text('白色') >> input")
    page.fill("input[name=list_price]", "6499.00")
    page.click("button:has-text('生成 SKU')")
    page.wait_for_selector("text=已生成 2 个 SKU")
    assert page.locator("td.mono", has_text="P9001-0").count() == 2

    image = tmp_path / "pura.png"
    image.write_bytes(_png((120, 20, 60)))
    page.set_input_files("input[name=image]", str(image))
    page.click("button:has-text('上传图片')")
    page.wait_for_selector("text=图片已添加")
    thumb = page.locator(".gallery img").first
    assert ".webp" in thumb.get_attribute("src")
    assert page.evaluate("(img) => img.naturalWidth", thumb.element_handle()) > 0

    page.click("button:has-text('上架')")
    page.wait_for_selector("text=当前状态")

    page.click("nav.sidenav >> text=商品列表")
    page.select_option("select[name=status]", "on_sale")
    page.wait_for_url(re.compile(r"status=on_sale"))
    row = page.locator("tr", has_text="华为 Pura 70 旗舰手机")
    row.wait_for()
    assert "on_sale" in row.locator(".status").get_attribute("class")
    assert "6499.00" in row.inner_text()

    shot = os.environ.get("MERCATO_SCREENSHOT_DIR")
    if shot:  # run with it set to refresh the README's screenshot
        page.goto(f"{base}/backoffice/catalog/products/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(Path(shot) / "backoffice-products.png"))


def test_customer_service_cannot_reach_the_price_form(live_server, browser_page, shop, make_staff):
    """A customer-service agent has no price menu entry, and the direct URLs show 403."""
    ops = make_staff("operations")
    _add_examples(shop, ops)
    make_staff("service", username="kefu")
    page, base = browser_page, live_server.url
    _log_in(page, base, "kefu")

    nav = page.locator("nav.sidenav").inner_text()
    assert "商品列表" in nav and "批量改价" not in nav
    response = page.goto(f"{base}/backoffice/catalog/prices/?product=1")
    assert response.status == 403
    assert page.locator("h1", has_text="无权访问").is_visible()
    sku = Sku.objects.order_by("pk").first()
    response = page.goto(f"{base}/backoffice/catalog/skus/{sku.pk}/")
    assert response.status == 403
    assert page.locator("input[name=list_price]").count() == 0

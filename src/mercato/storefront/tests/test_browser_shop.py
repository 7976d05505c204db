"""End to end in Chromium, phone and desktop: home → category → filter → product → SKU."""

import re

import pytest

from mercato.catalog.services import create_home_slot
from mercato.inventory.services import receive_stock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [(390, 844), (1280, 800)], ids=["phone", "desktop"])
def test_browse_to_a_product_and_choose_a_sku(
    live_server, phone_shop, ops_user, chromium_launch_args, viewport
):
    """A customer opens a category from the home page, filters by brand, opens a phone and
    picks the one colour/storage combination in stock for 上海市."""
    from playwright.sync_api import expect, sync_playwright

    create_home_slot(
        actor=ops_user, kind="category", category_id=phone_shop["root"].pk, title="数码楼层"
    )
    width, height = viewport
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**chromium_launch_args)
        page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(live_server.url + "/")
        page.get_by_role("link", name="数码楼层").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("数码")
        if width < 960:  # on a phone the filters fold behind their summary (筛选)
            page.locator("aside.facets summary").click()
        page.locator(".facet a", has_text="华为").click()  # htmx swap, URL pushed
        expect(page).to_have_url(re.compile(r"brand=huawei"))
        expect(page.locator(".results .card")).to_have_count(2)
        page.get_by_role("link", name="华为 手机 1").click()
        page.select_option("select[name=province]", "上海市")  # submits, remembered
        expect(page.locator("select[name=province]")).to_have_value("上海市")
        white = page.locator('input[name="颜色"][value="白色"]')
        expect(white).to_be_disabled()  # 白色 is only in the 成都 warehouse
        page.locator("label.chip", has_text="黑色").click()
        page.locator("label.chip", has_text="128GB").click()
        expect(page.locator("#sku-stock .in")).to_have_text("有货")
        expect(page.locator("#sku-code")).to_have_text(phone_shop["skus"][("黑色", "128GB")].code)
        expect(page.locator("button.add-to-cart")).to_be_enabled()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert not errors
        browser.close()


def test_another_delivery_province_keeps_the_sku_chosen(
    live_server, phone_shop, chromium_launch_args
):
    """The SKU is chosen in place (no reload); changing the province reloads the page for
    the new stock and must come back with that SKU still chosen."""
    from playwright.sync_api import expect, sync_playwright

    east = phone_shop["warehouses"][0]
    black_256 = phone_shop["skus"][("黑色", "256GB")]
    receive_stock(actor=None, sku_id=black_256.pk, warehouse_id=east.pk, quantity=3)
    black_128 = phone_shop["skus"][("黑色", "128GB")]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**chromium_launch_args)
        page = browser.new_page(locale="zh-CN")
        page.goto(live_server.url + "/p/phone-huawei-1/")
        page.select_option("select[name=province]", "上海市")
        expect(page.locator("select[name=province]")).to_have_value("上海市")
        page.locator("label.chip", has_text="黑色").click()
        page.locator("label.chip", has_text="256GB").click()
        expect(page.locator("#sku-code")).to_have_text(black_256.code)
        page.select_option("select[name=province]", "江苏省")  # same warehouse, page reloads
        expect(page.locator("select[name=province]")).to_have_value("江苏省")
        expect(page.locator('input[name="存储容量"][value="256GB"]')).to_be_checked()
        expect(page.locator("#sku-code")).to_have_text(black_256.code)
        assert black_128.code != black_256.code
        browser.close()

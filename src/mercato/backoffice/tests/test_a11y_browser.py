"""Accessibility of the back office (issue 18), in Chromium:

- axe-core's WCAG 2.2 A/AA rules find nothing on any back-office page each department's
  demo user may open; the pages come from the URL configuration (mercato.testing.pages),
  so a page added later is checked too;
- a product edit and a bulk price change with the keyboard only, with the focus where a
  keyboard user expects it after each step.
"""

from decimal import Decimal

import pytest

from mercato.catalog.models import Product, Sku
from mercato.demo.data import DEMO_LOGINS
from mercato.testing.a11y import focused, follow, share_session, tab_to, walk
from mercato.testing.a11y import report as _report
from mercato.testing.factories import make_order, priced_line
from mercato.testing.pages import pages
from mercato.testing.payments import paid_payment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROLES = {username: (department, roles) for username, department, roles, *_ in DEMO_LOGINS}


@pytest.fixture
def office(phone_shop, rates):
    """The phone shop's catalogue, an order and a paid payment: rows for the pages' ids."""
    sku = phone_shop["skus"][("黑色", "128GB")]
    make_order(lines=[priced_line(sku=sku, unit_price="2999.00")])
    paid_payment()
    return phone_shop


@pytest.mark.parametrize("username", list(ROLES))
def test_no_back_office_page_breaks_a_wcag_rule(
    live_server, client, browser_page, make_staff, office, username
):
    department, roles = ROLES[username]
    client.force_login(make_staff(department, roles=roles))
    urls = pages(client, prefix="backoffice/")
    assert "/backoffice/" in urls  # every staff member has a workspace
    share_session(client, browser_page, live_server.url)
    found = walk(browser_page, live_server.url, urls)
    assert not found, _report(found)


def test_product_edit_and_price_change_with_the_keyboard_only(
    live_server, browser_page, make_staff, office
):
    from playwright.sync_api import expect

    page, base = browser_page, live_server.url
    make_staff("operations", username="kb-ops", password="kb-pass-1234")
    product = office["products"][0]

    # Log in: the user name has the focus; Tab to the password; Enter sends.
    page.goto(base + "/backoffice/login/")
    assert focused(page)["name"] == "username"
    page.keyboard.type("kb-ops")
    page.keyboard.press("Tab")
    page.keyboard.type("kb-pass-1234")
    follow(page)
    expect(page).to_have_url(base + "/backoffice/")

    # The skip link first, then the workspace's own links.
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "跳到主要内容"
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"
    tab_to(page, lambda f: f["href"] == "/backoffice/catalog/products/")
    follow(page)

    # The product list → the product → its form: a new name, Enter saves.
    expect(page.locator("h1")).to_have_text("商品列表")
    tab_to(page, lambda f: f["href"] == f"/backoffice/catalog/products/{product.pk}/")
    follow(page)
    tab_to(page, lambda f: f["id"] == "id_name")
    page.keyboard.press("Control+A")
    page.keyboard.type("华为 手机 1 旗舰版")
    follow(page)
    expect(page.locator(".messages")).to_contain_text("商品已保存")
    assert Product.objects.get(pk=product.pk).name == "华为 手机 1 旗舰版"
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "跳到主要内容"

    # Back to the list; tick the product (Space), then change its prices.
    page.goto(base + "/backoffice/catalog/products/")
    tab_to(page, lambda f: f["name"] == "product" and f["value"] == str(product.pk))
    page.keyboard.press("Space")
    tab_to(page, lambda f: f["text"] == "为勾选的商品改价")
    follow(page)
    expect(page.locator("h1")).to_have_text("批量改价")
    tab_to(page, lambda f: f["id"] == "id_mode")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "id_value"
    page.keyboard.type("-10")
    tab_to(page, lambda f: f["text"] == "预览")
    page.keyboard.press("Enter")
    # The preview is the answer: the focus moves to its heading, and Tab reaches 应用.
    expect(page.locator("#preview h2")).to_be_focused()
    tab_to(page, lambda f: f["id"] == "apply-prices")
    follow(page)
    expect(page.locator(".messages .msg-success")).to_be_visible()
    prices = set(Sku.objects.filter(product=product).values_list("list_price", flat=True))
    assert prices == {Decimal("2699.10")}
    assert not page.errors

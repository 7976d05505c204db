"""Accessibility of the shop (issue 18), in Chromium:

- axe-core's WCAG 2.2 A/AA rules find nothing on any shop page, for a guest and for a
  logged-in customer with a cart and an order; the pages come from the URL configuration
  (mercato.testing.pages), so a page added later is checked too;
- buying with the keyboard only, home → product → cart → checkout → order, with the focus
  where a keyboard user expects it after each step (after 增加一件 it is on 增加一件 again);
- the search box is a combobox: arrows, Enter and Escape, and the suggestions' count read out;
- on a phone (390 × 844) and a tablet (768 × 1024) the filters fold behind 筛选 with the
  count in force, and the checkout shows only what the chosen options need.
"""

import re

import pytest

from mercato.catalog.services import create_home_slot
from mercato.customers.services import add_address, create_customer
from mercato.testing.a11y import focused, follow, share_session, tab_to, walk
from mercato.testing.a11y import report as _report
from mercato.testing.factories import make_order, priced_line
from mercato.testing.pages import pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Shop-Pass-2026"
NOT_SHOP = ("backoffice/", "admin/", "api/")


@pytest.fixture
def shop_pages(phone_shop, rates, ops_user):
    """The phone shop with a home floor, and a customer with a saved address and an order."""
    create_home_slot(
        actor=ops_user, kind="category", category_id=phone_shop["root"].pk, title="数码楼层"
    )
    customer = create_customer(mobile="13900004444", name="赵六", password=PASSWORD)
    add_address(
        actor=None, customer_id=customer.pk, recipient="赵六", mobile="13900004444",
        province="上海市", city="上海市", district="浦东新区", detail="世纪大道2号",
    )  # fmt: skip
    sku = phone_shop["skus"][("黑色", "128GB")]
    make_order(customer=customer, lines=[priced_line(sku=sku, unit_price="2999.00")])
    return {**phone_shop, "customer": customer, "sku": sku}


def test_no_shop_page_breaks_a_wcag_rule_for_a_guest(live_server, client, browser_page, shop_pages):
    urls = pages(client, prefix="", exclude=NOT_SHOP)
    # The walk found the pages by itself: the home, a category, a product, search, cart...
    assert {"/", "/c/shuma/", "/search/", "/cart/", "/account/login/"} <= set(urls)
    assert any(u.startswith("/p/") for u in urls)
    found = walk(browser_page, live_server.url, urls)
    assert not found, _report(found)


def test_no_shop_page_breaks_a_wcag_rule_for_a_customer(
    live_server, client, browser_page, shop_pages
):
    assert client.login(username=shop_pages["customer"].user.username, password=PASSWORD)
    client.post(
        "/cart/add/", {"sku": shop_pages["sku"].pk, "quantity": 1, "next": "/cart/"}
    )  # a cart to check out
    urls = pages(client, prefix="", exclude=NOT_SHOP)
    assert {"/account/", "/cart/", "/checkout/", "/orders/"} <= set(urls)
    assert any(re.fullmatch(r"/orders/[\d-]+/", u) for u in urls)
    share_session(client, browser_page, live_server.url)
    found = walk(browser_page, live_server.url, urls)
    assert not found, _report(found)


# Keyboard only ---------------------------------------------------------------------------


def test_buying_with_the_keyboard_only(live_server, client, browser_page, shop_pages):
    from playwright.sync_api import expect

    page, base = browser_page, live_server.url
    assert client.login(username=shop_pages["customer"].user.username, password=PASSWORD)
    share_session(client, page, base)

    # Home: the first Tab is the skip link; through it the products are a few Tabs away.
    page.goto(base + "/")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "跳到主要内容"
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"
    tabs = tab_to(page, lambda f: f["href"].startswith("/p/phone-huawei-1/"))
    assert tabs <= 6  # the categories, the floor, its products (was about 20 from the top)
    follow(page)

    # Product: skip link, then the SKU choice, the quantity and 加入购物车.
    expect(page).to_have_url(re.compile(r"/p/phone-huawei-1/"))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    tabs = tab_to(page, lambda f: f["text"] == "加入购物车")
    assert tabs <= 12  # was 17 from the top, through the header
    page.keyboard.press("Enter")
    expect(page.locator("#cart-added .cart-ok")).to_be_visible()
    assert focused(page)["text"] == "加入购物车"  # the note is read out; the focus stays

    # Cart: 增加一件 keeps the focus on 增加一件 after the line is redrawn.
    page.goto(base + "/cart/")
    tab_to(page, lambda f: f["text"] == "增加一件")
    page.keyboard.press("Enter")
    expect(page.locator(".cart-line .qty")).to_have_value("2")
    expect(page.locator(".cart-line button.step").last).to_be_focused()
    expect(page.locator("#announcer")).to_contain_text("¥")  # the new total, read out
    tab_to(page, lambda f: f["text"] == "去结算")
    follow(page)

    # Checkout: the saved address is chosen, so its form is not in the way; cash on delivery.
    expect(page).to_have_url(base + "/checkout/")
    expect(page.locator("#address-fields")).to_be_hidden()
    value = "() => document.activeElement.name + '=' + document.activeElement.value"
    tab_to(page, lambda f: page.evaluate(value).startswith("payment_method="))
    for _ in range(4):  # the arrows move through a radio group's choices
        if page.evaluate(value) == "payment_method=cod":
            break
        page.keyboard.press("ArrowDown")
    assert page.evaluate(value) == "payment_method=cod"
    tab_to(page, lambda f: f["id"] == "place-order")
    follow(page)

    # The order: its page, whose heading names it.
    expect(page).to_have_url(re.compile(r"/orders/\d{8}-\d{6}/"))
    expect(page.locator("h1")).to_have_count(1)
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "跳到主要内容"
    assert not page.errors


def test_search_box_is_a_combobox(live_server, browser_page, shop_pages):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(live_server.url + "/search/")
    box = page.get_by_role("combobox", name="搜索商品")
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press_sequentially("华为")
    expect(box).to_have_attribute("aria-expanded", "true", timeout=20_000)  # the suggestions answer
    listbox = page.locator("#" + box.get_attribute("aria-controls"))
    options = listbox.get_by_role("option")
    expect(options.first).to_be_visible()
    expect(page.locator("#announcer")).to_contain_text("条建议")
    # Down moves into the list (the focus stays in the box), Escape closes it.
    box.press("ArrowDown")
    first = options.first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    expect(box).to_be_focused()
    box.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(listbox).to_be_hidden()
    # Enter on a chosen option opens it.
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-expanded", "true", timeout=20_000)
    box.press("ArrowDown")
    href = page.locator("[role=option][aria-selected=true]").get_attribute("data-href")
    box.press("Enter")
    page.wait_for_url(live_server.url + href)


# Phones and tablets ---------------------------------------------------------------------
@pytest.mark.parametrize("size", [(390, 844), (768, 1024)])
def test_filters_fold_behind_a_button_on_small_screens(live_server, browser_page, shop_pages, size):
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(live_server.url + "/c/shouji/")
    panel = page.locator(".facets > details")
    expect(panel).not_to_have_attribute("open", "")
    # The first product is on the first screen, not below the filters.
    card = page.locator(".cards .card").first.bounding_box()
    assert card["y"] < size[1]
    summary = panel.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(panel).to_have_attribute("open", "")
    page.locator(".facet a", has_text="华为").first.click()
    expect(page.locator(".facets > details")).not_to_have_attribute("open", "")
    expect(page.locator("[data-filter-count]")).to_have_text("1")
    expect(page.locator(".facets summary")).to_have_attribute("aria-label", "筛选，已选 1 项")
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]


def test_filters_stay_open_beside_the_products_on_a_wide_screen(
    live_server, browser_page, shop_pages
):
    from playwright.sync_api import expect

    browser_page.goto(live_server.url + "/c/shouji/")
    expect(browser_page.locator(".facets > details")).to_have_attribute("open", "")


@pytest.mark.parametrize("size", [(390, 844), (768, 1024)])
def test_checkout_shows_only_what_the_choices_need(
    live_server, client, browser_page, shop_pages, size
):
    from playwright.sync_api import expect

    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": size[0], "height": size[1]})
    assert client.login(username=shop_pages["customer"].user.username, password=PASSWORD)
    client.post("/cart/add/", {"sku": shop_pages["sku"].pk, "quantity": 1, "next": "/cart/"})
    share_session(client, page, base)
    page.goto(base + "/checkout/")
    # A saved address is chosen and no invoice wanted: no address form, no invoice fields.
    expect(page.locator("input[name=address_id]:checked")).to_have_count(1)
    expect(page.locator("#address-fields")).to_be_hidden()
    expect(page.locator(".paste-box")).to_be_hidden()
    expect(page.locator("#id_invoice_title")).to_be_hidden()
    expect(page.locator("#id_invoice_tax_id")).to_be_hidden()
    page.check("input[name=address_id][value=new]")
    expect(page.locator("#address-fields")).to_be_visible()
    page.select_option("#id_invoice_kind", "personal")
    expect(page.locator("#id_invoice_title")).to_be_visible()
    expect(page.locator("#id_invoice_tax_id")).to_be_hidden()
    page.select_option("#id_invoice_kind", "company")
    expect(page.locator("#id_invoice_tax_id")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]

"""End to end in Chromium: choose a SKU, add it to the cart, watch the header's count, then
change a quantity and remove a line on the cart page, all without a page reload."""

import re

import pytest

from mercato.cart.models import CartLine

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _choose(page, *values):
    for value in values:
        page.locator("label.chip", has_text=value).click()


def _post_in_cart(page, send):
    """`send()` (a click or a change that htmx posts) once the cart's body is live, back when
    the answer has come. htmx attaches a swapped-in body's triggers only when it settles, 20 ms
    after the swap and later on a loaded machine: a change fired on a body already shown but
    not yet settled is lost, no request goes, and the answer waited for never comes."""
    from playwright.sync_api import expect

    expect(page.locator("#cart-body")).not_to_have_class(re.compile(r"\bhtmx-(added|settling)\b"))
    with page.expect_response(lambda r: r.request.method == "POST" and "/cart/lines/" in r.url):
        send()


def test_add_to_cart_then_change_and_remove_in_place(live_server, phone_shop, browser_page):
    from playwright.sync_api import expect

    page = browser_page

    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    product = phone_shop["products"][0]
    page.goto(f"{live_server.url}/p/{product.slug}/")
    count = page.locator("#mini-cart .mini-count")
    expect(count).to_have_text("0")  # loaded by htmx into the cached page's header
    page.evaluate("window.stayed = true")  # gone if the page reloads

    _choose(page, "黑色", "128GB")
    page.fill("#add-quantity", "2")
    page.click("button.add-to-cart")
    expect(page.locator("#cart-added")).to_contain_text("已加入购物车")
    expect(count).to_have_text("2")
    assert page.evaluate("window.stayed === true")
    # 白色 does not combine with 128GB in stock, so the page offers it from a fresh start.
    white = phone_shop["skus"][("白色", "256GB")]
    page.goto(f"{live_server.url}/p/{product.slug}/?sku={white.pk}")
    expect(count).to_have_text("2")
    page.click("button.add-to-cart")
    expect(count).to_have_text("3")

    page.fill("#add-quantity", "200")  # beyond the site's maximum: said next to the button
    page.click("button.add-to-cart")
    expect(page.locator("#cart-added .cart-error")).to_contain_text("每单最多购买")
    expect(count).to_have_text("3")

    page.click("#mini-cart a.mini-link")
    page.wait_for_url(f"{live_server.url}/cart/")
    page.evaluate("window.stayed = true")
    black = phone_shop["skus"][("黑色", "128GB")]
    line_id = CartLine.objects.get(sku=black).pk
    line = page.locator(f"#line-{line_id}")
    expect(line.locator(".line-subtotal")).to_have_text("¥5998.00")
    _post_in_cart(page, line.get_by_role("button", name="增加一件").click)
    expect(page.locator(f"#line-{line_id} .line-subtotal")).to_have_text("¥8997.00")
    expect(count).to_have_text("4")
    quantity = page.locator(f"#line-{line_id} input.qty")
    quantity.fill("1")
    _post_in_cart(page, lambda: quantity.dispatch_event("change"))
    expect(page.locator(f"#line-{line_id} .line-subtotal")).to_have_text("¥2999.00")
    expect(page.locator(".cart-total")).to_have_text("¥5998.00")
    quantity = page.locator(f"#line-{line_id} input.qty")
    quantity.fill("0")  # refused in place, the problem named, nothing changed
    _post_in_cart(page, lambda: quantity.dispatch_event("change"))
    expect(page.locator(".cart-error")).to_contain_text("数量至少为 1")
    expect(page.locator(f"#line-{line_id} input.qty")).to_have_value("1")

    white_id = CartLine.objects.get(sku=white).pk
    _post_in_cart(page, page.locator(f"#line-{white_id}").get_by_role("button", name="删除").click)
    expect(page.locator(".cart-line")).to_have_count(1)
    expect(count).to_have_text("1")
    assert page.evaluate("window.stayed === true")
    assert dict(CartLine.objects.values_list("sku_id", "quantity")) == {black.pk: 1}
    assert not errors

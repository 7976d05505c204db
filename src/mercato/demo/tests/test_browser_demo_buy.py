"""End to end in Chromium on the demo data: the shopper demo_info prints buys a home-page
product with the sandbox (approved on the cashier) and another with cash on delivery."""

import re

import pytest

from mercato.demo.data import DEMO_PASSWORD, DEMO_SHOPPERS
from mercato.demo.services import seed_demo
from mercato.orders.models import Order, OrderStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def add_featured_product(page, base: str, n: int) -> None:
    """Open the n-th product of the home page's featured block and add its first SKU."""
    from playwright.sync_api import expect

    page.goto(base + "/")
    page.locator("section.block").first.locator(".card a").nth(n).click()
    page.reload()  # a full load, as from any product link (see test_browser_buy)
    expect(page.locator("button.add-to-cart")).to_be_enabled()
    page.locator("button.add-to-cart").click()
    expect(page.locator("#cart-added .cart-ok")).to_be_visible()
    page.goto(base + "/cart/")
    page.locator("a.checkout").click()
    expect(page).to_have_url(f"{base}/checkout/")
    expect(page.locator("input[name=address_id]:checked")).to_have_count(1)


def test_the_demo_shopper_buys_with_the_sandbox_and_with_cod(live_server, page):
    from playwright.sync_api import expect

    seed_demo(seed=1, products=40, customers=10, quiet=True)
    mobile = DEMO_SHOPPERS[0][0]
    base = live_server.url
    page.goto(base + "/account/login/")
    page.fill("input[name=login]", mobile)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form.form button[type=submit]")
    expect(page).to_have_url(f"{base}/account/")

    add_featured_product(page, base, 0)
    page.check("input[name=payment_method][value=sandbox]")
    page.click("#place-order")
    expect(page).to_have_url(re.compile(r"/orders/\d{8}-\d{6}/pay/$"))
    page.click("#pay-go")
    page.click("#sandbox-approve")

    add_featured_product(page, base, 1)
    page.check("input[name=payment_method][value=cod]")
    page.click("#place-order")
    expect(page).to_have_url(re.compile(r"/orders/\d{8}-\d{6}/$"))

    orders = list(Order.objects.filter(customer__mobile=mobile).order_by("pk"))
    assert [o.status for o in orders] == [OrderStatus.PAID, OrderStatus.COD_CONFIRMED]
    page.goto(base + "/orders/")
    for order, shown in zip(orders, ("已支付", "货到付款"), strict=True):
        expect(page.locator("#orders tr", has_text=order.number)).to_contain_text(shown)
    assert not page.errors

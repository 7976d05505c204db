"""A lost answer can be recovered (issue 17): in Chromium, the checkout page sends the
placement again with the same idempotency key when the answer is lost or busy, and lands
on the order placed once, or says plainly that it was not placed.

The network between the page and the shop is what fails here, so Playwright plays it:
the first answer is dropped after the shop has placed the order, or every try is answered
"busy" without reaching the shop."""

import re

import pytest

from mercato.customers.services import add_address, create_customer
from mercato.orders.models import Order
from mercato.testing.buying import cart_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PLACE = "**/checkout/place/"


@pytest.fixture
def at_checkout(live_server, browser_page, phone_shop, rates):
    """A member logged in at checkout with one phone in the cart, to a saved address."""
    from playwright.sync_api import expect

    customer = create_customer(mobile="13900003333", name="王五", password="Shop-Pass-2026")
    add_address(
        actor=None, customer_id=customer.pk, recipient="王五", mobile="13900003333",
        province="上海市", city="上海市", district="浦东新区", detail="世纪大道1号",
    )  # fmt: skip
    cart_with(customer, (phone_shop["skus"][("黑色", "128GB")], 1))
    page = browser_page
    page.goto(live_server.url + "/account/login/")
    page.fill("input[name=login]", "13900003333")
    page.fill("input[name=password]", "Shop-Pass-2026")
    page.click("form.form button[type=submit]")
    page.goto(live_server.url + "/checkout/")
    expect(page.locator("#parcel-summary")).to_contain_text("上海仓")
    page.check("input[name=payment_method][value=cod]")
    return page


def test_an_answer_lost_after_the_order_was_placed_lands_on_that_order(at_checkout):
    from playwright.sync_api import expect

    page, posts = at_checkout, []

    def lose_the_first_answer(route):
        posts.append(route.request.post_data)
        if len(posts) == 1:
            route.fetch()  # the shop places the order ...
            route.abort("connectionreset")  # ... and its answer never reaches the browser
        else:
            route.continue_()

    page.route(PLACE, lose_the_first_answer)
    page.click("#place-order")
    expect(page).to_have_url(re.compile(r"/orders/\d{8}-\d{6}/$"), timeout=30000)
    order = Order.objects.get()  # one order, from the first try
    assert order.number in page.url
    keys = [re.search(r'name="idempotency_key"\r\n\r\n(\w+)', post).group(1) for post in posts]
    assert len(keys) == 2 and keys[0] == keys[1]  # the same key both times
    assert not page.errors


def test_a_shop_busy_on_every_try_says_the_order_was_not_placed(at_checkout):
    from playwright.sync_api import expect

    page, posts = at_checkout, []

    def busy(route):
        posts.append(route.request.post_data)
        route.fulfill(status=503, headers={"Retry-After": "0"}, body="busy")

    page.route(PLACE, busy)
    page.click("#place-order")
    expect(page.locator("#place-status.error")).to_contain_text("未提交")
    assert len(posts) == 6
    assert not Order.objects.exists()
    expect(page.locator("#place-order")).to_be_enabled()  # and may try again
    page.unroute(PLACE)
    page.click("#place-order")
    expect(page).to_have_url(re.compile(r"/orders/\d{8}-\d{6}/$"))
    assert Order.objects.count() == 1


def test_no_answer_at_all_says_the_order_is_not_confirmed(at_checkout):
    from playwright.sync_api import expect

    page = at_checkout
    page.evaluate("document.getElementById('place-status').dataset.retryBaseMs = '20'")
    page.route(PLACE, lambda route: route.abort("connectionrefused"))
    page.click("#place-order")
    expect(page.locator("#place-status.error")).to_contain_text("未确认")
    assert not Order.objects.exists()

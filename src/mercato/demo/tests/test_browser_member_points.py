"""End to end in Chromium on the demo data: a member pays part of the price with points at
checkout, and the order page shows the points deduction."""

import re

import pytest

from mercato.customers.models import Customer
from mercato.demo.data import DEMO_PASSWORD, DEMO_SHOPPERS
from mercato.demo.services import seed_demo
from mercato.orders.models import Order, OrderStatus

from .test_browser_demo_buy import add_featured_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_pays_part_of_the_price_with_points(live_server, page):
    from playwright.sync_api import expect

    seed_demo(seed=1, products=40, customers=10, quiet=True)
    mobile = DEMO_SHOPPERS[0][0]
    before = Customer.objects.get(mobile=mobile).points_balance
    assert before > 100
    base = live_server.url
    page.goto(base + "/account/login/")
    page.fill("input[name=login]", mobile)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form.form button[type=submit]")
    expect(page).to_have_url(f"{base}/account/")

    page.goto(base + "/account/member/")
    expect(page.locator("#member-tier")).to_contain_text("银卡会员")
    expect(page.locator("#points-balance")).to_have_text(str(before))

    add_featured_product(page, base, 0)
    total_before = page.locator("#checkout-total").inner_text()
    page.fill("#id_points", "100")
    page.click("#points-apply")
    expect(page.locator("#points-discount")).to_contain_text("100 积分 −¥1.00")
    expect(page.locator("#checkout-total")).not_to_have_text(total_before)
    page.check("input[name=payment_method][value=sandbox]")
    page.click("#place-order")
    expect(page).to_have_url(re.compile(r"/orders/\d{8}-\d{6}/pay/$"))
    page.click("#pay-go")
    page.click("#sandbox-approve")

    order = Order.objects.filter(customer__mobile=mobile).latest("pk")
    assert order.status == OrderStatus.PAID
    page.goto(f"{base}/orders/{order.number}/")
    expect(page.locator("#order-points")).to_contain_text("100 积分 −¥1.00")
    assert Customer.objects.get(mobile=mobile).points_balance == before - 100
    assert not page.errors

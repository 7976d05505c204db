"""In Chromium, the whole promotions story in one checkout: a member sees the 满减 tier
still to reach in the cart, adds one more and gets it, picks a coupon at checkout and pays
part of the rest with points; the order charges exactly what the page showed."""

import re
from decimal import Decimal

import pytest

from mercato.customers import points
from mercato.customers.models import Customer
from mercato.customers.services import add_address, create_customer
from mercato.orders.models import Order

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_member_gets_the_spend_and_save_a_coupon_and_pays_part_with_points(
    live_server, page, phone_shop, rates
):
    from playwright.sync_api import expect

    from mercato.testing.coupons import give_coupon, make_template
    from mercato.testing.promotions import make_promotion

    base = live_server.url
    make_promotion(name="数码节满减", tiers=[{"threshold": "3000", "amount": "100"}])
    coupon = make_template(name="满200减30", amount="30.00", threshold="200.00")
    customer = create_customer(mobile="13900005555", name="钱七", password="Shop-Pass-2026")
    add_address(
        actor=None, customer_id=customer.pk, recipient="钱七", mobile="13900005555",
        province="上海市", city="上海市", district="浦东新区", detail="世纪大道8号",
    )  # fmt: skip
    give_coupon(coupon, customer)
    points.adjust(customer_id=customer.pk, points=1000, note="test")

    page.goto(base + "/account/login/")
    page.fill("input[name=login]", "13900005555")
    page.fill("input[name=password]", "Shop-Pass-2026")
    page.click("form.form button[type=submit]")
    expect(page).to_have_url(f"{base}/account/")

    # ¥2999 in the cart: ¥1 short of 满3000减100; one more phone reaches it.
    page.goto(base + "/p/phone-huawei-1/")
    page.locator("label.chip", has_text="黑色").click()
    page.locator("label.chip", has_text="128GB").click()
    page.locator("button.add-to-cart").click()
    expect(page.locator("#cart-added .cart-ok")).to_be_visible()
    page.goto(base + "/cart/")
    expect(page.locator(".cart-tier-hint")).to_have_text("还差 ¥1.00 可减 ¥100.00（数码节满减）")
    page.get_by_role("button", name="增加一件").click()
    expect(page.locator(".cart-promotions")).to_contain_text("数码节满减 −¥100.00")

    page.locator("a.checkout").click()
    total = page.locator("#checkout-total")
    expect(total).to_have_text(re.compile(r"¥\d+\.\d\d"))
    before = Decimal(total.inner_text().lstrip("¥"))
    page.select_option("#id_coupon", label="满200减30")
    expect(page.locator("#coupon-discount")).to_contain_text("满200减30 −¥30.00")
    expect(total).to_have_text(f"¥{before - 30:.2f}")
    # 1,000 points are ¥10.00 (100 points = ¥1).
    page.fill("#id_points", "1000")
    page.click("#points-apply")
    expect(page.locator("#points-discount")).to_contain_text("−¥10.00")
    expect(total).to_have_text(f"¥{before - 40:.2f}")

    page.check("input[name=payment_method][value=cod]")
    page.click("#place-order")
    expect(page).to_have_url(re.compile(r"/orders/\d{8}-\d{6}/$"))
    order = Order.objects.get()
    assert order.total == before - 40
    assert order.discount_total == Decimal("140.00")  # 满减 100, coupon 30, points 10
    assert Customer.objects.get(pk=customer.pk).points_balance == 0
    assert not page.errors

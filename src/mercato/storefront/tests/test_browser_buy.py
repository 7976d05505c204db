"""End to end in Chromium, the two purchases of issue 5:

(a) a guest browses to a phone, adds two SKUs, signs up at checkout (the cart comes along),
    pastes the address, sees the two parcels, pays with the sandbox and finds the order
    paid in the account;
(b) a member logs in, buys with cash on delivery to a saved address and finds the order.
"""

import re

import pytest

from mercato.catalog.services import create_home_slot
from mercato.customers.services import add_address, create_customer
from mercato.orders.models import Order, OrderStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASTED = "张三 13812345678 四川省成都市武侯区人民南路四段1号"


def add_sku(page, colour: str, storage: str):
    """Pick colour and storage (unless already picked) and add the SKU to the cart."""
    from playwright.sync_api import expect

    expect(page.locator("#sku-form")).to_be_visible()
    for value in (colour, storage):
        if not page.locator(f'fieldset.spec input[value="{value}"]').is_checked():
            page.locator("label.chip", has_text=value).click()
    expect(page.locator("button.add-to-cart")).to_be_enabled()
    page.locator("button.add-to-cart").click()
    expect(page.locator("#cart-added .cart-ok")).to_be_visible()


def test_guest_signs_up_at_checkout_and_pays_with_the_sandbox(
    live_server, page, phone_shop, rates, ops_user, sms_outbox
):
    from playwright.sync_api import expect

    base = live_server.url
    create_home_slot(
        actor=ops_user, kind="category", category_id=phone_shop["root"].pk, title="数码楼层"
    )
    page.goto(base + "/")
    page.get_by_role("link", name="数码楼层").click()
    page.get_by_role("link", name="华为 手机 1").click()
    expect(page).to_have_url(re.compile(r"/p/phone-huawei-1/"))
    # A product link in the (hx-boosted) category results loads the whole product page.
    expect(page.locator("h1")).to_have_count(1)
    # No province chosen: both SKUs can be bought, one in 上海, one in 成都.
    add_sku(page, "黑色", "128GB")
    # The page starts on the first SKU in stock; the white one comes from its own link.
    page.goto(f"{base}/p/phone-huawei-1/?sku={phone_shop['skus'][('白色', '256GB')].pk}")
    add_sku(page, "白色", "256GB")

    page.goto(base + "/cart/")
    page.locator("a.checkout").click()
    expect(page).to_have_url(f"{base}/checkout/")
    page.locator("#guest-box a", has_text="注册").click()

    # Sign up with an SMS code; back at checkout with the cart merged into the account.
    page.fill("input[name=mobile]", "139 0000 2222")
    page.click("button[name=action][value=send]")
    page.wait_for_selector(".form-info")
    page.fill("input[name=code]", sms_outbox[-1].code)
    page.fill("input[name=password]", "Shop-Pass-2026")
    page.click("button[name=action][value=signup]")
    expect(page).to_have_url(f"{base}/checkout/")
    expect(page.locator("#guest-box")).to_have_count(0)

    page.fill("textarea[name=pasted]", PASTED)
    page.click(".paste-box button")
    expect(page.locator("#id_recipient")).to_have_value("张三")
    # The paste re-quotes for 四川省: 白色 ships from 成都, 黑色 from 上海 (拆单).
    expect(page.locator("#parcel-summary")).to_have_text(
        re.compile(r"本订单将分 2 个包裹从(成都仓、上海仓|上海仓、成都仓)发出")
    )
    expect(page.locator("#checkout-total")).to_have_text("¥5998.00")
    page.check("input[name=save_address]")
    page.check("input[name=payment_method][value=sandbox]")
    page.click("#place-order")

    expect(page).to_have_url(re.compile(r"/orders/\d{8}-\d{6}/pay/$"))
    expect(page.locator("#pay-amount")).to_have_text("¥5998.00")
    page.click("#pay-go")
    expect(page.locator("#sandbox-amount")).to_have_text("¥5998.00")
    page.click("#sandbox-approve")

    page.goto(base + "/orders/")
    order = Order.objects.get()
    row = page.locator("#orders tr", has_text=order.number)
    expect(row).to_contain_text("已支付")
    assert order.status == OrderStatus.PAID and order.customer.mobile == "13900002222"
    assert order.customer.addresses.filter(district="武侯区").exists()
    assert not page.errors


def test_member_places_a_cash_on_delivery_order(live_server, page, phone_shop, rates):
    """On a phone: the checkout and order pages fit the screen's width."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 390, "height": 844})
    base = live_server.url
    customer = create_customer(mobile="13900003333", name="王五", password="Shop-Pass-2026")
    add_address(
        actor=None, customer_id=customer.pk, recipient="王五", mobile="13900003333",
        province="上海市", city="上海市", district="浦东新区", detail="世纪大道1号",
    )  # fmt: skip
    page.goto(base + "/account/login/")
    page.fill("input[name=login]", "13900003333")
    page.fill("input[name=password]", "Shop-Pass-2026")
    page.click("form.form button[type=submit]")
    expect(page).to_have_url(f"{base}/account/")

    page.goto(base + "/p/phone-huawei-1/")
    add_sku(page, "黑色", "128GB")
    page.goto(base + "/cart/")
    page.locator("a.checkout").click()

    # The saved address is chosen; the phone ships from 上海 in one parcel.
    expect(page.locator("input[name=address_id]:checked")).to_have_count(1)
    expect(page.locator("#parcel-summary")).to_contain_text("上海仓")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.check("input[name=payment_method][value=cod]")
    page.fill("textarea[name=note]", "工作日送货")
    page.click("#place-order")

    expect(page).to_have_url(re.compile(r"/orders/\d{8}-\d{6}/$"))
    expect(page.locator(".messages")).to_contain_text("货到付款，待审核")
    order = Order.objects.get()
    assert order.status == OrderStatus.COD_CONFIRMED and order.note == "工作日送货"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("link", name="我的订单").first.click()
    expect(page.locator("#orders tr", has_text=order.number)).to_contain_text("货到付款")
    assert not page.errors

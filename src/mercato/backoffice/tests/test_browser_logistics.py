"""End to end in Chromium, for order processing: a reviewer fixes a held order's address
and approves it; a packer scans a wrong item (refused, red) and then the right ones."""

import dataclasses
import re

import pytest

from mercato.fulfillment.models import OrderReview, Shipment
from mercato.fulfillment.review.services import review_paid_orders
from mercato.orders.models import Order, OrderEvent
from mercato.testing.fulfillment import (
    ADDRESS,
    carriers,
    make_customer,
    make_shop,
    make_sku,
    place,
    stock,
    to_picking,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pass-1234-word"


@pytest.fixture
def shop(settings):
    settings.ROOT_URLCONF = "mercato.backoffice.tests.urls_live"
    warehouses = make_shop()
    carriers()
    a, b = make_sku(), make_sku()
    stock(a, warehouses["四川省"], 20, "A-03")
    stock(b, warehouses["四川省"], 20, "A-01")
    return {"a": a, "b": b}


def _log_in(page, base, username):
    page.goto(f"{base}/backoffice/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{base}/backoffice/")


def test_a_reviewer_fixes_the_address_and_approves(live_server, browser_page, shop, make_staff):
    """A held order (no house number) is found from the home's queue, its address fixed
    with the customer's confirmation noted, checked again clean, and approved."""
    make_staff("procurement", roles=["order_processing"], username="shendan")
    customer = make_customer()
    vague = dataclasses.replace(ADDRESS, mobile=customer.mobile, detail="火车站附近")
    order = place(customer, (shop["a"], 1), address=vague)
    review_paid_orders()
    assert Order.objects.get(pk=order.pk).status == "under_review"
    page, base = browser_page, live_server.url
    _log_in(page, base, "shendan")

    page.click("#queues >> text=待审核")
    page.click(f"text={order.number}")
    page.wait_for_url(re.compile(rf"/backoffice/review/{order.number}/$"))
    assert page.locator("text=详细地址过于模糊").count() >= 1
    page.fill("input[name=detail]", "人民南路四段12号华西坝大厦3楼")
    page.fill("input[name=confirmation]", "已致电客户 14:05，客户确认新地址")
    page.click("#save-address")
    page.wait_for_load_state()
    assert OrderReview.objects.get(order=order).findings == []
    page.click("#approve")
    page.wait_for_load_state()
    order.refresh_from_db()
    assert order.status == "approved" and order.detail == "人民南路四段12号华西坝大厦3楼"
    notes = " ".join(OrderEvent.objects.filter(order=order).values_list("reason", flat=True))
    assert "客户确认新地址" in notes
    assert page.errors == []


def test_a_packer_scans_a_wrong_item_then_the_right_ones(
    live_server, browser_page, shop, make_staff
):
    make_staff("procurement", roles=["order_processing"], username="dabao")
    mine = place(make_customer(), (shop["a"], 2))
    other = place(make_customer(), (shop["b"], 1))
    [[parcel], [_theirs]] = to_picking(mine, other)
    page, base = browser_page, live_server.url
    _log_in(page, base, "dabao")
    page.goto(f"{base}/backoffice/logistics/pack/{parcel.pk}/")

    page.fill("#scan-code", shop["b"].barcode)  # the other order's item
    page.press("#scan-code", "Enter")
    page.wait_for_selector("[data-cue=error]")
    assert Shipment.objects.get(pk=parcel.pk).lines.get().packed == 0
    for _unit in range(2):
        page.fill("#scan-code", shop["a"].barcode)
        page.press("#scan-code", "Enter")
        page.wait_for_selector("[data-cue=ok]")
    page.wait_for_selector("#all-scanned")
    assert page.locator("#pack-lines .qty").inner_text().replace(" ", "") == "2/2"
    page.fill("input[name=weight_g]", "950")
    page.click("#close-parcel")
    page.wait_for_url(f"{base}/backoffice/logistics/pack/")  # back to the station, next parcel
    packed = Shipment.objects.get(pk=parcel.pk)
    assert page.locator(f"text={packed.waybill_no}").count() >= 1  # "packed: waybill …"
    assert packed.status == "packed" and packed.waybill_no and packed.weight_g == 950


def test_a_customer_requests_a_return_and_staff_complete_it_to_the_refund(
    live_server, browser_page, shop, make_staff
):
    """The customer asks from the order page; staff approve, receive, inspect (resaleable:
    back into stock) and refund; the refund is the line's price plus the shipping (a
    quality problem), and the return is completed."""
    from mercato.aftersales.models import ReturnRequest
    from mercato.payments.models import Refund
    from mercato.testing.fulfillment import deliver

    worker = make_staff("procurement", roles=["order_processing"])
    make_staff("tech", roles=["sysadmin"], username="houqin")
    customer = make_customer(password="Shop-Pass-2026")
    home = dataclasses.replace(ADDRESS, mobile=customer.mobile)
    [order] = deliver(place(customer, (shop["a"], 2), address=home), actor=worker)
    line = order.lines.get()
    page, base = browser_page, live_server.url

    page.goto(f"{base}/account/login/")
    page.locator("form.form input:not([type=hidden]):not([type=password])").first.fill(
        customer.mobile
    )
    page.fill("form.form input[type=password]", "Shop-Pass-2026")
    page.click("form.form button.btn")
    page.wait_for_load_state()
    page.goto(f"{base}/orders/{order.number}/return/")
    page.fill(f"input[name=qty_{line.pk}]", "1")
    page.select_option("select[name=reason]", "quality")
    page.fill("textarea[name=description]", "屏幕有划痕")
    page.click("#send-return")
    page.wait_for_url(re.compile(r"/orders/returns/[^/]+/$"))
    request = ReturnRequest.objects.get(order=order)

    page.context.clear_cookies()  # the customer leaves; a member of staff logs in
    _log_in(page, base, "houqin")
    page.goto(f"{base}/backoffice/returns/{request.number}/")
    page.click("#approve-return")
    page.wait_for_selector("#receive-return")
    page.click("#receive-return")
    page.wait_for_selector("#inspect")
    page.click("#inspect")
    page.wait_for_selector("#refund-return")
    page.click("#refund-return")
    page.wait_for_load_state()
    request.refresh_from_db()
    assert request.status == "completed"
    assert (request.refund_amount, request.shipping_refund) == (
        line.unit_price, order.shipping_fee,
    )  # fmt: skip
    paid_back = sum(r.amount for r in Refund.objects.filter(payment__order=order))
    assert paid_back == line.unit_price + order.shipping_fee
    assert page.errors == []

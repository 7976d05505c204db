"""The sandbox cashier in Chromium: a guest approves, lands on the return page, is paid."""

import pytest
from django.urls import reverse

from mercato.orders.links import guest_link_token
from mercato.orders.models import Order, OrderStatus
from mercato.payments.services import start_payment
from mercato.testing.payments import make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("decision", ["确认支付", "拒绝支付"])
def test_guest_pays_or_declines_at_the_sandbox_cashier(
    live_server, counterpart, chromium_launch_args, decision
):
    """The cashier shows the order's amount; approving lands on "已收到付款" and the order
    is paid, declining on "支付未成功" with the order still waiting."""
    from playwright.sync_api import expect, sync_playwright

    order = make_order(payment_method="sandbox")
    payment, action = start_payment(
        order=order, client_ip="127.0.0.1", base_url=live_server.url + "/"
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**chromium_launch_args)
        page = browser.new_page(locale="zh-CN")
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # The guest placed the order in this browser: its link is in the session.
        token = guest_link_token(number=order.number, guest_token=order.guest_token)
        page.goto(live_server.url + reverse("storefront:guest_order", args=[token]))
        page.goto(live_server.url + action.url)
        expect(page.locator("#sandbox-amount")).to_have_text(f"¥{order.total}")
        page.get_by_role("button", name=decision).click()
        heading = "已收到付款" if decision == "确认支付" else "支付未成功"
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert not errors
        browser.close()
    order = Order.objects.get(pk=order.pk)
    if decision == "确认支付":
        assert order.status == OrderStatus.PAID and order.payment_ref == payment.number
    else:
        assert order.status == OrderStatus.PENDING_PAYMENT

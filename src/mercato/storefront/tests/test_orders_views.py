"""The customer's order pages: the list, one order with its parcels and history, paying,
cancelling; the guest's signed-link pages; and 404 for anybody else's order."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from mercato.checkout.placement import place_order
from mercato.inventory.models import Reservation, Stock
from mercato.orders.links import guest_link_token
from mercato.orders.models import Order, OrderStatus
from mercato.orders.services import mark_paid
from mercato.payments.refunds import refund_payment
from mercato.testing.buying import CHENGDU, cart_with, new_key, stock
from mercato.testing.factories import make_customer
from mercato.testing.payments import paid_payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(make_sku, shop):
    sku = make_sku(price="2999.00", weight_g=500, specs={"颜色": "黑色"}, name="华为 手机 1")
    stock(sku, shop["CD"], 3)
    stock(sku, shop["SH"], 3)
    return sku


def buy(customer, sku, quantity=1, method="sandbox", cart=None) -> Order:
    cart = cart or cart_with(customer, (sku, quantity))
    return place_order(
        cart=cart, customer=customer, address=CHENGDU, payment_method=method,
        idempotency_key=new_key(),
    ).order  # fmt: skip


def guest_order(client, sku, method="sandbox") -> tuple[Order, str]:
    from mercato.cart.services import add_to_cart, get_or_create_cart

    session = client.session
    cart = get_or_create_cart(session_key=session.session_key)
    add_to_cart(cart=cart, sku_id=sku.pk, quantity=1)
    order = buy(None, sku, method=method, cart=cart)
    return order, guest_link_token(number=order.number, guest_token=order.guest_token)


@pytest.fixture
def member(client, customer):
    client.force_login(customer.user)
    return customer


# The list ----------------------------------------------------------------------------------


def test_member_lists_orders_with_status_payment_and_parcels(client, member, phone):
    """A split order (4 units: 3 from 成都, 1 from 上海) counts 2 parcels; a paid one says so."""
    split = buy(member, phone, quantity=4)
    paid = buy(member, phone, quantity=1)
    mark_paid(order_id=paid.pk, payment_ref="T1")
    html = client.get("/orders/").content.decode()
    assert split.number in html and paid.number in html
    assert "已支付" in html and "待支付" in html
    assert "¥11996.00" in html
    rows = html.split("<tr>")
    split_row = next(r for r in rows if split.number in r)
    assert '<td class="num">2</td>' in split_row


def test_the_list_is_paginated_within_a_query_budget(
    client, member, phone, django_assert_num_queries
):
    """12 orders: page 1 shows 10, page 2 the rest; five queries whatever the page size
    (the user with the customer, the count, the page, its lines and its parcel counts)."""
    for _ in range(12):
        order = buy(member, phone)
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.CANCELLED)
        Reservation.objects.filter(reference=order.number).delete()
        Stock.objects.update(reserved=0)  # room for the next one
    with django_assert_num_queries(5):
        html = client.get("/orders/").content.decode()
    assert html.count('<tr><td><a href="/orders/') == 10 and "?page=2" in html
    html = client.get("/orders/?page=2").content.decode()
    assert html.count('<tr><td><a href="/orders/') == 2


def test_the_list_in_english(client, member, phone):
    buy(member, phone)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/orders/").content.decode()
    assert "My orders" in html and "Not paid yet" in html and "Pending payment" in html


def test_anonymous_visitors_are_sent_to_log_in(client, customer, phone):
    order = buy(customer, phone)
    for url in ("/orders/", f"/orders/{order.number}/", f"/orders/{order.number}/pay/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/account/login/")


# One order ---------------------------------------------------------------------------------


def test_order_page_shows_lines_totals_address_parcels_and_history(client, member, phone):
    order = buy(member, phone, quantity=4, method="cod")
    html = client.get(f"/orders/{order.number}/").content.decode()
    assert "华为 手机 1" in html and "颜色: 黑色" in html
    assert "¥11996.00" in html and "免运费" in html
    assert CHENGDU.detail in html and CHENGDU.recipient in html
    assert "从仓库CD发出" in html and "从仓库SH发出" in html
    assert "货到付款，待审核" in html
    assert "取消订单" in html
    assert 'id="pay-box"' not in html


def test_a_pending_order_offers_to_pay_within_the_deadline(client, member, phone):
    order = buy(member, phone)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() + timedelta(minutes=12.5))
    html = client.get(f"/orders/{order.number}/").content.decode()
    assert "请在 12 分钟内付款" in html
    assert f'href="/orders/{order.number}/pay/"' in html


def test_pay_page_shows_number_amount_deadline_and_the_gateway_action(client, member, phone):
    order = buy(member, phone)
    response = client.get(f"/orders/{order.number}/pay/")
    html = response.content.decode()
    assert response.status_code == 200
    assert order.number in html and "¥2999.00" in html and "剩余" in html
    assert "/payments/sandbox/pay/" in html


def test_pay_page_of_a_paid_order_goes_back_to_the_order(client, member, phone):
    order = buy(member, phone)
    mark_paid(order_id=order.pk, payment_ref="T1")
    response = client.get(f"/orders/{order.number}/pay/", follow=True)
    assert response.redirect_chain[-1][0] == f"/orders/{order.number}/"
    assert "此订单无需付款" in response.content.decode()


def test_customer_cancels_with_a_reason_and_the_stock_comes_back(client, member, phone):
    order = buy(member, phone, quantity=2)
    response = client.post(f"/orders/{order.number}/cancel/", {"reason": "买错了"}, follow=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert "订单已取消" in response.content.decode() and "买错了" in response.content.decode()
    assert not Reservation.objects.filter(reference=order.number, status="active").exists()
    # Twice is refused with a message, not an error page.
    again = client.post(f"/orders/{order.number}/cancel/", follow=True)
    assert again.status_code == 200 and "form-error" not in again.content.decode()


def test_a_shipped_order_cannot_be_cancelled(client, member, phone):
    order = buy(member, phone)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.SHIPPED)
    html = client.get(f"/orders/{order.number}/").content.decode()
    assert 'id="cancel-form"' not in html
    response = client.post(f"/orders/{order.number}/cancel/", follow=True)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED
    assert "不能再取消" in response.content.decode() or "cannot" in response.content.decode()


# Guests ------------------------------------------------------------------------------------


def test_guest_link_shows_the_order_and_its_pay_page(client, phone):
    order, token = guest_order(client, phone)
    html = client.get(f"/orders/g/{token}/").content.decode()
    assert order.number in html and "请保存此链接以查看订单" in html
    assert f"http://testserver/orders/g/{token}/" in html
    assert f'action="/orders/g/{token}/cancel/"' in html
    pay = client.get(f"/orders/g/{token}/pay/")
    assert pay.status_code == 200 and "/payments/sandbox/pay/" in pay.content.decode()


def test_a_guest_cancels_through_the_link_and_the_stock_comes_back(client, phone):
    order, token = guest_order(client, phone)
    response = client.post(f"/orders/g/{token}/cancel/", {"reason": "不要了"}, follow=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert "订单已取消" in response.content.decode()
    assert not Reservation.objects.filter(reference=order.number, status="active").exists()
    assert order.events.last().actor is None and order.events.last().reason == "不要了"


def test_a_forged_guest_link_cancels_nothing(client, phone):
    order, token = guest_order(client, phone)
    forged = guest_link_token(number=order.number, guest_token="x" * 32)
    assert client.post(f"/orders/g/{forged}/cancel/").status_code == 404
    assert client.post(f"/orders/g/{token[:-2]}xx/cancel/").status_code == 404
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING_PAYMENT


def test_a_link_signed_at_another_time_works_and_is_the_one_shown(client, phone, monkeypatch):
    """Link tokens carry the time they were signed: every one of an order opens it, the
    page shows the one the guest holds, and the session keeps one link per order."""
    import time

    order, _token = guest_order(client, phone)
    later = time.time() + 90
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    token = guest_link_token(number=order.number, guest_token=order.guest_token)
    monkeypatch.undo()
    html = client.get(f"/orders/g/{token}/").content.decode()
    assert f"http://testserver/orders/g/{token}/" in html
    client.get(f"/orders/g/{_token}/")
    assert client.get("/orders/").content.decode().count(order.number) == 1


def test_guest_link_works_in_another_browser(client, phone):
    """The link is the key: a fresh session (another device) sees the order too."""
    _order, token = guest_order(client, phone)
    from django.test import Client

    assert Client().get(f"/orders/g/{token}/").status_code == 200


# 404 for anybody else's order ----------------------------------------------------------------


def test_another_customers_order_number_is_404_everywhere(client, member, phone):
    theirs = buy(make_customer(), phone)
    assert client.get(f"/orders/{theirs.number}/").status_code == 404
    assert client.get(f"/orders/{theirs.number}/pay/").status_code == 404
    assert client.post(f"/orders/{theirs.number}/cancel/").status_code == 404
    assert client.get("/orders/20991231-999999/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == OrderStatus.PENDING_PAYMENT
    assert theirs.number not in client.get("/orders/").content.decode()


def test_a_guest_order_number_is_404_on_member_urls(client, member, phone):
    from django.test import Client

    order, _token = guest_order(Client(), phone)
    assert client.get(f"/orders/{order.number}/").status_code == 404
    assert client.get(f"/orders/{order.number}/pay/").status_code == 404


@pytest.mark.parametrize("suffix", ["", "pay/"])
def test_forged_or_mangled_guest_links_are_404(client, customer, phone, suffix):
    order, token = guest_order(client, phone)
    members = buy(customer, phone)
    forged = [
        token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature changed
        guest_link_token(number=order.number, guest_token="x" * 32),  # signed, wrong secret
        guest_link_token(number=members.number, guest_token=""),  # a member's order
        "nonsense",
    ]
    for bad in forged:
        assert client.get(f"/orders/g/{bad}/{suffix}").status_code == 404, bad


def test_a_gateway_that_is_not_set_up_says_so_on_the_pay_page(client, member, phone, settings):
    """Alipay offered without its keys: the pay page explains instead of failing, and the
    order stays payable."""
    settings.MERCATO_PAYMENTS = {"MERCATO_PAYMENT_METHODS": "cod,sandbox,alipay_page"}
    order = buy(member, phone, method="alipay_page")
    response = client.get(f"/orders/{order.number}/pay/")
    assert response.status_code == 503
    assert 'role="alert"' in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT


# Refunds -----------------------------------------------------------------------------------
def _section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    return html[start : html.index("</section>", start)]


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_refunds_show_on_the_member_order_page(client, member, phone, make_staff):
    """A paid order shows 已支付 and no refund; a partial refund then shows with its number,
    amount, state and dates, and the payment reads 部分退款; refunding the rest reads 已退款,
    totals the refunds and cancels the unshipped order."""
    order = buy(member, phone, quantity=2)
    payment = paid_payment(order=order, method="sandbox")
    finance = make_staff("finance")
    html = client.get(f"/orders/{order.number}/").content.decode()
    assert 'id="refunds"' not in html and "已支付" in _text(_section(html, "payment-status"))

    refund_payment(
        payment=payment, refund_no="RF00000001", amount="100.00", reason="少发一件",
        actor=finance,
    )  # fmt: skip
    html = client.get(f"/orders/{order.number}/").content.decode()
    refunds = _text(_section(html, "refunds"))
    today = timezone.localtime().strftime("%Y-%m-%d")
    assert "RF00000001 ¥100.00 成功" in refunds and refunds.count(today) == 2
    assert "已退款合计：¥100.00" in refunds
    assert "部分退款" in html[html.index('id="payment-status"') :].split("</dd>")[0]

    rest = order.total - Decimal("100.00")
    refund_payment(
        payment=payment, refund_no="RF00000002", amount=rest, reason="整单退款", actor=finance
    )
    html = client.get(f"/orders/{order.number}/").content.decode()
    refunds = _text(_section(html, "refunds"))
    assert refunds.index("RF00000001") < refunds.index("RF00000002")
    assert f"RF00000002 ¥{rest} 成功" in refunds and f"已退款合计：¥{order.total}" in refunds
    assert "已退款" in html[html.index('id="payment-status"') :].split("</dd>")[0]
    assert _text(html[html.index('id="order-status"') :].split("</span>")[0]).endswith("已取消")


def test_refunds_show_on_the_guest_order_page(client, phone, make_staff):
    """The guest's signed-link page shows the refund the same way."""
    order, token = guest_order(client, phone)
    refund_payment(
        payment=paid_payment(order=order, method="sandbox"), refund_no="RF00000003",
        amount="9.90", reason="运费补偿", actor=make_staff("finance"),
    )  # fmt: skip
    html = client.get(f"/orders/g/{token}/").content.decode()
    refunds = _text(_section(html, "refunds"))
    assert "RF00000003 ¥9.90 成功" in refunds and "已退款合计：¥9.90" in refunds

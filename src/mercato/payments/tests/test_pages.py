"""start_payment, the return page and the sandbox cashier, through the test client."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from mercato.core.errors import Conflict
from mercato.orders.links import GUEST_LINKS_SESSION_KEY, guest_link_token
from mercato.orders.models import Order, OrderStatus
from mercato.payments.models import Payment
from mercato.payments.services import start_payment
from mercato.testing.payments import make_customer, make_order, make_payment

pytestmark = pytest.mark.django_db
BASE = "http://testserver/"


def start(order):
    return start_payment(order=order, client_ip="127.0.0.1", base_url=BASE)


def keep_guest_link(client, order, *, token=None):
    """What placing the order in this browser does: its signed link kept in the session."""
    session = client.session
    links = dict(session.get(GUEST_LINKS_SESSION_KEY) or {})
    links[order.number] = token or guest_link_token(
        number=order.number, guest_token=order.guest_token
    )
    session[GUEST_LINKS_SESSION_KEY] = links
    session.save()


def test_sandbox_payment_sends_the_customer_to_the_signed_cashier(counterpart):
    """The amount is the order's; the notify and return URLs are ours; a second start
    with the same method reuses the open attempt."""
    order = make_order(payment_method="sandbox")
    payment, action = start(order)
    assert action.kind == "redirect" and action.amount == order.total == payment.amount
    query = parse_qs(urlsplit(action.url).query)
    assert query["amount"] == [str(order.total)]
    assert query["notify_url"] == ["http://testserver/payments/notify/sandbox/"]
    assert query["return_url"][0].startswith(f"http://testserver/payments/return/{payment.number}/")
    again, _ = start(order)
    assert again.pk == payment.pk and Payment.objects.count() == 1
    assert payment.number == f"P{order.number.replace('-', '')}01"


def test_an_order_not_waiting_for_payment_cannot_start_one(counterpart):
    order = make_order(payment_method="sandbox")
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CANCELLED)
    with pytest.raises(Conflict):
        start(order)
    assert not Payment.objects.exists()


def test_wechat_native_gives_a_qr_code_the_partial_draws(counterpart, rf):
    from django.template.loader import render_to_string

    counterpart.answers[("wechatpay", "/v3/pay/transactions/native")] = lambda req: (
        200,
        {"code_url": f"weixin://wxpay/bizpayurl?pr={req['out_trade_no']}"},
    )
    order = make_order(payment_method="wechat_native", customer=make_customer())
    payment, action = start(order)
    assert action.kind == "qr" and action.qr_payload.endswith(payment.number)
    html = render_to_string("payments/_action.html", {"action": action, "payment": payment})
    assert "<svg" in html and f"/payments/return/{payment.number}/" in html


def test_unionpay_gives_an_auto_submitted_signed_form(counterpart):
    from django.template.loader import render_to_string

    payment, action = start(make_order(payment_method="unionpay_pc"))
    assert action.kind == "form" and action.fields["orderId"] == payment.number
    html = render_to_string("payments/_action.html", {"action": action, "payment": payment})
    assert "data-autosubmit" in html and 'name="signature"' in html


def test_the_return_page_never_believes_its_parameters(client, counterpart):
    """Forged 'paid' parameters on the return page: still confirming, nothing changes."""
    customer = make_customer()
    payment = make_payment(method="sandbox", customer=customer)
    client.force_login(customer.user)
    url = f"/payments/return/{payment.number}/"
    response = client.get(
        url, {"status": "paid", "trade_status": "TRADE_SUCCESS", "amount": "0.01"}
    )
    assert response.status_code == 200 and 'data-state="confirming"' in response.content.decode()
    response = client.post(url, {"trade_status": "TRADE_SUCCESS", "respCode": "00"})
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == "pending"
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.PENDING_PAYMENT


def test_the_return_page_tells_nobody_else_anything(client, counterpart):
    """Another customer, an anonymous visitor, or a number that does not exist: the same
    neutral page, naming no order and no state, and no gateway is asked."""
    owner, stranger = make_customer(), make_customer()
    payment = make_payment(method="alipay_page", customer=owner)
    url = f"/payments/return/{payment.number}/"

    def neutral(response):
        html = response.content.decode()
        return (
            response.status_code == 200
            and 'data-state="elsewhere"' in html
            and payment.order.number not in html
            and str(payment.amount) not in html
        )

    assert neutral(client.get(url))
    client.force_login(stranger.user)
    assert neutral(client.get(url))
    assert neutral(client.get("/payments/return/P000000000000001/"))
    assert counterpart.server.calls == []
    counterpart.answers[("alipay", "alipay.trade.query")] = lambda biz: {
        "code": "40004",
        "msg": "Business Failed",
        "sub_code": "ACQ.TRADE_NOT_EXIST",
    }
    client.force_login(owner.user)
    response = client.get(url)
    assert 'data-state="confirming"' in response.content.decode()


def test_a_guest_sees_the_return_page_only_in_the_browser_holding_the_orders_link(
    client, counterpart, settings
):
    """The return URL carries no token; the guest is known by the link their session
    keeps. A token in the URL counts for nothing; another order's link, a mangled one
    or an expired one shows the neutral page."""
    payment = make_payment(method="sandbox")
    other = make_payment(method="sandbox")
    order = payment.order
    url = f"/payments/return/{payment.number}/"
    token = guest_link_token(number=order.number, guest_token=order.guest_token)

    def state():
        return client.get(url).content.decode().split('data-state="', 1)[1].split('"', 1)[0]

    assert state() == "elsewhere"
    assert client.get(url, {"t": token}).content.decode().count('data-state="elsewhere"') == 1
    keep_guest_link(client, other.order)
    assert state() == "elsewhere"
    keep_guest_link(client, order, token=token + "x")
    assert state() == "elsewhere"
    keep_guest_link(client, order, token=token)
    assert state() == "confirming"
    settings.MERCATO_GUEST_LINK_DAYS = 0  # the link has outlived its lifetime
    assert state() == "elsewhere"


def test_the_url_handed_to_the_gateway_carries_no_guest_token(counterpart):
    """Alipay's return_url and quit_url, WeChat H5's redirect_url: the bare return page."""
    from urllib.parse import unquote

    counterpart.answers[("wechatpay", "/v3/pay/transactions/h5")] = lambda req: (
        200,
        {"h5_url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1"},
    )
    for method in ("alipay_wap", "wechat_h5"):
        order = make_order(payment_method=method)
        assert order.customer_id is None and order.guest_token
        counterpart.server.calls.clear()
        payment, action = start(order)
        url = unquote(unquote(action.url)) + "".join(
            c.body.decode() for c in counterpart.server.calls
        )
        assert f"/payments/return/{payment.number}/" in url
        token = guest_link_token(number=order.number, guest_token=order.guest_token)
        assert token.split(":")[0] not in url and order.guest_token not in url
        assert "?t=" not in url and "&t=" not in url


def test_sandbox_cashier_approve_pays_through_a_signed_notice(client, counterpart):
    """The guest follows the cashier link, approves, lands on the return page: paid."""
    order = make_order(payment_method="sandbox")
    keep_guest_link(client, order)
    payment, action = start(order)
    page = client.get(action.url)
    assert page.status_code == 200 and f"¥{order.total}" in page.content.decode()
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.content.decode()))
    fields = {k: unescape(v) for k, v in fields.items() if k != "csrfmiddlewaretoken"}
    response = client.post("/payments/sandbox/pay/", {**fields, "decision": "approve"})
    assert response.status_code == 302
    landing = client.get(response["Location"])
    assert 'data-state="paid"' in landing.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.payment_ref == payment.number
    assert payment.notices.get().verified


def test_sandbox_cashier_decline_and_tampered_amount(client, counterpart):
    order = make_order(payment_method="sandbox")
    keep_guest_link(client, order)
    payment, action = start(order)
    fields = {k: v[0] for k, v in parse_qs(urlsplit(action.url).query).items()}
    tampered = {**fields, "amount": "0.01", "decision": "approve"}
    assert client.post("/payments/sandbox/pay/", tampered).status_code == 400
    assert client.get("/payments/sandbox/pay/", {**fields, "amount": "0.01"}).status_code == 400
    response = client.post("/payments/sandbox/pay/", {**fields, "decision": "decline"})
    landing = client.get(response["Location"])
    assert 'data-state="failed"' in landing.content.decode()
    payment.refresh_from_db()
    assert payment.status == "failed"
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING_PAYMENT


def test_the_sandbox_cashier_is_gone_when_the_sandbox_is_not_offered(client, counterpart, settings):
    settings.MERCATO_PAYMENTS = {**settings.MERCATO_PAYMENTS, "MERCATO_PAYMENT_METHODS": "cod"}
    assert client.get("/payments/sandbox/pay/").status_code == 404


def test_the_return_page_asks_alipay_and_a_verified_answer_pays(client, counterpart, settings):
    """A waiting Alipay payment: the return page queries the trade; the signed TRADE_SUCCESS
    answer marks it paid through the notice path, stored as a 'query' notice."""
    customer = make_customer()
    payment = make_payment(method="alipay_page", customer=customer)
    counterpart.answers[("alipay", "alipay.trade.query")] = lambda biz: {
        "code": "10000",
        "msg": "Success",
        "trade_no": "2026112722001400000000000009",
        "out_trade_no": biz["out_trade_no"],
        "trade_status": "TRADE_SUCCESS",
        "total_amount": str(payment.amount),
    }
    client.force_login(customer.user)
    response = client.get(f"/payments/return/{payment.number}/")
    assert 'data-state="paid"' in response.content.decode()
    assert "已收到付款" in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == "paid" and payment.notices.get().via == "query"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(f"/payments/return/{payment.number}/")
    assert "Payment received" in response.content.decode()


def test_the_sweep_asks_about_pending_payments_whose_notice_was_lost(counterpart):
    """An Alipay attempt pending for 5 minutes: the sweep queries it and marks it paid;
    a fresh one and a sandbox one (no trades to query) are left alone."""
    from datetime import timedelta

    from django.utils import timezone

    from mercato.payments.tasks import query_pending_payments_task

    old = make_payment(method="alipay_page")
    fresh = make_payment(method="alipay_page")
    sandbox = make_payment(method="sandbox")
    Payment.objects.filter(pk__in=[old.pk, sandbox.pk]).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    counterpart.answers[("alipay", "alipay.trade.query")] = lambda biz: {
        "code": "10000",
        "msg": "Success",
        "trade_no": "2026112722001400000000000010",
        "out_trade_no": biz["out_trade_no"],
        "trade_status": "TRADE_SUCCESS",
        "total_amount": str(old.amount),
    }
    assert query_pending_payments_task() == 1
    statuses = dict(Payment.objects.values_list("pk", "status"))
    assert statuses == {old.pk: "paid", fresh.pk: "pending", sandbox.pk: "pending"}
    assert len(counterpart.server.calls) == 1


def test_unionpays_front_notice_posted_to_the_return_page_is_kept_not_applied(client, counterpart):
    """UnionPay brings the customer back with a signed form: stored as a 'return' notice,
    verified, and still not paid until the back-end notice or a query says so."""
    from mercato.payments.models import PaymentNotice

    customer = make_customer()
    payment = make_payment(method="unionpay_pc", customer=customer)
    counterpart.answers[("unionpay", "/gateway/api/queryTrans.do")] = lambda req: {
        "respCode": "34",
        "respMsg": "查无此交易",
        "orderId": req["orderId"],
    }
    client.force_login(customer.user)
    _, body = counterpart.unionpay_notice(payment)
    response = client.post(
        f"/payments/return/{payment.number}/",
        body,
        content_type="application/x-www-form-urlencoded",
    )
    assert 'data-state="confirming"' in response.content.decode()
    notice = PaymentNotice.objects.get(via="return")
    assert notice.verified and notice.action == "ignored"
    payment.refresh_from_db()
    assert payment.status == "pending"
    # A body over the notify endpoint's limit is not kept; the page still answers.
    response = client.post(
        f"/payments/return/{payment.number}/",
        "a=" + "x" * (1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert 'data-state="confirming"' in response.content.decode()
    assert PaymentNotice.objects.filter(via="return").count() == 1

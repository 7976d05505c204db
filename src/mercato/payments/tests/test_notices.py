"""Gateway notices through the notify endpoint, with bodies the counterparts signed."""

from decimal import Decimal

import pytest
from django.utils import timezone

from mercato.orders.models import Order, OrderStatus
from mercato.orders.services import expire_unpaid_order
from mercato.payments.models import NoticeAction, Payment, PaymentEvent, PaymentNotice
from mercato.testing.payments import make_payment

pytestmark = pytest.mark.django_db

METHODS = ["alipay_page", "wechat_native", "unionpay_pc", "sandbox"]
SUCCESS = {"alipay": "success", "wechatpay": "", "unionpay": "ok", "sandbox": "ok"}


def post_notice(client, gateway, headers, body):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return client.post(
        f"/payments/notify/{gateway}/",
        data=body,
        content_type="application/json"
        if gateway == "wechatpay"
        else "application/x-www-form-urlencoded",
        **extra,
    )


@pytest.mark.parametrize("method", METHODS)
def test_a_signed_notice_marks_the_payment_and_the_order_paid(client, counterpart, method):
    """A genuine notice from each gateway: the gateway's own success reply, payment paid,
    order paid with the payment's number, the raw notice on record."""
    payment = make_payment(method=method)
    headers, body = counterpart.notice(payment)
    response = post_notice(client, payment.gateway, headers, body)
    assert response.status_code in (200, 204)
    assert response.content.decode() == SUCCESS[payment.gateway]
    payment.refresh_from_db()
    order = Order.objects.get(pk=payment.order_id)
    assert payment.status == "paid" and payment.paid_at is not None
    assert order.status == OrderStatus.PAID and order.payment_ref == payment.number
    notice = PaymentNotice.objects.get()
    assert notice.verified and notice.action == NoticeAction.PAID
    assert notice.body == body and notice.payment == payment


def state(payment):
    """What a notice could change: the payment, its order, and the event rows."""
    payment.refresh_from_db()
    order = Order.objects.get(pk=payment.order_id)
    return (
        payment.status,
        order.status,
        order.paid_at,
        PaymentEvent.objects.filter(payment=payment).count(),
    )


def test_forged_signature_changes_nothing_and_is_stored(client, counterpart, key_pairs):
    """An Alipay notice signed with a stranger's key: `failure`, nothing changes, the raw
    notice is on record as not verified."""
    payment = make_payment(method="alipay_page")
    before = state(payment)
    forger = counterpart.alipay.__class__(
        appid="2021000000000001",
        app_private_key_string=key_pairs["stranger"].private_pem,
        alipay_public_key_string=key_pairs["merchant"].public_pem,
    )
    headers, body = counterpart.alipay_notice(payment, signer=forger)
    response = post_notice(client, "alipay", headers, body)
    assert response.content == b"failure"
    assert state(payment) == before
    notice = PaymentNotice.objects.get()
    assert not notice.verified and notice.action == NoticeAction.REFUSED
    assert notice.problem == "the signature does not verify" and notice.body == body


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"seller_id": "2088999999999999"}, "seller_id"),
        ({"app_id": "2021999999999999"}, "app_id"),
        ({"total_amount": "0.01"}, "amount"),
        ({"out_trade_no": "P9999999999999901"}, "unknown out_trade_no"),
    ],
)
def test_alipay_notice_for_another_seller_amount_or_order_changes_nothing(
    client, counterpart, changes, problem
):
    """Genuinely signed by Alipay, but not about our trade as we know it: refused."""
    payment = make_payment(method="alipay_page")
    before = state(payment)
    headers, body = counterpart.alipay_notice(payment, **changes)
    response = post_notice(client, "alipay", headers, body)
    assert response.content == b"failure"
    assert state(payment) == before
    notice = PaymentNotice.objects.get()
    assert not notice.verified and problem in notice.problem


def test_wechat_notice_older_than_five_minutes_is_refused(client, counterpart):
    """A correctly signed WeChat Pay notice with a timestamp 6 minutes old: 400, nothing."""
    payment = make_payment(method="wechat_native")
    before = state(payment)
    headers, body = counterpart.wechat_notice(payment, age=360)
    response = post_notice(client, "wechatpay", headers, body)
    assert response.status_code == 400 and response.json()["code"] == "FAIL"
    assert state(payment) == before
    assert "5 minutes" in PaymentNotice.objects.get().problem


def test_wechat_notice_with_another_amount_is_refused(client, counterpart):
    payment = make_payment(method="wechat_native")
    before = state(payment)
    headers, body = counterpart.wechat_notice(payment, amount={"total": 1, "currency": "CNY"})
    assert post_notice(client, "wechatpay", headers, body).status_code == 400
    assert state(payment) == before


def test_unionpay_notice_signed_by_a_self_made_certificate_is_refused(client, counterpart):
    from .conftest import make_key_pair
    from .test_unionpay import make_cert

    payment = make_payment(method="unionpay_pc")
    before = state(payment)
    fake = make_key_pair()
    cert = make_cert("041@Z12@中国银联股份有限公司@00000001", fake)
    headers, body = counterpart.unionpay_notice(payment, signer=fake, cert=cert)
    assert post_notice(client, "unionpay", headers, body).status_code == 400
    assert state(payment) == before


def test_sandbox_notice_with_another_secret_is_refused(client, counterpart, settings):
    payment = make_payment(method="sandbox")
    before = state(payment)
    settings.MERCATO_PAYMENTS = {**settings.MERCATO_PAYMENTS, "MERCATO_SANDBOX_PAY_SECRET": "x"}
    headers, body = counterpart.sandbox_notice(payment)
    settings.MERCATO_PAYMENTS = {**settings.MERCATO_PAYMENTS, "MERCATO_SANDBOX_PAY_SECRET": "s"}
    assert post_notice(client, "sandbox", headers, body).status_code == 400
    assert state(payment) == before


def test_a_notice_through_one_gateway_cannot_pay_a_payment_of_another(client, counterpart):
    """A genuine sandbox notice naming an Alipay payment's number: unknown trade there."""
    payment = make_payment(method="alipay_page")
    before = state(payment)
    from mercato.payments.gateways.sandbox import SandboxGateway

    body = SandboxGateway.from_settings().sign_notice(
        out_trade_no=payment.number, amount=payment.amount
    )
    assert post_notice(client, "sandbox", {}, body).status_code == 400
    assert state(payment) == before


def test_unknown_gateway_is_404_and_cod_has_no_notices(client, counterpart):
    assert (
        client.post("/payments/notify/paypal/", data="x=1", content_type="text/plain").status_code
        == 404
    )
    assert client.get("/payments/notify/alipay/").status_code == 405
    response = client.post("/payments/notify/cod/", data="x=1", content_type="text/plain")
    assert response.status_code == 404
    assert PaymentNotice.objects.get().gateway == "cod"  # stored all the same


@pytest.mark.parametrize("method", METHODS)
def test_the_same_notice_ten_times_changes_things_once(client, counterpart, method):
    """Ten deliveries of one notice: ten rows on record, one payment event, one order
    event for the payment, and every reply is the success reply."""
    payment = make_payment(method=method)
    headers, body = counterpart.notice(payment)
    replies = {post_notice(client, payment.gateway, headers, body).status_code for _ in range(10)}
    assert replies <= {200, 204}
    assert state(payment)[:2] == ("paid", OrderStatus.PAID)
    assert PaymentEvent.objects.filter(payment=payment, to_status="paid").count() == 1
    assert Order.objects.get(pk=payment.order_id).events.filter(to_status="paid").count() == 1
    actions = list(PaymentNotice.objects.order_by("id").values_list("action", flat=True))
    assert actions == [NoticeAction.PAID] + [NoticeAction.DUPLICATE] * 9


def test_a_paid_notice_for_a_cancelled_order_is_recorded_and_flagged(client, counterpart):
    """The money moved: the payment is paid and flagged; the order stays cancelled."""
    payment = make_payment(method="alipay_page")
    order = Order.objects.get(pk=payment.order_id)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now())
    assert expire_unpaid_order(order_id=order.pk)
    headers, body = counterpart.alipay_notice(payment)
    response = post_notice(client, "alipay", headers, body)
    assert response.content == b"success"  # recorded: Alipay must stop sending it
    payment.refresh_from_db()
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.paid_at is None
    assert payment.status == "paid" and payment.needs_review
    notice = PaymentNotice.objects.get()
    assert notice.needs_review and notice.action == NoticeAction.FLAGGED
    assert "cancelled" in notice.review_reason


def test_a_second_payment_for_a_paid_order_is_flagged(client, counterpart):
    """Paid by sandbox, then a genuine Alipay notice for another attempt: both payments
    paid, the second flagged, the order paid once by the first."""
    first = make_payment(method="sandbox")
    second = make_payment(order=first.order, method="alipay_page")
    post_notice(client, "sandbox", *counterpart.notice(first))
    post_notice(client, "alipay", *counterpart.notice(second))
    first.refresh_from_db()
    second.refresh_from_db()
    order = Order.objects.get(pk=first.order_id)
    assert order.payment_ref == first.number and order.status == OrderStatus.PAID
    assert second.status == "paid" and second.needs_review and not first.needs_review
    assert "second payment" in second.review_reason


def test_a_refund_notice_before_the_payment_notice_is_flagged_and_changes_nothing(
    client, counterpart
):
    """A sandbox refund notice for a payment still waiting: stored, flagged, no change."""
    payment = make_payment(method="sandbox")
    before = state(payment)
    headers, body = counterpart.sandbox_notice(
        payment, status="refunded", refund_no="R2026112700000101", refund_amount=Decimal("5.00")
    )
    assert post_notice(client, "sandbox", headers, body).status_code == 200
    assert state(payment) == before
    notice = PaymentNotice.objects.get()
    assert notice.verified and notice.needs_review and notice.action == NoticeAction.FLAGGED
    assert notice.review_reason.startswith("A refund notice for a payment")
    assert Payment.objects.get(pk=payment.pk).needs_review  # on the finance list too


def test_a_declined_sandbox_payment_is_failed_and_a_later_approval_pays(client, counterpart):
    payment = make_payment(method="sandbox")
    post_notice(client, "sandbox", *counterpart.sandbox_notice(payment, status="declined"))
    payment.refresh_from_db()
    assert payment.status == "failed"
    post_notice(client, "sandbox", *counterpart.sandbox_notice(payment))
    assert state(payment)[:2] == ("paid", OrderStatus.PAID)


def test_unionpay_front_notice_through_the_browser_never_marks_paid(counterpart):
    """UnionPay's front-end notice is genuine but came through the browser: recorded only."""
    from mercato.payments.services import handle_notice

    payment = make_payment(method="unionpay_pc")
    before = state(payment)
    headers, body = counterpart.unionpay_notice(payment)
    notice, _ = handle_notice(gateway="unionpay", headers=headers, body=body, via="return")
    assert notice.verified and notice.action == NoticeAction.IGNORED
    assert state(payment) == before


def test_only_the_headers_verification_needs_are_stored(client, counterpart):
    """Cookies, credentials and invented headers are not kept with a notice; the content
    type (and WeChat Pay's signature headers) are."""
    payment = make_payment(method="sandbox")
    headers, body = counterpart.sandbox_notice(payment)
    client.cookies["sessionid"] = "abc"
    post_notice(client, "sandbox", {"X-Trace": "1", "Authorization": "Bearer x"}, body)
    stored = PaymentNotice.objects.get().headers
    assert stored == {"Content-Type": "application/x-www-form-urlencoded"}

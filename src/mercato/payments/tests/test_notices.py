"""Gateway notices through the notify endpoint, with bodies the counterparts signed."""

import pytest

from mercato.orders.models import Order, OrderStatus
from mercato.payments.models import NoticeAction, PaymentNotice

from .factories import make_payment

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

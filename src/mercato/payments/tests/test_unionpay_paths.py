"""Issue 10 for UnionPay, end to end against the fake UnionPay on 127.0.0.1 (answers signed
with the certificate chain the tests make): the deadline sent as payTimeout; an overdue
order asked about first (queryTrans) and ending paid when its notice was lost; money that
arrives for a cancelled order given back by a consume cancellation (消费撤销, txnType 31)
on its own day; a refund whose answer was lost kept processing, queried by its number and
time, and paid out once; backUrl on every refund."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode

import pytest
from django.utils import timezone

from mercato.core.errors import Conflict
from mercato.orders.models import Order, OrderEvent, OrderStatus
from mercato.orders.services import cancel_order
from mercato.payments.expiry import close_attempts_of, sweep_expired_orders
from mercato.payments.gateways import unionpay
from mercato.payments.gateways.unionpay import txn_time
from mercato.payments.models import NoticeAction, Payment, PaymentStatus, Refund, RefundStatus
from mercato.payments.refund_checks import settle_refund
from mercato.payments.services import handle_notice, refund_payment, start_payment
from mercato.testing.factories import make_customer, make_order
from mercato.testing.payments import make_payment, paid_payment

from .test_unionpay import consume_notice, unionpay_sign

pytestmark = pytest.mark.django_db
QUERY = ("unionpay", "/gateway/api/queryTrans.do")
BACK = ("unionpay", "/gateway/api/backTransReq.do")
QUERY_ID = "772611271200000000077"


class TenInTheMorning(datetime):
    """UnionPay's clock at 10:00 on 2026-11-27 in Beijing, before the day's cut-off."""

    @classmethod
    def now(cls, tz=None):
        return datetime(2026, 11, 27, 2, 0, tzinfo=UTC).astimezone(tz or UTC)


@pytest.fixture
def finance(make_staff):
    return make_staff("finance")


def sent(counterpart, path) -> list[dict]:
    return [dict(parse_qsl(c.body.decode())) for c in counterpart.server.calls if c.path == path]


def trade_answer(payment, *, orig="00"):
    """queryTrans about a payment: UnionPay's record of the consumption."""
    return lambda req: {
        "respCode": "00",
        "origRespCode": orig,
        "orderId": req["orderId"],
        "txnTime": req["txnTime"],
        "txnAmt": str(int(payment.amount * 100)),
        "queryId": QUERY_ID,
    }


def test_the_deadline_goes_to_unionpay_as_pay_timeout(counterpart):
    """UnionPay has no close call: the trade's payTimeout is the order's deadline (Beijing
    time, yyyyMMddHHmmss), in the signed form the browser posts."""
    order = make_order(payment_method="unionpay_pc")
    _, action = start_payment(order=order, client_ip="127.0.0.1", base_url="http://testserver/")
    assert action.kind == "form"
    assert action.fields["payTimeout"] == txn_time(order.expires_at)
    assert action.fields["payTimeout"] == order.expires_at.astimezone(unionpay.BEIJING).strftime(
        "%Y%m%d%H%M%S"
    )


def test_an_overdue_unionpay_order_whose_notice_was_lost_ends_paid(counterpart):
    """The sweep asks UnionPay (queryTrans by orderId and txnTime) before expiring:
    origRespCode 00 pays the order through the notice path; nothing is cancelled."""
    payment = make_payment(method="unionpay_pc")
    counterpart.answers[QUERY] = trade_answer(payment)
    Order.objects.filter(pk=payment.order_id).update(
        expires_at=timezone.now() - timedelta(minutes=5)
    )
    result = sweep_expired_orders()
    assert (result.checked, result.cancelled) == (1, 0)
    (query,) = sent(counterpart, "/gateway/api/queryTrans.do")
    assert query["orderId"] == payment.number
    assert query["txnTime"] == txn_time(payment.created_at)
    order = Order.objects.get(pk=payment.order_id)
    assert order.status == OrderStatus.PAID and order.payment_ref == payment.number
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and payment.trade_no == QUERY_ID
    assert not OrderEvent.objects.filter(order=order, to_status="cancelled").exists()


def test_an_overdue_unionpay_order_unpaid_at_unionpay_is_cancelled(counterpart):
    """queryTrans answers 34 (no such trade): the attempt is closed, the order cancelled."""
    payment = make_payment(method="unionpay_pc")
    counterpart.answers[QUERY] = lambda req: {
        "respCode": "34",
        "respMsg": "查无此交易",
        "orderId": req["orderId"],
    }
    Order.objects.filter(pk=payment.order_id).update(
        expires_at=timezone.now() - timedelta(minutes=5)
    )
    assert sweep_expired_orders().cancelled == 1
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.CLOSED
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.CANCELLED


def test_money_for_a_cancelled_order_goes_back_by_consume_cancellation(
    counterpart, monkeypatch, django_capture_on_commit_callbacks
):
    """The customer cancelled; UnionPay's query then says the trade was paid (the money
    came in meanwhile). The order stays cancelled and all of it goes back the same day as
    a consume cancellation (txnType 31) against the payment's queryId, with the backUrl,
    under one number; its notice settles it and the payment reads refunded."""
    monkeypatch.setattr(unionpay, "datetime", TenInTheMorning)
    counterpart.refunds_succeed()
    customer = make_customer()
    payment = make_payment(method="unionpay_pc", customer=customer)
    morning = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # 09:00 in Beijing, the same day
    Payment.objects.filter(pk=payment.pk).update(created_at=morning)
    counterpart.answers[QUERY] = trade_answer(payment)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_order(order_id=payment.order_id, actor=customer.user, reason="", by_customer=True)
    close_attempts_of(order_ids=[payment.order_id])  # as the beat sweep would, if needed
    payment.refresh_from_db()
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.CANCELLED
    assert payment.needs_review and "refunded automatically" in payment.review_reason
    (back,) = sent(counterpart, "/gateway/api/backTransReq.do")
    assert back["txnType"] == "31" and back["origQryId"] == QUERY_ID
    assert back["txnAmt"] == str(int(payment.amount * 100))
    assert back["backUrl"] == "https://shop.example.com/payments/notify/unionpay/"
    (refund,) = Refund.objects.filter(payment=payment)
    assert refund.status == RefundStatus.PROCESSING and back["orderId"] == refund.refund_no
    assert counterpart.paid_out == {("unionpay", refund.refund_no): payment.amount}
    fields = consume_notice(
        txnType="31",
        txnSubType="00",
        orderId=refund.refund_no,
        origQryId=QUERY_ID,
        txnAmt=back["txnAmt"],
        txnTime=back["txnTime"],
        queryId=f"Q{refund.refund_no}",
    )
    signed = unionpay_sign(fields, counterpart.pki["unionpay"], counterpart.pki["unionpay_cert"])
    notice, reply = handle_notice(gateway="unionpay", headers={}, body=urlencode(signed))
    assert reply.status == 200 and notice.action == NoticeAction.REFUND_SUCCEEDED
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.SUCCEEDED
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.REFUNDED


def test_a_unionpay_refund_whose_answer_was_lost_is_queried_and_paid_out_once(counterpart, finance):
    """UnionPay took the refund but its answer never came (HTTP 502 from a proxy on the
    way): the refund stays processing with its amount held, no second refund starts, and
    the check asks queryTrans by orderId = the refund number and the txnTime it was sent
    with; origRespCode 00 settles it without sending it again."""
    counterpart.refunds_succeed()
    answer = counterpart.answers[BACK]
    payment = paid_payment(method="unionpay_pc", trade_no=QUERY_ID)
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(days=2))
    respond = counterpart.server.respond

    def lost_answer(call):
        if call.path == BACK[1]:
            answer(dict(parse_qsl(call.body.decode())))  # UnionPay books it and pays it out
            return 502, {"Content-Type": "text/html"}, b"<html>502 Bad Gateway</html>"
        return respond(call)

    counterpart.server.respond = lost_answer
    pending = refund_payment(
        payment=payment, refund_no="R0000000001", amount=Decimal("10.00"), reason="x", actor=finance
    )
    assert pending.status == RefundStatus.PROCESSING
    assert counterpart.paid_out == {("unionpay", "R0000000001"): Decimal("10.00")}
    with pytest.raises(Conflict) as error:
        refund_payment(
            payment=payment, refund_no="R0000000002", amount=Decimal("1.00"), reason="x",
            actor=finance,
        )  # fmt: skip
    assert error.value.code == "refund_in_progress"
    counterpart.server.respond = respond
    (first,) = sent(counterpart, BACK[1])

    def query(req):
        booked = counterpart.paid_out.get(("unionpay", req["orderId"]))
        if booked is None:
            return {"respCode": "34", "respMsg": "查无此交易", "orderId": req["orderId"]}
        return {
            "respCode": "00",
            "origRespCode": "00",
            "orderId": req["orderId"],
            "origQryId": QUERY_ID,
            "queryId": f"Q{req['orderId']}",
            "txnAmt": str(int(booked * 100)),
        }

    counterpart.answers[QUERY] = query
    done = settle_refund(refund_id=pending.pk, now=Refund.objects.get(pk=pending.pk).next_check_at)
    assert done.status == RefundStatus.SUCCEEDED
    (asked,) = sent(counterpart, QUERY[1])
    assert asked["orderId"] == "R0000000001" and asked["txnTime"] == first["txnTime"]
    assert len(sent(counterpart, BACK[1])) == 1  # queried, not sent again
    assert counterpart.paid_out == {("unionpay", "R0000000001"): Decimal("10.00")}
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PARTIALLY_REFUNDED


def test_a_unionpay_refund_unionpay_never_got_is_sent_again_with_its_number_and_time(
    counterpart, finance
):
    """The request never reached UnionPay (connection refused on the way): the query
    answers 34, so the same orderId with the same txnTime is sent again, and paid once."""
    counterpart.refunds_succeed()
    payment = paid_payment(method="unionpay_pc", trade_no=QUERY_ID)
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(days=2))
    respond = counterpart.server.respond
    counterpart.server.respond = lambda call: (
        (503, {}, b"busy") if call.path == BACK[1] else respond(call)
    )
    pending = refund_payment(
        payment=payment, refund_no="R0000000001", amount=Decimal("10.00"), reason="x", actor=finance
    )
    assert pending.status == RefundStatus.PROCESSING and counterpart.paid_out == {}
    counterpart.server.respond = respond
    counterpart.answers[QUERY] = lambda req: {
        "respCode": "34",
        "respMsg": "查无此交易",
        "orderId": req["orderId"],
    }
    done = settle_refund(refund_id=pending.pk, now=Refund.objects.get(pk=pending.pk).next_check_at)
    assert done.status == RefundStatus.PROCESSING  # accepted now; its notice (or query) ends it
    first, second = sent(counterpart, BACK[1])
    assert first["orderId"] == second["orderId"] == "R0000000001"
    assert first["txnTime"] == second["txnTime"]
    assert counterpart.paid_out == {("unionpay", "R0000000001"): Decimal("10.00")}

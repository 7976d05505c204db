"""Issue 10 item 2: a refund whose outcome is unknown is never paid out twice.

The fake gateways on 127.0.0.1 keep their own books (Counterpart.paid_out): one refund
number pays out once, as at the real gateways. What matters is that our books and theirs
agree: no second refund number is ever sent for money that may already have gone back.
"""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
from django.utils import timezone

from mercato.core.errors import Conflict, PermissionDeniedError, ValidationFailed
from mercato.orders.models import Order, OrderStatus
from mercato.payments.models import NoticeAction, Payment, Refund, RefundStatus
from mercato.payments.refund_checks import (
    backoff,
    resolve_abnormal_refund,
    settle_due_refunds,
    settle_refund,
)
from mercato.payments.services import handle_notice, refund_payment

from .factories import paid_payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(make_staff):
    return make_staff("finance")


def refund(payment, finance, no, amount):
    return refund_payment(
        payment=payment, refund_no=no, amount=Decimal(amount), reason="客户要求", actor=finance
    )


def alipay_methods(counterpart):
    return [dict(parse_qsl(c.body.decode()))["method"] for c in counterpart.server.calls]


@pytest.mark.parametrize("method", ["alipay_page", "wechat_native"])
def test_a_system_error_keeps_the_refund_processing_and_its_amount_held(
    counterpart, finance, method
):
    """Alipay's 20000 ACQ.SYSTEM_ERROR and WeChat Pay's 500 SYSTEM_ERROR: the money went
    back at the gateway, the answer says "unknown". The refund stays processing, its
    amount held; finance cannot refund the payment again under a new number."""
    counterpart.refunds_answer_unknown_first()
    payment = paid_payment(method=method)
    first = refund(payment, finance, "R0000000001", "20.00")
    assert first.status == RefundStatus.PROCESSING
    assert "SYSTEM_ERROR" in first.problem
    with pytest.raises(Conflict) as error:
        refund(payment, finance, "R0000000002", "20.00")
    assert error.value.code == "refund_in_progress" and "R0000000001" in error.value.message
    payment.refresh_from_db()
    assert payment.status == "paid"  # nothing is booked as refunded before it is known
    assert list(Refund.objects.values_list("refund_no", flat=True)) == ["R0000000001"]
    assert counterpart.total_paid_out(payment.gateway) == Decimal("20.00")


@pytest.mark.parametrize("method", ["alipay_page", "wechat_native"])
def test_the_check_asks_the_gateway_and_settles_the_refund_it_paid(counterpart, finance, method):
    """When the refund is due, the check queries it (Alipay
    alipay.trade.fastpay.refund.query, WeChat Pay's refund query): refunded, so it
    succeeds without being sent again; books and gateway agree on 20.00."""
    counterpart.refunds_answer_unknown_first()
    payment = paid_payment(method=method)
    first = refund(payment, finance, "R0000000001", "20.00")
    calls = len(counterpart.server.calls)
    assert settle_refund(refund_id=first.pk).status == RefundStatus.PROCESSING  # not due yet
    assert len(counterpart.server.calls) == calls
    later = first.next_check_at + timedelta(seconds=1)
    done = settle_refund(refund_id=first.pk, now=later)
    assert done.status == RefundStatus.SUCCEEDED and not done.manual
    assert len(counterpart.server.calls) == calls + 1  # one query, no second sending
    payment.refresh_from_db()
    assert payment.status == "partially_refunded"
    assert counterpart.total_paid_out(payment.gateway) == Decimal("20.00")
    assert counterpart.paid_out == {(payment.gateway, "R0000000001"): Decimal("20.00")}
    # Settled: a new refund may start again.
    counterpart.refunds_succeed()
    assert refund(payment, finance, "R0000000002", "10.00").status in ("succeeded", "processing")


def test_a_refund_the_gateway_never_got_is_sent_again_under_the_same_number(counterpart, finance):
    """The query finds nothing (Alipay answers 10000 without the refund): the same
    out_request_no is sent again, and the refund succeeds once."""
    counterpart.refunds_succeed()
    payment = paid_payment(method="alipay_page")
    answer = counterpart.answers[("alipay", "alipay.trade.refund")]
    counterpart.answers[("alipay", "alipay.trade.refund")] = lambda biz: {
        "code": "20000",
        "msg": "Service Currently Unavailable",
        "sub_code": "ACQ.SYSTEM_ERROR",
    }  # lost before it paid anything
    pending = refund(payment, finance, "R0000000001", "15.00")
    assert pending.status == RefundStatus.PROCESSING and counterpart.paid_out == {}
    counterpart.answers[("alipay", "alipay.trade.refund")] = answer
    done = settle_refund(refund_id=pending.pk, now=pending.next_check_at)
    assert done.status == RefundStatus.SUCCEEDED
    assert alipay_methods(counterpart)[-2:] == [
        "alipay.trade.fastpay.refund.query",
        "alipay.trade.refund",
    ]
    sent = [dict(parse_qsl(c.body.decode())) for c in counterpart.server.calls]
    numbers = {
        json.loads(p["biz_content"]).get("out_request_no")
        for p in sent
        if p["method"] == "alipay.trade.refund"
    }
    assert numbers == {"R0000000001"}
    assert counterpart.paid_out == {("alipay", "R0000000001"): Decimal("15.00")}


def test_checks_back_off_and_the_beat_sweep_finds_what_a_lost_task_left(counterpart, finance):
    """Each check that learns nothing pushes the next one further out (10 s, 30 s, 1 min,
    ...). A refund recorded but never sent (the process died) is due after two minutes:
    the sweep sends it; one not due yet is left alone."""
    payment = paid_payment(method="alipay_page")
    counterpart.answers[("alipay", "alipay.trade.fastpay.refund.query")] = lambda biz: {
        "code": "20000",
        "msg": "Service Currently Unavailable",
        "sub_code": "ACQ.SYSTEM_ERROR",
    }
    counterpart.answers[("alipay", "alipay.trade.refund")] = lambda biz: {
        "code": "20000",
        "msg": "Service Currently Unavailable",
        "sub_code": "ACQ.SYSTEM_ERROR",
    }
    pending = refund(payment, finance, "R0000000001", "5.00")
    now = timezone.now()
    gaps = []
    for _ in range(4):
        now = Refund.objects.get(pk=pending.pk).next_check_at
        settle_refund(refund_id=pending.pk, now=now)
        gaps.append(Refund.objects.get(pk=pending.pk).next_check_at - now)
    assert gaps == [backoff(1), backoff(2), backoff(3), backoff(4)]
    assert gaps[0] < gaps[1] < gaps[2] < gaps[3]
    assert Refund.objects.get(pk=pending.pk).status == RefundStatus.PROCESSING
    # A refund recorded by a process that died before sending it:
    other = paid_payment(method="alipay_page")
    counterpart.refunds_succeed()
    stuck = Refund.objects.create(
        payment=other,
        refund_no="R0000000009",
        amount=Decimal("7.00"),
        reason="x",
        next_check_at=timezone.now() + timedelta(minutes=2),
    )
    assert settle_due_refunds() == 0  # not due yet
    settled = settle_due_refunds(now=timezone.now() + timedelta(minutes=3))
    assert settled == 1
    assert Refund.objects.get(pk=stuck.pk).status == RefundStatus.SUCCEEDED
    assert counterpart.paid_out[("alipay", "R0000000009")] == Decimal("7.00")


def test_wechat_abnormal_refund_gets_its_own_state_and_finance_settles_it(
    counterpart, finance, make_staff
):
    """REFUND.ABNORMAL (the buyer's card was cancelled): the refund is abnormal, the
    payment flagged for finance, the amount held. Finance says what happened: paid back
    another way (succeeded, by hand), or not (failed: the amount may be refunded again)."""
    counterpart.refunds_succeed()
    payment = paid_payment(method="wechat_native")
    pending = refund(payment, finance, "R0000000001", "30.00")
    headers, body = counterpart.wechat_refund_notice(payment, pending, status="ABNORMAL")
    notice, reply = handle_notice(gateway="wechatpay", headers=headers, body=body)
    assert reply.status == 204 and notice.action == NoticeAction.REFUND_ABNORMAL
    pending.refresh_from_db()
    payment.refresh_from_db()
    assert pending.status == RefundStatus.ABNORMAL and payment.needs_review
    assert payment.status == "paid"
    with pytest.raises(Conflict):
        refund(payment, finance, "R0000000002", "10.00")
    with pytest.raises(PermissionDeniedError):
        resolve_abnormal_refund(
            refund_id=pending.pk, paid_back=True, note="x", actor=make_staff("service")
        )
    with pytest.raises(ValidationFailed) as error:
        resolve_abnormal_refund(refund_id=pending.pk, paid_back=True, note=" ", actor=finance)
    assert "note" in error.value.field_errors
    done = resolve_abnormal_refund(
        refund_id=pending.pk, paid_back=True, note="已通过银行转账退回", actor=finance
    )
    assert done.status == RefundStatus.SUCCEEDED and done.manual
    assert Payment.objects.get(pk=payment.pk).status == "partially_refunded"
    with pytest.raises(Conflict):
        resolve_abnormal_refund(refund_id=pending.pk, paid_back=False, note="x", actor=finance)


def test_an_abnormal_refund_not_paid_back_frees_its_amount(counterpart, finance):
    counterpart.refunds_succeed()
    payment = paid_payment(method="wechat_native")
    pending = refund(payment, finance, "R0000000001", str(payment.amount))
    headers, body = counterpart.wechat_refund_notice(payment, pending, status="ABNORMAL")
    handle_notice(gateway="wechatpay", headers=headers, body=body)
    resolve_abnormal_refund(
        refund_id=pending.pk, paid_back=False, note="款项退回商户", actor=finance
    )
    assert Refund.objects.get(pk=pending.pk).status == RefundStatus.FAILED
    again = refund(payment, finance, "R0000000002", str(payment.amount))
    assert again.status == RefundStatus.PROCESSING  # accepted: the full amount was free


def test_a_query_answering_abnormal_settles_the_refund_as_abnormal(counterpart, finance):
    counterpart.refunds_answer_unknown_first()
    payment = paid_payment(method="wechat_native")
    pending = refund(payment, finance, "R0000000001", "9.00")
    query = counterpart.answers[("wechatpay", "refund-query")]
    counterpart.answers[("wechatpay", "refund-query")] = lambda req: (
        200,
        {**query(req)[1], "status": "ABNORMAL", "user_received_account": "招商银行信用卡0403"},
    )
    done = settle_refund(refund_id=pending.pk, now=pending.next_check_at)
    assert done.status == RefundStatus.ABNORMAL and "招商银行" in done.problem
    assert Payment.objects.get(pk=payment.pk).needs_review


def test_unionpay_refund_is_queried_by_its_number_and_time(counterpart, finance):
    """An accepted UnionPay refund is processing until its notice; when the notice is
    late the check queries it (orderId = our refund number, txnTime = when it was
    requested) and origRespCode 00 settles it."""
    counterpart.refunds_succeed()
    payment = paid_payment(method="unionpay_pc", trade_no="772611271200000000011")
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(days=2))
    pending = refund(payment, finance, "R0000000001", "10.00")
    assert pending.status == RefundStatus.PROCESSING
    sent = dict(parse_qsl(counterpart.server.calls[-1].body.decode()))
    assert sent["txnType"] == "04"  # not the payment's day: a refund, not a cancellation
    answers = {}

    def query(req):
        answers.update(req)
        return {
            "respCode": "00",
            "origRespCode": "00",
            "orderId": req["orderId"],
            "origQryId": "772611271200000000011",
            "queryId": f"Q{req['orderId']}",
            "txnAmt": "1000",
        }

    counterpart.answers[("unionpay", "/gateway/api/queryTrans.do")] = query
    done = settle_refund(refund_id=pending.pk, now=pending.next_check_at)
    assert done.status == RefundStatus.SUCCEEDED
    assert answers["orderId"] == "R0000000001"
    assert answers["txnTime"] == sent["txnTime"]


class TenInTheMorning(datetime):
    """UnionPay's clock at 10:00 on 2026-11-27 in Beijing, before the day's cut-off."""

    @classmethod
    def now(cls, tz=None):
        return datetime(2026, 11, 27, 2, 0, tzinfo=UTC).astimezone(tz or UTC)


def test_a_whole_unionpay_payment_of_today_is_cancelled_not_refunded(
    counterpart, finance, monkeypatch
):
    """消费撤销: the full amount on the payment's own day goes as txnType 31; a part of
    it, or the whole of it on a later day, is a refund (04)."""
    from mercato.payments.gateways import unionpay

    monkeypatch.setattr(unionpay, "datetime", TenInTheMorning)
    counterpart.refunds_succeed()
    morning = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
    whole = paid_payment(method="unionpay_pc", trade_no="772611271200000000011")
    part = paid_payment(method="unionpay_pc", trade_no="772611271200000000012")
    Payment.objects.filter(pk__in=[whole.pk, part.pk]).update(created_at=morning)
    refund(whole, finance, "R0000000001", str(whole.amount))
    sent = dict(parse_qsl(counterpart.server.calls[-1].body.decode()))
    assert sent["txnType"] == "31" and sent["origQryId"] == "772611271200000000011"
    refund(part, finance, "R0000000002", "1.00")
    assert dict(parse_qsl(counterpart.server.calls[-1].body.decode()))["txnType"] == "04"


def test_refund_notify_urls_have_their_own_settings(counterpart, finance, settings):
    """WeChat Pay refunds carry WECHATPAY_REFUND_NOTIFY_URL; UnionPay's backUrl is
    UNIONPAY_REFUND_BACK_URL; UnionPay without any back URL is not sent at all."""
    counterpart.refunds_succeed()
    settings.MERCATO_PAYMENTS = {
        **settings.MERCATO_PAYMENTS,
        "WECHATPAY_REFUND_NOTIFY_URL": "https://shop.example.com/payments/notify/wechatpay/",
        "UNIONPAY_REFUND_BACK_URL": "https://shop.example.com/payments/notify/unionpay/",
    }
    wechat = paid_payment(method="wechat_native")
    refund(wechat, finance, "R0000000001", "1.00")
    body = json.loads(counterpart.server.calls[-1].body)
    assert body["notify_url"] == "https://shop.example.com/payments/notify/wechatpay/"
    union = paid_payment(method="unionpay_pc", trade_no="772611271200000000011")
    refund(union, finance, "R0000000002", "1.00")
    sent = dict(parse_qsl(counterpart.server.calls[-1].body.decode()))
    assert sent["backUrl"] == "https://shop.example.com/payments/notify/unionpay/"
    settings.MERCATO_PAYMENTS = {
        k: v
        for k, v in settings.MERCATO_PAYMENTS.items()
        if k not in ("UNIONPAY_REFUND_BACK_URL", "UNIONPAY_BACK_URL")
    }
    other = paid_payment(method="unionpay_pc", trade_no="772611271200000000012")
    calls = len(counterpart.server.calls)
    stuck = refund(other, finance, "R0000000003", "1.00")
    assert stuck.status == RefundStatus.REQUESTED and "UNIONPAY_REFUND_BACK_URL" in stuck.problem
    assert len(counterpart.server.calls) == calls
    settings.MERCATO_PAYMENTS = {
        **settings.MERCATO_PAYMENTS,
        "MERCATO_SITE_URL": "https://shop.example.com",
    }
    counterpart.answers[("unionpay", "/gateway/api/queryTrans.do")] = lambda req: {
        "respCode": "34",
        "respMsg": "查无此交易",
        "orderId": req["orderId"],
    }
    done = refund(other, finance, "R0000000003", "1.00")  # the same number, sent now
    assert done.status == RefundStatus.PROCESSING
    sent = dict(parse_qsl(counterpart.server.calls[-1].body.decode()))
    assert sent["backUrl"] == "https://shop.example.com/payments/notify/unionpay/"


def test_a_full_refund_settled_by_the_check_cancels_the_unshipped_order(counterpart, finance):
    counterpart.refunds_answer_unknown_first()
    payment = paid_payment(method="alipay_page")
    pending = refund(payment, finance, "R0000000001", str(payment.amount))
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.PAID
    settle_refund(refund_id=pending.pk, now=pending.next_check_at)
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.CANCELLED
    assert Payment.objects.get(pk=payment.pk).status == "refunded"

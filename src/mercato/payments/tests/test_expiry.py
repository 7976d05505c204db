"""Issue 10 item 3: gateway trades closed on every cancellation and expiry; the gateway
asked before an unpaid order expires; money for an ended order refunded automatically;
the expiry sweep (issue 17 part 2) in SKIP LOCKED batches.

The gateways are the fakes on 127.0.0.1 (counterpart.py) answering close, query and
refund with answers signed by keys the tests generate.
"""

import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone

from mercato.core.errors import Conflict
from mercato.orders.models import Order, OrderEvent, OrderStatus
from mercato.orders.services import cancel_order
from mercato.orders.tasks import cancel_unpaid_order_task
from mercato.payments import tasks
from mercato.payments.expiry import (
    close_attempts_of,
    close_ended_attempts,
    sweep_expired_orders,
)
from mercato.payments.models import NoticeAction, Payment, PaymentEvent, Refund
from mercato.payments.services import handle_notice, start_payment

from .factories import make_customer, make_order, make_payment

pytestmark = pytest.mark.django_db
BASE = "http://testserver/"


def overdue(order, *, by=timedelta(minutes=5)):
    """Move the order's deadline into the past (past the grace too, by default)."""
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - by)


def alipay_calls(counterpart, method):
    found = []
    for call in counterpart.server.calls:
        params = dict(parse_qsl(call.body.decode()))
        if params.get("method") == method:
            found.append(json.loads(params["biz_content"]))
    return found


def alipay_trade(status, payment, **extra):
    return lambda biz: {
        "code": "10000",
        "msg": "Success",
        "trade_no": "2026112722001400000000000077",
        "out_trade_no": biz["out_trade_no"],
        "trade_status": status,
        "total_amount": str(payment.amount),
        **extra,
    }


# Closing ---------------------------------------------------------------------------------
def notice_of(counterpart, payment) -> dict:
    headers, body = counterpart.notice(payment)
    return {"headers": headers, "body": body}


@pytest.mark.parametrize("method", ["alipay_page", "wechat_native"])
def test_cancelling_an_order_closes_its_trade_at_the_gateway(
    counterpart, method, django_capture_on_commit_callbacks
):
    """The customer cancels: after the commit the open attempt's trade is closed
    (alipay.trade.close / WeChat Pay close) and the attempt is marked closed."""
    counterpart.trades_close()
    customer = make_customer()
    payment = make_payment(method=method, customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_order(order_id=payment.order_id, actor=customer.user, reason="", by_customer=True)
    assert counterpart.closed == [(payment.gateway, payment.number)]
    payment.refresh_from_db()
    assert payment.status == "closed"
    assert payment.events.last().reason == "The order ended: the trade is closed at the gateway"


def test_a_trade_the_gateway_cannot_close_is_retried_by_the_beat_sweep(counterpart):
    """Alipay busy when the order is cancelled: the attempt stays open; the beat sweep
    closes it once Alipay answers."""
    customer = make_customer()
    payment = make_payment(method="alipay_page", customer=customer)
    counterpart.answers[("alipay", "alipay.trade.close")] = lambda biz: {
        "code": "20000",
        "msg": "Service Currently Unavailable",
        "sub_code": "ACQ.SYSTEM_ERROR",
    }
    cancel_order(order_id=payment.order_id, actor=customer.user, reason="", by_customer=True)
    assert close_attempts_of(order_ids=[payment.order_id]) == 0
    assert Payment.objects.get(pk=payment.pk).status == "pending"
    counterpart.trades_close()
    assert close_ended_attempts() == 0  # leased: not before the lease ends
    assert close_ended_attempts(now=timezone.now() + timedelta(minutes=3)) == 1
    assert Payment.objects.get(pk=payment.pk).status == "closed"


def test_unionpay_has_no_close_so_the_trade_is_asked_about(counterpart):
    """UnionPay cannot close an unpaid consumption (payTimeout ends it): the trade is
    queried; not paid, the attempt is closed on our side."""
    customer = make_customer()
    payment = make_payment(method="unionpay_pc", customer=customer)
    counterpart.answers[("unionpay", "/gateway/api/queryTrans.do")] = lambda req: {
        "respCode": "34",
        "respMsg": "查无此交易",
        "orderId": req["orderId"],
    }
    cancel_order(order_id=payment.order_id, actor=customer.user, reason="", by_customer=True)
    assert close_attempts_of(order_ids=[payment.order_id]) == 1
    assert [c.path for c in counterpart.server.calls] == ["/gateway/api/queryTrans.do"]
    assert Payment.objects.get(pk=payment.pk).status == "closed"


def test_paying_closes_the_orders_other_attempts(counterpart, django_capture_on_commit_callbacks):
    """The customer opened Alipay, then paid with WeChat Pay: the Alipay trade is closed,
    so it cannot take the money a second time."""
    counterpart.trades_close()
    order = make_order(payment_method="alipay_page")
    alipay = make_payment(order=order, method="alipay_page")
    wechat = make_payment(order=order, method="wechat_native")
    headers, body = counterpart.notice(wechat)
    with django_capture_on_commit_callbacks(execute=True):
        handle_notice(gateway="wechatpay", headers=headers, body=body)
    assert Order.objects.get(pk=order.pk).payment_ref == wechat.number
    assert counterpart.closed == [("alipay", alipay.number)]
    assert Payment.objects.get(pk=alipay.pk).status == "closed"


def test_the_gateway_is_told_the_orders_deadline(counterpart):
    """Alipay's time_expire and WeChat Pay's time_expire are the order's deadline, in
    Beijing time; after the deadline no new attempt starts."""
    from zoneinfo import ZoneInfo

    counterpart.answers[("wechatpay", "/v3/pay/transactions/native")] = lambda req: (
        200,
        {"code_url": "weixin://wxpay/bizpayurl?pr=x"},
    )
    beijing = ZoneInfo("Asia/Shanghai")
    order = make_order(payment_method="alipay_page")
    _, action = start_payment(order=order, client_ip="127.0.0.1", base_url=BASE)
    biz = json.loads(dict(parse_qsl(urlsplit(action.url).query))["biz_content"])
    assert biz["time_expire"] == order.expires_at.astimezone(beijing).strftime("%Y-%m-%d %H:%M:%S")
    order = make_order(payment_method="wechat_native")
    start_payment(order=order, client_ip="127.0.0.1", base_url=BASE)
    sent = json.loads(counterpart.server.calls[-1].body)
    assert sent["time_expire"] == order.expires_at.astimezone(beijing).isoformat(timespec="seconds")
    overdue(order, by=timedelta(seconds=1))
    with pytest.raises(Conflict) as error:
        start_payment(order=order, client_ip="127.0.0.1", base_url=BASE)
    assert error.value.code == "payment_time_over"


# Expiry ----------------------------------------------------------------------------------
def test_a_paid_order_whose_notice_was_lost_ends_paid_not_cancelled(counterpart):
    """Past its deadline, with Alipay's notice lost: the sweep tries to close the trade,
    Alipay says it is paid (ACQ.TRADE_STATUS_ERROR), the query says TRADE_SUCCESS, and the
    order ends paid through the notice path, never cancelled."""
    payment = make_payment(method="alipay_page")
    counterpart.trades_close(paid={payment.number})
    counterpart.answers[("alipay", "alipay.trade.query")] = alipay_trade("TRADE_SUCCESS", payment)
    overdue(payment.order)
    result = sweep_expired_orders()
    assert (result.checked, result.cancelled) == (1, 0)
    order = Order.objects.get(pk=payment.order_id)
    assert order.status == OrderStatus.PAID and order.payment_ref == payment.number
    assert not OrderEvent.objects.filter(order=order, to_status="cancelled").exists()
    assert payment.notices.get().via == "query"


def test_an_unpaid_overdue_order_is_closed_at_the_gateway_then_cancelled(counterpart):
    payment = make_payment(method="wechat_native")
    counterpart.trades_close()
    overdue(payment.order)
    assert sweep_expired_orders().cancelled == 1
    assert counterpart.closed == [("wechatpay", payment.number)]
    assert Payment.objects.get(pk=payment.pk).status == "closed"
    order = Order.objects.get(pk=payment.order_id)
    assert order.status == OrderStatus.CANCELLED
    assert order.events.last().reason == "Not paid in time"


def test_the_sweep_leaves_an_order_its_grace_after_the_deadline(counterpart, settings):
    """30 s past the deadline with a 60 s grace: nothing asked, nothing cancelled."""
    settings.MERCATO_UNPAID_ORDER_GRACE_SECONDS = 60
    payment = make_payment(method="alipay_page")
    counterpart.trades_close()
    overdue(payment.order, by=timedelta(seconds=30))
    result = sweep_expired_orders()
    assert (result.checked, result.cancelled) == (0, 0) and counterpart.server.calls == []
    result = sweep_expired_orders(now=timezone.now() + timedelta(seconds=40))
    assert (result.checked, result.cancelled) == (1, 1)


def test_an_unreachable_gateway_holds_the_expiry_until_the_longest_wait(counterpart, settings):
    """Alipay down: the order is not cancelled while it may still turn out paid; after
    MERCATO_EXPIRY_MAX_WAIT_MINUTES it is cancelled anyway and its attempt is closed
    later, when Alipay answers."""
    settings.MERCATO_PAYMENTS = {
        **settings.MERCATO_PAYMENTS,
        "MERCATO_EXPIRY_MAX_WAIT_MINUTES": "30",
    }
    payment = make_payment(method="alipay_page")
    counterpart.answers[("alipay", "alipay.trade.close")] = lambda biz: {
        "code": "20000",
        "msg": "Service Currently Unavailable",
        "sub_code": "ACQ.SYSTEM_ERROR",
    }
    overdue(payment.order, by=timedelta(minutes=10))
    assert sweep_expired_orders().cancelled == 0
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.PENDING_PAYMENT
    overdue(payment.order, by=timedelta(minutes=31))
    assert sweep_expired_orders(now=timezone.now() + timedelta(minutes=3)).cancelled == 1
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.CANCELLED
    assert Payment.objects.get(pk=payment.pk).status == "pending"
    counterpart.trades_close()
    assert close_ended_attempts(now=timezone.now() + timedelta(minutes=6)) == 1
    assert Payment.objects.get(pk=payment.pk).status == "closed"


def test_the_sweep_cancels_overdue_unpaid_orders_in_batches_until_none_is_left(counterpart):
    """Seven overdue orders (sandbox attempts: no gateway to ask), batches of three: all
    cancelled, one event each; the fresh and the paid order are left alone."""
    orders = [make_order() for _ in range(7)]
    for order in orders:
        make_payment(order=order, method="sandbox")
        overdue(order)
    fresh, paid = make_order(), make_payment(method="sandbox")
    handle_notice(gateway="sandbox", **notice_of(counterpart, paid))
    overdue(paid.order)
    result = sweep_expired_orders(batch_size=3)
    assert result.cancelled == 7
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert {statuses[o.pk] for o in orders} == {OrderStatus.CANCELLED}
    assert statuses[fresh.pk] == OrderStatus.PENDING_PAYMENT
    assert statuses[paid.order_id] == OrderStatus.PAID
    events = OrderEvent.objects.filter(to_status="cancelled")
    assert events.count() == 7 and {e.reason for e in events} == {"Not paid in time"}
    assert sweep_expired_orders().cancelled == 0


def test_the_sweep_is_beat_scheduled_and_a_command_for_cron(counterpart, settings):
    """celery beat runs the sweep every minute; `mercato expire_unpaid_orders` runs the
    same sweep where there is no beat."""
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-expired-orders"]
    assert entry["task"] == tasks.sweep_expired_orders_task.name
    assert entry["schedule"] <= 60
    for name in ("settle-due-refunds", "close-ended-attempts", "refresh-wechatpay-certificates"):
        assert settings.CELERY_BEAT_SCHEDULE[name]["task"].startswith("mercato.payments.tasks.")
    order = make_order()
    overdue(order)
    out = StringIO()
    call_command("expire_unpaid_orders", stdout=out)
    assert out.getvalue().strip() == "1 unpaid orders cancelled"


def test_the_countdown_task_asks_the_gateway_before_expiring(counterpart):
    """The countdown queued at placement (orders) goes through payments: a lost notice
    found by the query ends paid; an unpaid one is closed and cancelled."""
    lost = make_payment(method="alipay_page")
    unpaid = make_payment(method="alipay_page")
    counterpart.trades_close(paid={lost.number})
    counterpart.answers[("alipay", "alipay.trade.query")] = alipay_trade("TRADE_SUCCESS", lost)
    overdue(lost.order)
    overdue(unpaid.order)
    assert cancel_unpaid_order_task(lost.order_id) is False
    assert cancel_unpaid_order_task(unpaid.order_id) is True
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {lost.order_id: OrderStatus.PAID, unpaid.order_id: OrderStatus.CANCELLED}
    assert counterpart.closed == [("alipay", lost.number), ("alipay", unpaid.number)]


# Money after the end -----------------------------------------------------------------------
@pytest.mark.parametrize("method", ["alipay_page", "wechat_native", "sandbox"])
def test_money_for_a_cancelled_order_is_refunded_automatically(
    counterpart, method, django_capture_on_commit_callbacks
):
    """A verified 'paid' for a cancelled order: the order is not revived, the payment is
    flagged for finance, and all of it is refunded under one number (RA + its digits),
    once, however often the notice comes."""
    counterpart.refunds_succeed()
    counterpart.trades_close()
    customer = make_customer()
    payment = make_payment(method=method, customer=customer)
    cancel_order(order_id=payment.order_id, actor=customer.user, reason="", by_customer=True)
    headers, body = counterpart.notice(payment)
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            notice, _reply = handle_notice(gateway=payment.gateway, headers=headers, body=body)
    payment.refresh_from_db()
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.CANCELLED
    (refund,) = Refund.objects.filter(payment=payment)
    assert refund.refund_no == "RA" + payment.number[1:] and refund.amount == payment.amount
    assert refund.status in ("succeeded", "processing") and refund.actor is None
    assert payment.needs_review and "refunded automatically" in payment.review_reason
    if method != "wechat_native":  # WeChat Pay's refund waits for its notice
        assert payment.status == "refunded"
    if method != "sandbox":
        assert counterpart.paid_out == {(payment.gateway, refund.refund_no): payment.amount}
    flagged = payment.notices.filter(action=NoticeAction.FLAGGED)
    assert flagged.count() == 1 and flagged.get().needs_review


def test_a_second_payment_by_another_method_is_refunded_automatically(
    counterpart, django_capture_on_commit_callbacks
):
    counterpart.refunds_succeed()
    order = make_order(payment_method="alipay_page")
    first = make_payment(order=order, method="sandbox")
    second = make_payment(order=order, method="alipay_page")
    handle_notice(gateway="sandbox", **notice_of(counterpart, first))
    with django_capture_on_commit_callbacks(execute=True):
        handle_notice(gateway="alipay", **notice_of(counterpart, second))
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.payment_ref == first.number
    second.refresh_from_db()
    assert second.status == "refunded" and "second payment" in second.review_reason.lower()
    assert counterpart.total_paid_out("alipay") == second.amount
    assert Payment.objects.get(pk=first.pk).status == "paid"


def test_automatic_refunds_can_be_switched_off(counterpart, settings):
    """MERCATO_AUTO_REFUND_STRAY_PAYMENTS=0: flagged for finance, nothing refunded."""
    settings.MERCATO_PAYMENTS = {
        **settings.MERCATO_PAYMENTS,
        "MERCATO_AUTO_REFUND_STRAY_PAYMENTS": "0",
    }
    customer = make_customer()
    payment = make_payment(method="sandbox", customer=customer)
    cancel_order(order_id=payment.order_id, actor=customer.user, reason="", by_customer=True)
    handle_notice(gateway="sandbox", **notice_of(counterpart, payment))
    payment.refresh_from_db()
    assert payment.status == "paid" and payment.needs_review
    assert "revive" in payment.review_reason and not Refund.objects.exists()


def test_every_attempt_move_writes_an_event(counterpart):
    """Closing writes the payment's event row, with no actor (the system)."""
    counterpart.trades_close()
    customer = make_customer()
    payment = make_payment(method="alipay_page", customer=customer)
    cancel_order(order_id=payment.order_id, actor=customer.user, reason="", by_customer=True)
    close_attempts_of(order_ids=[payment.order_id])
    moves = list(PaymentEvent.objects.filter(payment=payment).values_list("to_status", "actor"))
    assert moves == [("pending", None), ("closed", None)]
    assert Decimal(payment.amount) > 0

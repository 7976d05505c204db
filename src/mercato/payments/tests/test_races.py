"""Races on PostgreSQL with real threads (conftest skips them elsewhere, with the reason)."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from mercato.core.errors import Conflict, ValidationFailed
from mercato.inventory.models import Reservation, Stock, StockMovement
from mercato.inventory.reservations import reserve_stock
from mercato.inventory.services import receive_stock
from mercato.orders.models import Order, OrderEvent, OrderStatus
from mercato.orders.services import cancel_order
from mercato.payments.expiry import sweep_expired_orders
from mercato.payments.models import (
    NoticeAction,
    PaymentEvent,
    PaymentNotice,
    Refund,
    RefundEvent,
)
from mercato.payments.refund_checks import settle_refund
from mercato.payments.services import handle_notice, refund_payment
from mercato.testing.factories import SkuFactory, make_warehouse
from mercato.testing.payments import make_customer, make_payment, paid_payment, priced_line

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(*targets):
    """Start every target at the same moment; return (results, errors)."""
    gate, results, errors = threading.Barrier(len(targets)), [], []

    def run(target):
        try:
            gate.wait()
            results.append(target())
        except Exception as exc:  # collected: the assertions look at them
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.mark.parametrize("method", ["alipay_page", "sandbox"])
def test_one_notice_replayed_ten_times_at_once_changes_things_once(counterpart, method):
    """Ten copies of one signed notice at the same moment: ten rows on record, one move
    of the payment to paid, the order marked paid once."""
    payment = make_payment(method=method)
    headers, body = counterpart.notice(payment)
    results, errors = run_together(
        *[lambda: handle_notice(gateway=payment.gateway, headers=headers, body=body)] * 10
    )
    assert errors == [] and all(reply.status == 200 for _, reply in results)
    actions = sorted(PaymentNotice.objects.values_list("action", flat=True))
    assert actions == sorted([NoticeAction.PAID] + [NoticeAction.DUPLICATE] * 9)
    assert PaymentEvent.objects.filter(payment=payment, to_status="paid").count() == 1
    order = Order.objects.get(pk=payment.order_id)
    assert order.status == OrderStatus.PAID and order.payment_ref == payment.number
    assert OrderEvent.objects.filter(order=order, to_status="paid").count() == 1


def test_the_expiry_sweep_racing_a_late_notice_ends_paid_xor_cancelled_and_refunded(counterpart):
    """10 overdue orders, each with the expiry sweep and a signed notice started together:
    the order is paid (reservation held, nothing refunded) or cancelled (reservation
    released, the money refunded automatically, once), never both."""
    warehouse, sku = make_warehouse("GZ", "广东省"), SkuFactory()
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=100)
    paid = 0
    for _ in range(10):
        payment = make_payment(method="sandbox", lines=[priced_line(sku=sku)])
        order = payment.order
        reserve_stock(lines=[(sku.pk, 1)], province=order.province, reference=order.number)
        Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=5))
        headers, body = counterpart.notice(payment)
        _, errors = run_together(
            sweep_expired_orders,
            lambda h=headers, b=body: handle_notice(gateway="sandbox", headers=h, body=b),
        )
        assert errors == []
        order.refresh_from_db()
        payment.refresh_from_db()
        reservation = Reservation.objects.get(reference=order.number)
        refunds = list(Refund.objects.filter(payment=payment))
        assert order.status in (OrderStatus.PAID, OrderStatus.CANCELLED)
        if order.status == OrderStatus.PAID:
            paid += 1
            assert payment.status == "paid" and refunds == []
            assert order.cancelled_at is None and not payment.needs_review
            assert reservation.status == Reservation.Status.ACTIVE
        else:
            assert order.paid_at is None and payment.needs_review
            assert reservation.status == Reservation.Status.RELEASED
            assert [(r.refund_no, r.amount, r.status) for r in refunds] == [
                ("RA" + payment.number[1:], payment.amount, "succeeded")
            ]
            assert payment.status == "refunded"
        moves = OrderEvent.objects.filter(order=order).exclude(from_status="").count()
        assert moves == 1
    stock = Stock.objects.get(sku=sku, warehouse=warehouse)
    assert (stock.on_hand, stock.reserved) == (100, paid)


def test_the_expiry_sweep_racing_a_late_alipay_notice_ends_paid_once(counterpart):
    """The buyer paid at Alipay just before the deadline; the sweep and Alipay's notice
    start together on 5 overdue orders. The sweep asks Alipay before cancelling (close
    answers ACQ.TRADE_STATUS_ERROR, the query TRADE_SUCCESS), so each order ends paid,
    once: one move to paid for the payment and for the order, no cancellation, no
    refund, the reservation held; both paths' notices are on record."""
    warehouse, sku = make_warehouse("GZ", "广东省"), SkuFactory()
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=100)
    payments = [make_payment(method="alipay_page", lines=[priced_line(sku=sku)]) for _ in range(5)]
    counterpart.trades_close(paid={p.number for p in payments})
    amounts = {p.number: p.amount for p in payments}
    counterpart.answers[("alipay", "alipay.trade.query")] = lambda biz: {
        "code": "10000",
        "msg": "Success",
        "trade_no": "2026112722001400000000000077",
        "out_trade_no": biz["out_trade_no"],
        "trade_status": "TRADE_SUCCESS",
        "total_amount": str(amounts[biz["out_trade_no"]]),
    }
    for payment in payments:
        order = payment.order
        reserve_stock(lines=[(sku.pk, 1)], province=order.province, reference=order.number)
        Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=5))
        headers, body = counterpart.notice(payment, trade_no="2026112722001400000000000077")
        _, errors = run_together(
            sweep_expired_orders,
            lambda h=headers, b=body: handle_notice(gateway="alipay", headers=h, body=b),
        )
        assert errors == []
        order.refresh_from_db()
        payment.refresh_from_db()
        assert order.status == OrderStatus.PAID and order.payment_ref == payment.number
        assert payment.status == "paid" and not payment.needs_review
        assert PaymentEvent.objects.filter(payment=payment, to_status="paid").count() == 1
        assert list(
            OrderEvent.objects.filter(order=order).exclude(from_status="")
            .values_list("to_status", flat=True)
        ) == ["paid"]  # fmt: skip
        assert not Refund.objects.filter(payment=payment).exists()
        assert Reservation.objects.get(reference=order.number).status == "active"
        assert sorted(payment.notices.values_list("action", flat=True)) in (
            [NoticeAction.DUPLICATE, NoticeAction.PAID],
            [NoticeAction.PAID],  # the sweep asked after the notice had paid it
        )
    assert counterpart.paid_out == {}
    stock = Stock.objects.get(sku=sku, warehouse=warehouse)
    assert (stock.on_hand, stock.reserved) == (100, 5)


def test_a_paid_after_cancel_notice_replayed_ten_times_at_once_is_refunded_once(counterpart):
    """The customer cancelled; Alipay's 'paid' then arrives ten times at once: one notice
    applies (flagged), nine are duplicates, and Alipay is asked for one refund, which
    pays the money back once."""
    counterpart.refunds_succeed()
    counterpart.trades_close()
    customer = make_customer()
    payment = make_payment(method="alipay_page", customer=customer)
    cancel_order(order_id=payment.order_id, actor=customer.user, reason="", by_customer=True)
    headers, body = counterpart.notice(payment)
    results, errors = run_together(
        *[lambda: handle_notice(gateway="alipay", headers=headers, body=body)] * 10
    )
    assert errors == [] and all(reply.body == "success" for _, reply in results)
    actions = sorted(PaymentNotice.objects.filter(via="notify").values_list("action", flat=True))
    assert actions == sorted([NoticeAction.FLAGGED] + [NoticeAction.DUPLICATE] * 9)
    refund_calls = [
        c for c in counterpart.server.calls if b"method=alipay.trade.refund&" in c.body + b"&"
    ]
    assert len(refund_calls) == 1
    assert counterpart.paid_out == {("alipay", "RA" + payment.number[1:]): payment.amount}
    payment.refresh_from_db()
    assert payment.status == "refunded" and payment.needs_review
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.CANCELLED


def test_an_unknown_refund_outcome_retried_ten_times_at_once_pays_out_once(counterpart, make_staff):
    """Alipay paid 20.00 back but answered ACQ.SYSTEM_ERROR. A refund under a new number
    is refused while it is unresolved. Ten retries at once (the back office sending the
    same number again, the background check): Alipay's books hold one refund of 20.00,
    ours one succeeded refund of 20.00, one event each."""
    finance = make_staff("finance")
    counterpart.refunds_answer_unknown_first()
    payment = paid_payment(method="alipay_page")

    def refund(no):
        return refund_payment(
            payment=payment, amount=Decimal("20.00"), refund_no=no, reason="x", actor=finance
        )

    first = refund("R0000000001")
    assert first.status == "processing"
    with pytest.raises(Conflict) as error:
        refund("R0000000002")
    assert error.value.code == "refund_in_progress"
    due = first.next_check_at
    results, errors = run_together(
        *[lambda: refund("R0000000001")] * 5,
        *[lambda: settle_refund(refund_id=first.pk, now=due)] * 5,
    )
    assert errors == [] and {r.pk for r in results} == {first.pk}
    assert counterpart.paid_out == {("alipay", "R0000000001"): Decimal("20.00")}
    assert list(Refund.objects.values_list("refund_no", "amount", "status")) == [
        ("R0000000001", Decimal("20.00"), "succeeded")
    ]
    assert RefundEvent.objects.filter(refund=first, to_status="succeeded").count() == 1
    payment.refresh_from_db()
    assert payment.status == "partially_refunded"
    assert PaymentEvent.objects.filter(payment=payment, to_status="partially_refunded").count() == 1


def test_sweeps_running_side_by_side_share_the_work_and_cancel_each_order_once(counterpart):
    """40 overdue orders, four sweeps at once in batches of 5 (SELECT ... FOR UPDATE SKIP
    LOCKED): every order cancelled exactly once, its reservation released once."""
    warehouse, sku = make_warehouse("GZ", "广东省"), SkuFactory()
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=100)
    orders = []
    for _ in range(40):
        order = make_payment(method="sandbox", lines=[priced_line(sku=sku)]).order
        reserve_stock(lines=[(sku.pk, 1)], province=order.province, reference=order.number)
        orders.append(order)
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(
        expires_at=timezone.now() - timedelta(minutes=5)
    )
    results, errors = run_together(*[lambda: sweep_expired_orders(batch_size=5)] * 4)
    assert errors == []
    assert sum(r.cancelled for r in results) == 40
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.CANCELLED}
    assert OrderEvent.objects.filter(to_status="cancelled").count() == 40
    released = StockMovement.objects.filter(reason="release").values_list("reference", flat=True)
    assert sorted(released) == sorted(o.number for o in orders)
    assert Stock.objects.get(sku=sku, warehouse=warehouse).reserved == 0


def test_concurrent_refunds_never_exceed_what_was_paid(counterpart, make_staff):
    """8 refunds of ¥50 of a ¥208 payment at once: at most 4 go through; each of the others
    is refused, because another refund is still unsettled (refund_in_progress) or by
    amount. Never more than was paid, and nothing half-written."""
    finance = make_staff("finance")
    payment = paid_payment(method="sandbox")
    results, errors = run_together(
        *[
            lambda no=f"R00000000{i:02d}": refund_payment(
                payment=payment, amount=Decimal("50.00"), refund_no=no, reason="x", actor=finance
            )
            for i in range(8)
        ]
    )
    assert 1 <= len(results) <= 4 and all(r.status == "succeeded" for r in results)
    assert len(results) + len(errors) == 8
    assert all(
        isinstance(e, ValidationFailed)
        or (isinstance(e, Conflict) and e.code == "refund_in_progress")
        for e in errors
    )
    total = sum(Refund.objects.filter(payment=payment).values_list("amount", flat=True))
    assert total == Decimal("50.00") * len(results) <= payment.amount


def test_the_same_refund_number_at_once_is_one_refund(counterpart, make_staff):
    finance = make_staff("finance")
    payment = paid_payment(method="sandbox")
    results, errors = run_together(
        *[
            lambda: refund_payment(
                payment=payment,
                amount=Decimal("10.00"),
                refund_no="R0000000001",
                reason="x",
                actor=finance,
            )
        ]
        * 5
    )
    assert errors == [] and len({r.pk for r in results}) == 1
    assert Refund.objects.count() == 1

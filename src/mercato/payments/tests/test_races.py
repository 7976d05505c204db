"""Races on PostgreSQL with real threads (conftest skips them elsewhere, with the reason)."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from mercato.core.errors import ValidationFailed
from mercato.inventory.models import Reservation, Stock
from mercato.inventory.reservations import reserve_stock
from mercato.inventory.services import receive_stock
from mercato.orders.models import Order, OrderEvent, OrderStatus
from mercato.orders.services import expire_unpaid_order
from mercato.payments.models import NoticeAction, PaymentEvent, PaymentNotice, Refund
from mercato.payments.services import handle_notice, refund_payment
from mercato.testing.factories import SkuFactory, make_warehouse
from mercato.testing.payments import make_payment, paid_payment, priced_line

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


def test_auto_cancel_racing_a_payment_notice_ends_paid_xor_cancelled(counterpart):
    """10 overdue orders, each with the expiry and a signed notice started together: the
    order is paid (reservation held) or cancelled (reservation released, the payment paid
    and flagged for finance), never both."""
    warehouse, sku = make_warehouse("GZ", "广东省"), SkuFactory()
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=100)
    paid = 0
    for _ in range(10):
        payment = make_payment(method="sandbox", lines=[priced_line(sku=sku)])
        order = payment.order
        reserve_stock(lines=[(sku.pk, 1)], province=order.province, reference=order.number)
        Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
        headers, body = counterpart.notice(payment)
        _, errors = run_together(
            lambda pk=order.pk: expire_unpaid_order(order_id=pk),
            lambda h=headers, b=body: handle_notice(gateway="sandbox", headers=h, body=b),
        )
        assert errors == []
        order.refresh_from_db()
        payment.refresh_from_db()
        reservation = Reservation.objects.get(reference=order.number)
        assert payment.status == "paid"
        assert order.status in (OrderStatus.PAID, OrderStatus.CANCELLED)
        if order.status == OrderStatus.PAID:
            paid += 1
            assert order.cancelled_at is None and not payment.needs_review
            assert reservation.status == Reservation.Status.ACTIVE
        else:
            assert order.paid_at is None and payment.needs_review
            assert reservation.status == Reservation.Status.RELEASED
            assert PaymentNotice.objects.get(payment=payment).needs_review
        moves = OrderEvent.objects.filter(order=order).exclude(from_status="").count()
        assert moves == 1
    stock = Stock.objects.get(sku=sku, warehouse=warehouse)
    assert (stock.on_hand, stock.reserved) == (100, paid)


def test_concurrent_refunds_never_exceed_what_was_paid(counterpart, make_staff):
    """8 refunds of ¥50 of a ¥208 payment at once: 4 go through, 4 are refused by amount."""
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
    assert len(results) == 4 and all(r.status == "succeeded" for r in results)
    assert len(errors) == 4 and all(isinstance(e, ValidationFailed) for e in errors)
    total = sum(Refund.objects.filter(payment=payment).values_list("amount", flat=True))
    assert total == Decimal("200.00") <= payment.amount


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

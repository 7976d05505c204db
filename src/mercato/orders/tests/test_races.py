"""Races on PostgreSQL with real threads (conftest skips them elsewhere, with the reason)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from mercato.inventory.models import Reservation, Stock
from mercato.inventory.reservations import reserve_stock
from mercato.inventory.services import receive_stock
from mercato.orders import services
from mercato.orders.errors import DuplicateOrder, IllegalTransition
from mercato.orders.models import Order, OrderEvent, OrderStatus
from mercato.testing.factories import (
    SkuFactory,
    make_customer,
    make_order,
    make_warehouse,
    priced_line,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run_together(*targets):
    gate = threading.Barrier(len(targets))
    errors = []

    def run(target):
        try:
            gate.wait()
            target()
        except Exception as exc:  # collected: the assertions look at them
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_auto_cancel_racing_a_payment_ends_paid_or_cancelled_never_both():
    """20 times, the expiry and a payment notice for the same overdue order start together:
    each order ends paid XOR cancelled, with exactly one matching event after placement,
    and its reservation held (paid) or released (cancelled)."""
    warehouse, sku = make_warehouse("GZ", "广东省"), SkuFactory()
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=100)
    line = priced_line(sku=sku)
    outcomes = []
    for i in range(20):
        order = make_order(lines=[line])
        reserve_stock(lines=[(sku.pk, 1)], province=order.province, reference=order.number)
        Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
        errors = _run_together(
            lambda pk=order.pk: services.expire_unpaid_order(order_id=pk),
            lambda pk=order.pk, ref=f"T{i}": services.mark_paid(order_id=pk, payment_ref=ref),
        )
        order.refresh_from_db()
        moves = list(OrderEvent.objects.filter(order=order).values_list("from_status", "to_status"))
        assert order.status in (OrderStatus.PAID, OrderStatus.CANCELLED)
        assert moves == [("", "pending_payment"), ("pending_payment", order.status)]
        reservation = Reservation.objects.get(reference=order.number)
        if order.status == OrderStatus.PAID:
            assert errors == [] and order.paid_at and order.cancelled_at is None
            assert reservation.status == Reservation.Status.ACTIVE
        else:
            # The payment lost: refused, so payments records it for finance.
            assert [type(e) for e in errors] == [IllegalTransition]
            assert order.paid_at is None and order.cancelled_at is not None
            assert reservation.status == Reservation.Status.RELEASED
        outcomes.append(order.status)
    stock = Stock.objects.get(sku=sku, warehouse=warehouse)
    assert (stock.on_hand, stock.reserved) == (100, outcomes.count(OrderStatus.PAID))


def test_concurrent_placements_get_distinct_consecutive_numbers():
    """8 orders placed at once get 8 different, consecutive numbers of the day."""
    line = priced_line()
    errors = _run_together(*[lambda: make_order(lines=[line]) for _ in range(8)])
    assert errors == []
    numbers = sorted(Order.objects.values_list("number", flat=True))
    day = timezone.localdate()
    first = int(numbers[0].split("-")[1])
    assert numbers == [f"{day:%Y%m%d}-{n:06d}" for n in range(first, first + 8)]


def test_a_double_click_places_one_order():
    """Two placements with the same customer and idempotency key at once: one order, and
    the other request hears DuplicateOrder naming it."""
    customer, line = make_customer(), priced_line()
    errors = _run_together(
        *[lambda: make_order(customer=customer, lines=[line], idempotency_key="k") for _ in "ab"]
    )
    order = Order.objects.get()
    assert [(type(e), e.number) for e in errors] == [(DuplicateOrder, order.number)]

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from mercato.core.errors import NotFound, PermissionDeniedError, ValidationFailed
from mercato.orders import services, tasks
from mercato.orders.errors import AlreadyPaid, IllegalTransition
from mercato.orders.models import OrderStatus
from mercato.testing.factories import make_customer, make_order

pytestmark = pytest.mark.django_db


def _set_status(order, status):
    order.status = status
    order.save(update_fields=["status"])


def _moves(order):
    return [(e.from_status, e.to_status) for e in order.events.all()]


def test_a_customer_cancels_their_own_order_before_shipment():
    """The order becomes cancelled with the customer as actor; its stock is released."""
    customer = make_customer()
    order = make_order(customer=customer)
    with mock.patch.object(services, "release_stock_for") as release:
        services.cancel_order(
            order_id=order.pk, actor=customer.user, reason="买错了", by_customer=True
        )
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.cancelled_at is not None
    event = order.events.last()
    assert (event.actor, event.reason) == (customer.user, "买错了")
    release.assert_called_once()


def test_a_customer_cannot_cancel_someone_elses_order():
    """Another customer's order answers NotFound (404), the same as no order at all."""
    order = make_order(customer=make_customer())
    with pytest.raises(NotFound):
        services.cancel_order(
            order_id=order.pk, actor=make_customer().user, reason="", by_customer=True
        )
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT


def test_a_guest_cancels_with_the_orders_token_and_nothing_else():
    """A guest order is cancelled by its guest token (from the signed link), actor None; a
    wrong or empty token, or a member without it, is NotFound and changes nothing."""
    guest_order = make_order()
    for actor, token in [(None, "x" * 32), (None, ""), (make_customer().user, "")]:
        with pytest.raises(NotFound):
            services.cancel_order(
                order_id=guest_order.pk, actor=actor, reason="", by_customer=True, guest_token=token
            )
    guest_order.refresh_from_db()
    assert guest_order.status == OrderStatus.PENDING_PAYMENT
    member_order = make_order(customer=make_customer())
    with pytest.raises(NotFound):  # a member's order has no guest token to match
        services.cancel_order(
            order_id=member_order.pk, actor=None, reason="", by_customer=True, guest_token=""
        )
    services.cancel_order(
        order_id=guest_order.pk,
        actor=None,
        reason="",
        by_customer=True,
        guest_token=guest_order.guest_token,
    )
    guest_order.refresh_from_db()
    assert guest_order.status == OrderStatus.CANCELLED
    assert guest_order.events.last().actor is None


@pytest.mark.parametrize(
    "status", [OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED]
)
def test_a_shipped_order_cannot_be_cancelled(status):
    """From shipment on, cancellation raises IllegalTransition (409) and changes nothing."""
    customer = make_customer()
    order = make_order(customer=customer)
    _set_status(order, status)
    with pytest.raises(IllegalTransition):
        services.cancel_order(order_id=order.pk, actor=customer.user, reason="", by_customer=True)
    order.refresh_from_db()
    assert order.status == status


def test_staff_cancel_with_the_permission_and_a_reason(make_staff):
    """客服部 may cancel any order with a reason; 市场部 may not; a blank reason is refused."""
    order = make_order(customer=make_customer())
    _set_status(order, OrderStatus.PICKING)
    with pytest.raises(PermissionDeniedError):
        services.cancel_order(
            order_id=order.pk, actor=make_staff("marketing"), reason="x", by_customer=False
        )
    agent = make_staff("service")
    with pytest.raises(ValidationFailed) as exc:
        services.cancel_order(order_id=order.pk, actor=agent, reason=" ", by_customer=False)
    assert "reason" in exc.value.field_errors
    services.cancel_order(order_id=order.pk, actor=agent, reason="客户来电取消", by_customer=False)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert _moves(order)[-1] == (OrderStatus.PICKING, OrderStatus.CANCELLED)


def test_mark_paid_is_idempotent():
    """A second notice with the same payment reference changes nothing: one paid event."""
    order = make_order()
    services.mark_paid(order_id=order.pk, payment_ref="T1")
    first = services.mark_paid(order_id=order.pk, payment_ref="T1")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.expires_at is None
    assert order.paid_at == first.paid_at
    assert _moves(order) == [("", "pending_payment"), ("pending_payment", "paid")]


def test_a_second_different_payment_is_refused_for_finance():
    """Another payment reference for a paid order raises AlreadyPaid (409)."""
    order = make_order()
    services.mark_paid(order_id=order.pk, payment_ref="T1")
    with pytest.raises(AlreadyPaid):
        services.mark_paid(order_id=order.pk, payment_ref="T2")
    order.refresh_from_db()
    assert order.payment_ref == "T1"


def test_a_payment_for_a_cancelled_order_does_not_revive_it():
    """mark_paid on a cancelled order raises IllegalTransition; the order stays cancelled."""
    customer = make_customer()
    order = make_order(customer=customer)
    services.cancel_order(order_id=order.pk, actor=customer.user, reason="", by_customer=True)
    with pytest.raises(IllegalTransition):
        services.mark_paid(order_id=order.pk, payment_ref="T1")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.paid_at is None


def test_an_unpaid_order_is_cancelled_only_after_its_deadline():
    """Before expires_at nothing happens; after it, the order is cancelled by the system."""
    order = make_order()
    assert services.expire_unpaid_order(order_id=order.pk) is False
    later = order.expires_at + timedelta(seconds=1)
    assert services.expire_unpaid_order(order_id=order.pk, now=later) is True
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    event = order.events.last()
    assert event.actor is None and event.reason == services.REASON_EXPIRED
    assert services.expire_unpaid_order(order_id=order.pk, now=later) is False


def test_a_paid_order_is_never_expired():
    """The auto-cancel task finds a paid order and leaves it alone."""
    order = make_order()
    services.mark_paid(order_id=order.pk, payment_ref="T1")
    order.expires_at = timezone.now() - timedelta(minutes=1)
    order.save(update_fields=["expires_at"])
    assert tasks.cancel_unpaid_order_task(order.pk) is False
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_refusals_are_in_chinese_for_chinese_users():
    """With zh-hans active, a late cancellation is refused in Simplified Chinese."""
    from django.utils import translation

    customer = make_customer()
    order = make_order(customer=customer)
    _set_status(order, OrderStatus.SHIPPED)
    with translation.override("zh-hans"), pytest.raises(IllegalTransition) as exc:
        services.cancel_order(order_id=order.pk, actor=customer.user, reason="", by_customer=True)
    assert exc.value.message == "该订单已发货或已结束，不能再取消。"


@pytest.fixture
def stocked_sku(db):
    """One SKU with 5 units in a warehouse serving 广东省 (the test address)."""
    from mercato.inventory.services import receive_stock
    from mercato.testing.factories import SkuFactory, make_warehouse

    warehouse, sku = make_warehouse("GZ", "广东省"), SkuFactory()
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=5)
    return sku


def _reserved(sku):
    from mercato.inventory.models import Stock

    return Stock.objects.get(sku=sku).reserved


def _reserve(order, sku, quantity):
    from mercato.inventory.reservations import reserve_stock

    reserve_stock(lines=[(sku.pk, quantity)], province=order.province, reference=order.number)


@pytest.mark.parametrize("who", ["customer", "staff", "expiry"])
def test_every_cancellation_gives_the_reserved_stock_back(who, stocked_sku, make_staff):
    """Cancelled by the customer, by staff or by the payment deadline, the order's
    reserved units become available again, with a ledger row naming the order."""
    from mercato.inventory.models import StockMovement

    customer = make_customer()
    order = make_order(customer=customer)
    _reserve(order, stocked_sku, 2)
    assert _reserved(stocked_sku) == 2
    if who == "customer":
        services.cancel_order(order_id=order.pk, actor=customer.user, reason="", by_customer=True)
    elif who == "staff":
        agent = make_staff("service")
        services.cancel_order(order_id=order.pk, actor=agent, reason="缺货", by_customer=False)
    else:
        later = order.expires_at + timedelta(seconds=1)
        assert services.expire_unpaid_order(order_id=order.pk, now=later)
    assert _reserved(stocked_sku) == 0
    assert StockMovement.objects.filter(reference=order.number).count() == 2

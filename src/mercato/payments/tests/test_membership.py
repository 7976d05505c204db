"""Member tiers and points through orders, payments, refunds, cancellation and expiry."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from mercato.customers import points
from mercato.customers.models import Customer, PointsEntry
from mercato.orders.models import Order, OrderStatus
from mercato.orders.services import cancel_order
from mercato.orders.status import transition
from mercato.payments.membership import recalculate_all_tiers
from mercato.payments.services import refund_payment
from mercato.payments.tasks import recalculate_member_tiers_task
from mercato.testing.payments import make_customer, make_order, paid_payment, priced_line

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(make_staff):
    return make_staff("finance")


def member(customer) -> Customer:
    return Customer.objects.get(pk=customer.pk)


def pay(customer, amount: str):
    return paid_payment(
        customer=customer, method="sandbox", shipping="0.00", lines=[priced_line(unit_price=amount)]
    )


def complete(order: Order) -> None:
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.DELIVERED)
    order.refresh_from_db()
    transition(order=order, to=OrderStatus.COMPLETED, actor=None)


def test_paying_raises_the_tier_completing_earns_points_and_a_refund_takes_both_back(
    counterpart, finance
):
    c = make_customer()
    first = pay(c, "800.00")
    assert member(c).tier == "normal" and member(c).tier_spend == Decimal("800.00")
    second = pay(c, "400.00")
    assert member(c).tier == "silver"  # ¥1,200 in 12 months
    complete(second.order)
    assert member(c).points_balance == 480  # 400 × 1.2 (silver)
    complete(first.order)
    assert member(c).points_balance == 480 + 960
    # ¥250 of the ¥400 order refunded: 250/400 of its points go, the tier drops to 普通会员.
    refund_payment(
        payment=second, refund_no="R0000000001", amount="250.00", reason="x", actor=finance
    )
    c = member(c)
    assert (c.tier, c.tier_spend, c.points_balance) == ("normal", Decimal("950.00"), 1140)
    assert PointsEntry.objects.get(kind="reverse").amount == -300
    assert c.points_balance == points.ledger_sum(c.pk)


def test_spent_points_come_back_when_an_unpaid_order_is_cancelled():
    c = make_customer()
    points.adjust(customer_id=c.pk, points=500, note="welcome")
    order = make_order(customer=c)
    points.spend(customer_id=c.pk, points=300, order_number=order.number)
    assert member(c).points_balance == 200
    cancel_order(order_id=order.pk, actor=c.user, reason="", by_customer=True)
    assert member(c).points_balance == 500
    assert points.ledger_sum(c.pk) == 500


def test_the_nightly_run_lowers_a_tier_when_the_spend_is_older_than_a_year(counterpart):
    c = make_customer()
    with time_machine.travel(datetime(2026, 1, 5, tzinfo=UTC), tick=False):
        pay(c, "1500.00")
    assert member(c).tier == "silver"
    with time_machine.travel(datetime(2026, 12, 1, tzinfo=UTC), tick=False):
        assert recalculate_member_tiers_task.delay().get() == 1
        assert member(c).tier == "silver"
    with time_machine.travel(datetime(2027, 1, 6, tzinfo=UTC) + timedelta(hours=1), tick=False):
        recalculate_all_tiers()
        assert member(c).tier == "normal"

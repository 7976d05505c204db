"""Points ledger: earning, spending FIFO, expiry, returns, refunds; balance = ledger sum."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from mercato.core.errors import DomainError
from mercato.customers import points, tiers
from mercato.customers.models import Customer, PointsEntry, PointsKind
from mercato.testing.factories import make_customer

pytestmark = pytest.mark.django_db

JAN_2026 = datetime(2026, 1, 10, 4, tzinfo=UTC)


def fresh(customer) -> Customer:
    return Customer.objects.get(pk=customer.pk)


def check_books(customer) -> int:
    """The stored balance is the ledger sum, and unspent lots cover a positive balance."""
    c = fresh(customer)
    assert c.points_balance == points.ledger_sum(c.pk)
    lots = PointsEntry.objects.filter(customer=c, remaining__gt=0)
    assert sum(lot.remaining for lot in lots) == max(c.points_balance, 0)
    return c.points_balance


def test_order_points_use_the_tier_multiplier_and_come_once():
    c = make_customer()
    tiers.apply_spend(customer_id=c.pk, spend=Decimal("6000"))  # gold: x1.5
    assert fresh(c).tier == "gold"
    assert points.earn_for_order(customer_id=c.pk, order_number="A1", paid=Decimal("99.90")) == 149
    assert points.earn_for_order(customer_id=c.pk, order_number="A1", paid=Decimal("99.90")) == 0
    assert check_books(c) == 149


def test_points_earned_in_a_year_expire_at_the_end_of_the_next_with_notice():
    c = make_customer(email="m@example.com")
    with time_machine.travel(JAN_2026, tick=False):
        points.earn_for_order(customer_id=c.pk, order_number="A1", paid=Decimal("300"))
    lot = PointsEntry.objects.get(customer=c)
    assert str(lot.expires_at.astimezone(tiers.timezone.get_current_timezone())) == (
        "2027-12-31 23:59:59+08:00"
    )
    points.spend(customer_id=c.pk, points=100, now=JAN_2026)
    # 30 days before: one notice, not two.
    notice_day = datetime(2027, 12, 5, tzinfo=UTC)
    assert points.notify_expiring(now=notice_day) == 1
    assert points.notify_expiring(now=notice_day) == 0
    assert len(mail.outbox) == 1 and "200" in mail.outbox[0].body
    assert points.expire_due(now=datetime(2027, 12, 31, 15, tzinfo=UTC)) == 0  # 23:00 Shanghai
    assert points.expire_due(now=datetime(2028, 1, 1, tzinfo=UTC)) == 200
    assert check_books(c) == 0
    assert PointsEntry.objects.filter(kind=PointsKind.EXPIRE).get().amount == -200


def test_spending_takes_the_oldest_lots_first_and_never_more_than_the_balance():
    c = make_customer()
    with time_machine.travel(JAN_2026, tick=False):
        points.earn_for_order(customer_id=c.pk, order_number="OLD", paid=Decimal("100"))
    with time_machine.travel(datetime(2027, 3, 1, tzinfo=UTC), tick=False):
        points.earn_for_order(customer_id=c.pk, order_number="NEW", paid=Decimal("100"))
        points.spend(customer_id=c.pk, points=150, order_number="B1")
        with pytest.raises(DomainError, match="50 ") as exc:
            points.spend(customer_id=c.pk, points=51)
        assert exc.value.field == "points"
    remaining = dict(
        PointsEntry.objects.filter(kind="earn_order").values_list("order_number", "remaining")
    )
    assert remaining == {"OLD": 0, "NEW": 50}
    assert check_books(c) == 50


def test_a_cancelled_unpaid_order_gives_its_points_back_once():
    c = make_customer()
    points.earn_for_order(customer_id=c.pk, order_number="A1", paid=Decimal("500"))
    points.spend(customer_id=c.pk, points=300, order_number="B1")
    assert points.return_for_orders(order_numbers=["B1"]) == 300
    assert points.return_for_orders(order_numbers=["B1"]) == 0
    assert check_books(c) == 500


def test_a_refund_reverses_in_proportion_and_a_negative_balance_is_paid_off_by_new_points():
    c = make_customer()
    points.earn_for_order(customer_id=c.pk, order_number="A1", paid=Decimal("400"))
    points.spend(customer_id=c.pk, points=300, order_number="B1")
    # Half of A1 refunded: 200 of its 400 points taken back, only 100 are left: -100.
    change = points.reverse_for_refund(
        customer_id=c.pk, order_number="A1", refunded=Decimal("200"), paid=Decimal("400")
    )
    assert change == -200 and check_books(c) == -100
    # The rest refunded: 200 more.
    points.reverse_for_refund(
        customer_id=c.pk, order_number="A1", refunded=Decimal("400"), paid=Decimal("400")
    )
    assert check_books(c) == -300
    points.earn_for_order(customer_id=c.pk, order_number="A2", paid=Decimal("500"))
    assert check_books(c) == 200
    with pytest.raises(DomainError):
        points.spend(customer_id=c.pk, points=201)


def test_a_refund_gives_back_points_spent_on_the_order_in_proportion():
    c = make_customer()
    points.adjust(customer_id=c.pk, points=1000, note="welcome")
    points.spend(customer_id=c.pk, points=600, order_number="B1")
    points.reverse_for_refund(
        customer_id=c.pk, order_number="B1", refunded=Decimal("25"), paid=Decimal("100")
    )
    assert check_books(c) == 550


def test_sign_in_streak_and_birthday_once_a_year():
    c = make_customer()
    Customer.objects.filter(pk=c.pk).update(birthday=date(1990, 3, 2))
    days = [datetime(2026, 3, d, 2, tzinfo=UTC) for d in (1, 2, 3)]
    got = [points.sign_in(customer_id=c.pk, now=d) for d in days]
    assert got == [1, 2, 3]
    with pytest.raises(DomainError) as exc:
        points.sign_in(customer_id=c.pk, now=days[-1])
    assert exc.value.field == "signin"
    assert points.sign_in(customer_id=c.pk, now=datetime(2026, 3, 5, 2, tzinfo=UTC)) == 1
    birthday = PointsEntry.objects.filter(kind=PointsKind.EARN_BIRTHDAY)
    assert [e.amount for e in birthday] == [200]
    assert points.give_birthday_points(customer_id=c.pk, now=days[1]) == 0  # once a year
    assert check_books(c) == 1 + 2 + 3 + 1 + 200


def test_tiers_follow_the_spend_both_ways_and_show_the_way_up():
    c = make_customer()
    assert tiers.progress_of(fresh(c)).missing == Decimal("1000")
    tiers.apply_spend(customer_id=c.pk, spend=Decimal("3000"))
    p = tiers.progress_of(fresh(c))
    assert (p.tier.code, p.next.code, p.missing, p.percent) == ("silver", "gold", 2000, 50)
    tiers.apply_spend(customer_id=c.pk, spend=Decimal("999.99"))
    assert fresh(c).tier == "normal"
    tiers.apply_spend(customer_id=c.pk, spend=Decimal("20000"))
    assert tiers.progress_of(fresh(c)).next is None


def test_usable_points_respect_the_cap_and_the_balance(settings):
    assert points.usable_points(balance=10**6, payable=Decimal("99.99")) == 4999
    assert points.usable_points(balance=120, payable=Decimal("99.99")) == 120
    assert points.money_for(4999) == Decimal("49.99")
    settings.MERCATO_POINTS_PER_YUAN = 10
    settings.MERCATO_POINTS_CAP_PERCENT = 20
    assert points.usable_points(balance=10**6, payable=Decimal("100")) == 200
    assert points.money_for(200) == Decimal("20.00")


operation = st.tuples(
    st.sampled_from(["earn", "spend", "return", "reverse", "expire", "adjust"]),
    st.integers(min_value=1, max_value=800),
    st.integers(min_value=0, max_value=800),  # days from the start
)


class TestLedgerProperty(TestCase):
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(ops=st.lists(operation, max_size=16))
    def test_balance_is_the_ledger_sum_after_any_sequence(self, ops):
        from datetime import timedelta

        c = make_customer()
        for i, (op, n, day) in enumerate(sorted(ops, key=lambda o: o[2])):
            now = JAN_2026 + timedelta(days=day)
            if op == "earn":
                points.earn_for_order(
                    customer_id=c.pk, order_number=f"E{i}", paid=Decimal(n), now=now
                )
            elif op == "spend":
                try:
                    points.spend(customer_id=c.pk, points=n, order_number=f"S{i}", now=now)
                except DomainError:
                    pass
            elif op == "return":
                points.return_for_orders(order_numbers=[f"S{j}" for j in range(i)], now=now)
            elif op == "reverse":
                points.reverse_for_refund(
                    customer_id=c.pk,
                    order_number=f"E{n % (i + 1)}",
                    refunded=Decimal(n),
                    paid=Decimal(800),
                    now=now,
                )
            elif op == "expire":
                points.expire_due(now=now)
            else:
                points.adjust(customer_id=c.pk, points=n - 400 or 1, note="x", now=now)
            check_books(c)

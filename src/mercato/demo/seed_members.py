"""Demo members: customers in every tier with a points history (earned on orders, sign-in
streaks, a birthday, points used at checkout, points expired, points expiring soon, a
refund that took points back). customers.tiers and customers.points write everything."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from mercato.customers import points, tiers
from mercato.customers.models import Customer, PointsEntry

from .data import DEMO_SHOPPERS

# (tier spend in the last 12 months) for the demo shoppers, then for the first customers.
SPENDS = [Decimal("3260.00"), Decimal("6880.00"), Decimal("23500.00"), Decimal("420.00")]


def _history(customer: Customer, *, now) -> None:
    """A year and a half of points for `customer`, oldest first."""
    last_year = now.replace(month=1, day=15) - timedelta(days=365)
    # Points earned the year before last year, expired at the end of it.
    points.earn_for_order(
        customer_id=customer.pk, order_number=f"DEMO{customer.pk:04d}Z", paid=Decimal("150"),
        now=last_year - timedelta(days=400),
    )  # fmt: skip
    points.expire_due(now=last_year)
    points.earn_for_order(
        customer_id=customer.pk, order_number=f"DEMO{customer.pk:04d}A", paid=Decimal("1280"),
        now=last_year,
    )  # fmt: skip
    points.earn_for_order(
        customer_id=customer.pk, order_number=f"DEMO{customer.pk:04d}B", paid=Decimal("399"),
        now=last_year + timedelta(days=40),
    )  # fmt: skip
    points.reverse_for_refund(
        customer_id=customer.pk, order_number=f"DEMO{customer.pk:04d}B", refunded=Decimal("199.5"),
        paid=Decimal("399"), now=last_year + timedelta(days=60),
    )  # fmt: skip
    points.spend(
        customer_id=customer.pk, points=500, order_number=f"DEMO{customer.pk:04d}C",
        now=last_year + timedelta(days=90),
    )  # fmt: skip
    for day in range(5, 0, -1):
        points.sign_in(customer_id=customer.pk, now=now - timedelta(days=day))
    points.earn_for_order(
        customer_id=customer.pk, order_number=f"DEMO{customer.pk:04d}D", paid=Decimal("2599"),
        now=now - timedelta(days=20),
    )  # fmt: skip


def seed_members(*, bar=None) -> int:
    """Tiers and points for the demo shoppers and the first customers; how many members
    got a history (none again on a second run)."""
    now = timezone.now()
    mobiles = [mobile for mobile, _name, _address in DEMO_SHOPPERS]
    people = list(Customer.objects.filter(mobile__in=mobiles).order_by("mobile"))
    people += list(
        Customer.objects.exclude(mobile__in=mobiles).order_by("pk")[: len(SPENDS) - len(people)]
    )
    done = 0
    for customer, spend in zip(people, SPENDS, strict=False):
        if PointsEntry.objects.filter(customer=customer).exists():
            continue
        tiers.apply_spend(customer_id=customer.pk, spend=spend)
        _history(customer, now=now)
        done += 1
        if bar is not None:
            bar.update(1)
    return done

"""Member tiers and points where the money is: payments knows what a customer paid and
what came back, so it measures the 12-month spend for customers.tiers and reverses points
on refunds (customers.points). Called on payment, on refund and nightly."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from mercato.customers import points, tiers

from .models import Payment, PaymentStatus, Refund, RefundStatus

PAID_STATES = (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)


def member_spend(*, customer_id: int, now=None) -> Decimal:
    """What the customer paid in the last 12 months (365 days) less what was refunded."""
    since = (now or timezone.now()) - timedelta(days=365)
    payments = Payment.objects.filter(
        order__customer_id=customer_id, status__in=PAID_STATES, paid_at__gte=since
    )
    paid = payments.aggregate(s=Sum("amount"))["s"] or Decimal(0)
    refunded = Refund.objects.filter(payment__in=payments, status=RefundStatus.SUCCEEDED).aggregate(
        s=Sum("amount")
    )["s"] or Decimal(0)
    return max(paid - refunded, Decimal(0))


def recalculate_tier(*, customer_id: int, now=None):
    """The customer's tier from their spend now (up or down)."""
    return tiers.apply_spend(
        customer_id=customer_id, spend=member_spend(customer_id=customer_id, now=now)
    )


def after_refund(*, payment: Payment) -> None:
    """A refund of `payment` succeeded: points earned on (and spent on) its order are
    reversed in proportion to all that was refunded so far, and the tier recalculated."""
    order = payment.order
    if order.customer_id is None:
        return
    refunded = Refund.objects.filter(payment__order=order, status=RefundStatus.SUCCEEDED).aggregate(
        s=Sum("amount")
    )["s"] or Decimal(0)
    points.reverse_for_refund(
        customer_id=order.customer_id,
        order_number=order.number,
        refunded=refunded,
        paid=order.total,
    )
    recalculate_tier(customer_id=order.customer_id)


def recalculate_all_tiers(*, now=None) -> int:
    """Nightly: every customer who has a tier above the lowest or paid in the last year."""
    from mercato.customers.models import Customer

    since = (now or timezone.now()) - timedelta(days=366)
    paying = Payment.objects.filter(status__in=PAID_STATES, paid_at__gte=since).values(
        "order__customer_id"
    )
    lowest = tiers.tiers()[0].code
    ids = set(Customer.objects.exclude(tier=lowest).values_list("pk", flat=True)) | {
        row["order__customer_id"] for row in paying if row["order__customer_id"]
    }
    for customer_id in sorted(ids):
        recalculate_tier(customer_id=customer_id, now=now)
    return len(ids)

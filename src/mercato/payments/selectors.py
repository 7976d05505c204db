"""Reading payments and refunds for other apps: the back office (finance's queue, the audit
timeline), the shopper's order pages and the API."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from .models import (
    Payment,
    PaymentEvent,
    PaymentStatus,
    Refund,
    RefundEvent,
    RefundLine,
    RefundStatus,
)

# A refund processing this long without a settlement is shown to finance.
SLOW_REFUND = timedelta(hours=1)
UNSENT = timedelta(minutes=5)  # a refund recorded and not sent for this long


def refunds_needing_attention(*, now=None) -> QuerySet[Refund]:
    """The finance queue: abnormal refunds (finance must act), refunds not sent because
    of a problem, and refunds whose outcome is still unknown or that have waited over an
    hour; oldest first, with their payments."""
    now = now or timezone.now()
    return (
        Refund.objects.filter(
            Q(status=RefundStatus.ABNORMAL)
            | Q(status=RefundStatus.REQUESTED, created_at__lte=now - timedelta(minutes=2))
            | Q(status=RefundStatus.REQUESTED) & ~Q(problem="")
            | Q(status=RefundStatus.PROCESSING)
            & (~Q(problem="") | Q(created_at__lte=now - SLOW_REFUND))
        )
        .select_related("payment__order")
        .order_by("created_at", "pk")
    )


REFUNDED_STATES = (PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)


@dataclass(frozen=True)
class OrderRefunds:
    """An order's refunds as its shopper sees them."""

    refunds: list[Refund]  # oldest first, every state (labels: get_status_display())
    refunded_total: Decimal  # what came back: the succeeded refunds
    payment: Payment | None  # the paid payment, when a refund moved it on

    @property
    def payment_label(self) -> str:
        """部分退款 / 已退款 from the payment's status; "" while nothing was refunded."""
        if self.payment is None or self.payment.status not in REFUNDED_STATES:
            return ""
        return str(self.payment.get_status_display())


def refunds_for_order(*, order_id: int) -> OrderRefunds:
    """The refunds of the order's payments (one query, with their payment)."""
    refunds = list(
        Refund.objects.filter(payment__order_id=order_id)
        .select_related("payment")
        .order_by("created_at", "id")
    )
    refunded = sum(
        (r.amount for r in refunds if r.status == RefundStatus.SUCCEEDED), Decimal("0.00")
    )
    payments = [r.payment for r in refunds if r.payment.status in REFUNDED_STATES]
    return OrderRefunds(refunds=refunds, refunded_total=refunded, payment=(payments or [None])[-1])


def payment_events(*, number: str = "") -> QuerySet[PaymentEvent]:
    """Every payment status change, or those of one payment or of one order's payments
    (`number` is a payment or an order number)."""
    events = PaymentEvent.objects.all()
    if number:
        events = events.filter(Q(payment__number=number) | Q(payment__order__number=number))
    return events


def refund_events(*, number: str = "") -> QuerySet[RefundEvent]:
    """Every refund status change, or those of one refund, payment or order (`number`)."""
    events = RefundEvent.objects.all()
    if number:
        events = events.filter(
            Q(refund__refund_no=number)
            | Q(refund__payment__number=number)
            | Q(refund__payment__order__number=number)
        )
    return events


def payment_events_by_id(ids) -> dict[int, PaymentEvent]:
    return PaymentEvent.objects.select_related("payment__order").in_bulk(list(ids))


def refund_events_by_id(ids) -> dict[int, RefundEvent]:
    return RefundEvent.objects.select_related("refund__payment__order").in_bulk(list(ids))


def refunded_by_line(*, order_lines) -> dict[int, dict]:
    """Per order line of `order_lines` (a queryset or ids), what refunds took back:
    amount, units and units restocked, in one query. Every refund but a failed one counts
    (only failure frees the amount again)."""
    rows = (
        RefundLine.objects.filter(order_line__in=order_lines)
        .exclude(refund__status=RefundStatus.FAILED)
        .values("order_line_id")
        .annotate(
            amount=Sum("amount"),
            units=Sum("quantity"),
            restocked=Sum("quantity", filter=Q(refund__restock=True)),
        )
        .order_by()
    )
    return {
        r["order_line_id"]: {"amount": r["amount"], "units": r["units"],
                             "restocked": r["restocked"] or 0}
        for r in rows
    }  # fmt: skip

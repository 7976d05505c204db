"""Reads shared by the back office and the API."""

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Refund, RefundStatus

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

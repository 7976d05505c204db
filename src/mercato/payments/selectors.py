"""Reading payments and refunds for other apps (the back office's audit timeline)."""

from django.db.models import Q, QuerySet

from .models import PaymentEvent, RefundEvent


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

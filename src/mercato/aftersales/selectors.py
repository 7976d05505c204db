"""Reading returns and exchanges: for the order page, the queues and the customer."""

from django.db.models import QuerySet

from mercato.orders.models import Order

from .models import ReturnRequest


def returns_for_order(*, order: Order) -> list[ReturnRequest]:
    """The order's return and exchange requests with their lines, oldest first."""
    return list(
        ReturnRequest.objects.filter(order=order)
        .prefetch_related("lines__order_line")
        .order_by("created_at", "id")
    )


def returns_queue(*, status: str | None = None) -> QuerySet[ReturnRequest]:
    queryset = ReturnRequest.objects.select_related("order").order_by("-created_at", "-id")
    return queryset.filter(status=status) if status else queryset

"""Reading returns and exchanges: for the order page, the queues and the customer."""

from django.db.models import QuerySet, Sum

from mercato.orders.models import Order

from .models import ReturnKind, ReturnLine, ReturnRequest


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


# A return's goods are back at the warehouse from these statuses on.
GOODS_BACK = ("received", "inspected", "refunding", "completed")


def resaleable_by_line(*, order_lines) -> dict[int, int]:
    """Per order line of `order_lines`: units that came back through a return and were
    found resaleable (back in stock), in one query."""
    rows = (
        ReturnLine.objects.filter(
            order_line__in=order_lines,
            request__kind=ReturnKind.RETURN,
            request__status__in=GOODS_BACK,
            resaleable__gt=0,
        )
        .values("order_line_id")
        .annotate(units=Sum("resaleable"))
        .order_by()
    )
    return {r["order_line_id"]: r["units"] for r in rows}

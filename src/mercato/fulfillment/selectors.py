"""Reading order processing's queues: the counts on the department's workspace home."""

from datetime import date

from django.db.models import Count
from django.utils import timezone

from mercato.orders.models import Order, OrderStatus

from .models import Shipment
from .models import ShipmentStatus as S
from .status import ON_THE_WAY


def queue_counts(*, today: date | None = None) -> dict[str, int]:
    """How many orders wait for review, parcels for a wave, for picking and packing, for
    shipping, refused parcels on their way back, and parcels late with the carrier: three
    queries, each on an index (orders by status; parcels by status; the late parcels'
    partial index), whatever the number of orders."""
    today = today or timezone.localdate()
    to_review = Order.objects.filter(status=OrderStatus.UNDER_REVIEW).count()
    names = {
        S.ALLOCATED: "to_wave",
        S.PICKING: "to_pack",
        S.PACKED: "to_ship",
        S.REFUSED: "refused",
    }
    counts = dict.fromkeys(names.values(), 0)
    rows = (
        Shipment.objects.filter(status__in=list(names))
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for status, n in rows:
        counts[names[status]] = n
    late = Shipment.objects.filter(status__in=ON_THE_WAY, promised_by__lt=today).count()
    return {"to_review": to_review, **counts, "late": late}

"""Reading order processing's queues: the counts on the department's workspace home."""

from datetime import date

from django.utils import timezone

from mercato.core.db import count_together
from mercato.orders.models import Order, OrderStatus

from .models import Shipment
from .models import ShipmentStatus as S
from .status import ON_THE_WAY


def queue_counts(*, today: date | None = None) -> dict[str, int]:
    """How many orders wait for review, parcels for a wave, for picking and packing, for
    shipping, refused parcels on their way back, and parcels late with the carrier: one
    statement (core.db.count_together), each count on an index (orders by status; parcels
    by status; the late parcels' partial index), whatever the number of orders."""
    today = today or timezone.localdate()
    shipments = Shipment.objects.all()
    return count_together(
        {
            "to_review": Order.objects.filter(status=OrderStatus.UNDER_REVIEW),
            "to_wave": shipments.filter(status=S.ALLOCATED),
            "to_pack": shipments.filter(status=S.PICKING),
            "to_ship": shipments.filter(status=S.PACKED),
            "refused": shipments.filter(status=S.REFUSED),
            "late": shipments.filter(status__in=ON_THE_WAY, promised_by__lt=today),
        }
    )

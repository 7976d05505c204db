"""The parcel status machine: the allowed moves, written out, and the one function that
makes a move (an event row each). docs/orders.md draws it."""

from mercato.core.models import User

from .errors import IllegalShipmentMove
from .models import Shipment, ShipmentEvent, ShipmentStatus

S = ShipmentStatus

ALLOWED: dict[str, frozenset[str]] = {
    S.ALLOCATED: frozenset({S.PICKING, S.CANCELLED}),
    S.PICKING: frozenset({S.PACKED, S.ALLOCATED, S.CANCELLED}),
    S.PACKED: frozenset({S.SHIPPED, S.PICKING, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.EXCEPTION, S.REFUSED, S.LOST}),
    S.EXCEPTION: frozenset({S.SHIPPED, S.DELIVERED, S.REFUSED, S.LOST}),
    S.REFUSED: frozenset({S.RETURNED}),
    S.DELIVERED: frozenset(),
    S.LOST: frozenset(),
    S.RETURNED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Not yet with the carrier: the order may still be cancelled, the parcel is in the queue.
BEFORE_SHIPPING = frozenset({S.ALLOCATED, S.PICKING, S.PACKED})
# With the carrier, not arrived: what the late list and the tracking look at.
ON_THE_WAY = frozenset({S.SHIPPED, S.EXCEPTION})


def move_shipment(
    *, shipment: Shipment, to: str, actor: User | None, reason: str = "", update_fields=()
) -> ShipmentEvent:
    """Move `shipment` (row lock held by the caller) to `to`, writing its event; raises
    IllegalShipmentMove, changing nothing, when the move is not in ALLOWED."""
    if to not in ALLOWED[shipment.status]:
        raise IllegalShipmentMove(current=shipment.status, target=to)
    event = ShipmentEvent.objects.create(
        shipment=shipment, from_status=shipment.status, to_status=to, actor=actor,
        reason=reason[:200],
    )  # fmt: skip
    shipment.status = to
    shipment.save(update_fields=["status", *update_fields])
    return event

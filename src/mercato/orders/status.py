"""The order status machine: the allowed moves, written out, and the one function that
makes a move. docs/orders.md draws it."""

from mercato.core.models import User

from .errors import IllegalTransition
from .models import Order, OrderEvent, OrderStatus

S = OrderStatus

# Cancellation is possible until the parcel leaves: once shipped, only delivery, returns
# (closed) or completion follow. "closed" ends an order without completing it after money
# or goods moved back: a gateway reporting an unpaid trade closed, a refused or lost parcel,
# or a full return after delivery.
ALLOWED: dict[str, frozenset[str]] = {
    S.PENDING_PAYMENT: frozenset({S.PAID, S.COD_CONFIRMED, S.CANCELLED, S.CLOSED}),
    S.PAID: frozenset({S.UNDER_REVIEW, S.CANCELLED}),
    S.COD_CONFIRMED: frozenset({S.UNDER_REVIEW, S.CANCELLED}),
    S.UNDER_REVIEW: frozenset({S.APPROVED, S.CANCELLED}),
    S.APPROVED: frozenset({S.ALLOCATED, S.CANCELLED}),
    S.ALLOCATED: frozenset({S.PICKING, S.CANCELLED}),
    S.PICKING: frozenset({S.PACKED, S.CANCELLED}),
    S.PACKED: frozenset({S.SHIPPED, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.CLOSED}),
    S.DELIVERED: frozenset({S.COMPLETED, S.CLOSED}),
    S.COMPLETED: frozenset({S.CLOSED}),
    S.CANCELLED: frozenset(),
    S.CLOSED: frozenset(),
}


def can_cancel(order: Order) -> bool:
    return S.CANCELLED in ALLOWED[order.status]


def transition(
    *, order: Order, to: str, actor: User | None, reason: str = "", update_fields=()
) -> OrderEvent:
    """Move `order` to `to` and write its event; the caller holds the order's row lock.

    Raises IllegalTransition, changing nothing, when the move is not in ALLOWED.
    `update_fields` names other fields the caller set on `order` to save with it.
    """
    if to not in ALLOWED[order.status]:
        raise IllegalTransition(current=order.status, target=to)
    event = OrderEvent.objects.create(
        order=order, from_status=order.status, to_status=to, actor=actor, reason=reason[:200]
    )
    order.status = to
    order.save(update_fields=["status", "updated_at", *update_fields])
    return event

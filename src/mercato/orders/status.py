"""The order status machine: the allowed moves, written out, and the one function that
makes a move. docs/orders.md draws it."""

from django.utils import timezone

from mercato.catalog.bulk import any_of, insert_objects
from mercato.core.models import User
from mercato.customers.points import earn_for_order

from .errors import IllegalTransition
from .models import EventKind, Order, OrderEvent, OrderStatus

S = OrderStatus

# Cancellation is possible until the parcel leaves: once shipped, only delivery, returns
# (closed) or completion follow. "closed" ends an order without completing it after money
# or goods moved back: a gateway reporting an unpaid trade closed, a refused or lost parcel,
# or a full return after delivery.
#
# Order processing (fulfillment): a paid or COD order passes the automatic review straight
# to approved, or waits under review for a person; approved orders are allocated (their
# parcels made), picked in a wave (picking; back to allocated when the wave is cancelled),
# packed, shipped. A split order ships when its first parcel leaves (picking → shipped);
# it is delivered when the last one arrives. A carrier's exception (damaged, lost, held
# up) moves a shipped order to exception, from where it moves on again, is delivered, or
# closed (lost, refused and returned).
ALLOWED: dict[str, frozenset[str]] = {
    S.PENDING_PAYMENT: frozenset({S.PAID, S.COD_CONFIRMED, S.CANCELLED, S.CLOSED}),
    S.PAID: frozenset({S.UNDER_REVIEW, S.APPROVED, S.CANCELLED}),
    S.COD_CONFIRMED: frozenset({S.UNDER_REVIEW, S.APPROVED, S.CANCELLED}),
    S.UNDER_REVIEW: frozenset({S.APPROVED, S.CANCELLED}),
    S.APPROVED: frozenset({S.ALLOCATED, S.CANCELLED}),
    S.ALLOCATED: frozenset({S.PICKING, S.CANCELLED}),
    S.PICKING: frozenset({S.PACKED, S.SHIPPED, S.ALLOCATED, S.CANCELLED}),
    S.PACKED: frozenset({S.SHIPPED, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.EXCEPTION, S.CLOSED}),
    S.EXCEPTION: frozenset({S.SHIPPED, S.DELIVERED, S.CLOSED}),
    S.DELIVERED: frozenset({S.COMPLETED, S.CLOSED}),
    S.COMPLETED: frozenset({S.CLOSED}),
    S.CANCELLED: frozenset(),
    S.CLOSED: frozenset(),
}

# Before the goods leave: the delivery address or phone may still change.
BEFORE_SHIPMENT = frozenset(
    {S.PENDING_PAYMENT, S.PAID, S.COD_CONFIRMED, S.UNDER_REVIEW, S.APPROVED, S.ALLOCATED,
     S.PICKING, S.PACKED}
)  # fmt: skip
# Paid (or COD) and not yet ended: orders the warehouse works on.
IN_FULFILLMENT = frozenset(
    {S.PAID, S.COD_CONFIRMED, S.UNDER_REVIEW, S.APPROVED, S.ALLOCATED, S.PICKING, S.PACKED}
)


def can_cancel(order: Order) -> bool:
    return S.CANCELLED in ALLOWED[order.status]


def transition(
    *,
    order: Order,
    to: str,
    actor: User | None,
    reason: str = "",
    update_fields=(),
    data: dict | None = None,
) -> OrderEvent:
    """Move `order` to `to` and write its event; the caller holds the order's row lock.

    Raises IllegalTransition, changing nothing, when the move is not in ALLOWED.
    `update_fields` names other fields the caller set on `order` to save with it.
    """
    if to not in ALLOWED[order.status]:
        raise IllegalTransition(current=order.status, target=to)
    event = OrderEvent.objects.create(
        order=order,
        from_status=order.status,
        to_status=to,
        actor=actor,
        reason=reason[:200],
        data=data or {},
    )
    order.status = to
    order.save(update_fields=["status", "updated_at", *update_fields])
    if to == OrderStatus.COMPLETED and order.customer_id is not None:
        # Points for a completed order: what was paid for the goods, times the tier's
        # multiplier (customers.points; once per order).
        earn_for_order(
            customer_id=order.customer_id,
            order_number=order.number,
            paid=order.total - order.shipping_fee,
        )
    return event


def record_event(
    *, order: Order, kind: str, actor: User | None, reason: str = "", data: dict | None = None
) -> OrderEvent:
    """An event that leaves the status as it is (address change, hold, review finding):
    from_status == to_status == the current status."""
    if kind == EventKind.STATUS:
        raise ValueError("status events are written by transition()")
    return OrderEvent.objects.create(
        order=order,
        from_status=order.status,
        to_status=order.status,
        actor=actor,
        reason=reason[:200],
        kind=kind,
        data=data or {},
    )


def bulk_transition(
    *, orders: list[Order], to: str, actor: User | None, reason: str = "", data=None
) -> int:
    """transition() for many orders at once (the batch jobs of order processing): every
    move is checked against ALLOWED first, and one illegal move raises IllegalTransition
    with nothing written; then the events go in one COPY (PostgreSQL) and the orders in
    one UPDATE, a constant number of queries however many orders. The caller holds the
    rows' locks. `data`: {order id: dict} for each event's details. Returns how many
    moved."""
    now = timezone.now()
    moved = bulk_transition_rows(
        rows=[(order.pk, order.status) for order in orders],
        to=to,
        actor=actor,
        reason=reason,
        data=data,
        now=now,
    )
    for order in orders:
        order.status, order.updated_at = to, now
    return moved


def bulk_transition_rows(
    *,
    rows: list[tuple[int, str]],
    to: str,
    actor: User | None,
    reason: str = "",
    data=None,
    now=None,
) -> int:
    """bulk_transition() for (order id, current status) pairs, for a job that read only
    those two columns (100,000 Order instances cost the wave job seconds of Python).
    `now`: the orders' updated_at (the caller's, when it keeps the same on its instances)."""
    for _pk, status in rows:
        if to not in ALLOWED[status]:
            raise IllegalTransition(current=status, target=to)
    if not rows:
        return 0
    data = data or {}
    actor_id = actor.pk if actor is not None else None
    # Rows as dicts, not OrderEvent instances: bulk_create's per-instance and per-value
    # preparation was most of the review's and allocation's Python time (bench/orders_bench).
    insert_objects(
        OrderEvent,
        [
            {
                "order_id": pk, "from_status": status, "to_status": to,
                "actor_id": actor_id, "reason": reason[:200], "data": data.get(pk, {}),
            }
            for pk, status in rows
        ],
    )  # fmt: skip
    Order.objects.filter(any_of("pk", [pk for pk, _status in rows])).update(
        status=to, updated_at=now or timezone.now()
    )
    return len(rows)

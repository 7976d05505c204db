"""Completing delivered orders (交易完成): the customer's 确认收货, or automatically
MERCATO_AUTO_COMPLETE_DAYS (7) days after delivery unless a return or exchange is open.

Completion is where points for the order are earned (orders.status.transition calls
customers.points.earn_for_order, once per order). It lives here, above orders, because the
scheduled step must see the open after-sales requests; a return after completion is still
possible within the return window, and its refund reverses the points in proportion
(payments.membership.after_refund).
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mercato.core.errors import Conflict, NotFound
from mercato.orders.models import Order, OrderEvent, OrderStatus
from mercato.orders.status import transition

from .models import ReturnRequest
from .services import OPEN

REASON_CONFIRMED = gettext_noop("Receipt confirmed by the customer")
REASON_AUTO = gettext_noop("Completed automatically after delivery")
BATCH_SIZE = 200


def auto_complete_days() -> int:
    """Days after delivery before a delivered order completes by itself."""
    return int(getattr(settings, "MERCATO_AUTO_COMPLETE_DAYS", 7))


@transaction.atomic
def confirm_receipt(*, order_number: str, customer_id: int, actor=None) -> Order:
    """The member confirms they received a delivered order: it completes now (points
    earned). Another customer's order is NotFound, an order not delivered (or already
    completed) a Conflict; nothing changes either way."""
    order = (
        Order.objects.select_for_update()
        .filter(number=order_number, customer_id=customer_id)
        .first()
    )
    if order is None:
        raise NotFound(_("No such order."), field="number")
    if order.status != OrderStatus.DELIVERED:
        raise Conflict(_("Only a delivered order can be confirmed as received."), field="status")
    transition(order=order, to=OrderStatus.COMPLETED, actor=actor, reason=REASON_CONFIRMED)
    return order


def due_for_completion(*, now=None):
    """Ids of delivered orders whose delivery is older than the window and that have no
    open return or exchange, oldest delivery first."""
    cutoff = (now or timezone.now()) - timedelta(days=auto_complete_days())
    delivered = OrderEvent.objects.filter(
        order_id=OuterRef("pk"), to_status=OrderStatus.DELIVERED
    ).values("order_id")
    open_returns = ReturnRequest.objects.filter(order_id=OuterRef("pk"), status__in=OPEN)
    return (
        Order.objects.filter(status=OrderStatus.DELIVERED)
        .annotate(
            delivered_at=delivered.annotate(at=Max("created_at")).values("at")[:1],
        )
        .filter(delivered_at__lte=cutoff)
        .exclude(Exists(open_returns))
        .order_by("delivered_at", "pk")
        .values_list("pk", flat=True)
    )


def complete_delivered_orders(*, now=None, batch_size: int = BATCH_SIZE) -> int:
    """The scheduled step: complete the delivered orders past the window, a batch per
    transaction. Safe to run twice or side by side: each batch locks its orders (skipping
    ones another run holds) and moves only those still delivered. Returns how many
    completed."""
    done = 0
    while True:
        ids = list(due_for_completion(now=now)[:batch_size])
        if not ids:
            return done
        moved = _complete_batch(ids)
        done += moved
        if moved == 0:  # every one was taken by another run meanwhile
            return done


@transaction.atomic
def _complete_batch(ids: list[int]) -> int:
    moved = 0
    orders = Order.objects.select_for_update(skip_locked=True).filter(pk__in=ids).order_by("pk")
    for order in orders:
        if order.status != OrderStatus.DELIVERED:
            continue
        # Points are earned per order (the customer's row lock): one transition each.
        transition(order=order, to=OrderStatus.COMPLETED, actor=None, reason=REASON_AUTO)
        moved += 1
    return moved

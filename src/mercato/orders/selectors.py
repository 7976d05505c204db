"""Reading orders: for the account pages, the guest link and the services."""

import hashlib
import secrets

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from mercato.core.compiled import CompiledQuery
from mercato.core.errors import NotFound
from mercato.customers.models import Customer

from .links import read_guest_link_token
from .models import Order, OrderEvent

# Compiled once (mercato.core.compiled): asked at every placement while a promotion for new
# customers runs.
AN_ORDER_OF = CompiledQuery(
    "orders.an_order_of",
    lambda customer_id: (
        Order.objects.filter(customer_id=customer_id).order_by().values_list("id")[:1]
    ),
)


def has_placed_orders(*, customer_id: int) -> bool:
    """Whether the customer placed any order before (promotions for new customers)."""
    return bool(AN_ORDER_OF.rows(customer_id=customer_id))


def orders_for_customer(*, customer: Customer) -> QuerySet[Order]:
    """The customer's orders, newest first, lines prefetched (two queries for any number)."""
    return Order.objects.filter(customer=customer).prefetch_related("lines")


def order_for_customer(*, customer: Customer, number: str) -> Order:
    """One of the customer's orders; another customer's number is NotFound (404), the same
    answer as a number that does not exist, so numbers cannot be probed."""
    order = (
        Order.objects.filter(customer=customer, number=number)
        .prefetch_related("lines", "events")
        .first()
    )
    if order is None:
        raise NotFound(_("No such order."), field="number")
    return order


def order_for_guest_link(*, token: str) -> Order:
    """The guest order a signed link points to; forged, mangled or stale links are NotFound."""
    parsed = read_guest_link_token(token)
    order = None
    if parsed:
        number, guest_token = parsed
        order = (
            Order.objects.filter(number=number, customer__isnull=True)
            .prefetch_related("lines", "events")
            .first()
        )
        if order and not (
            order.guest_token and secrets.compare_digest(order.guest_token, guest_token)
        ):
            order = None
    if order is None:
        raise NotFound(_("No such order."), field="token")
    return order


def stored_idempotency_key(*, customer: Customer | None, key: str, session_key: str = "") -> str:
    """The idempotency key as the order stores it.

    A member's key is unique per customer, so it is stored as given. Guests share one
    namespace (no customer row), so a guest's key is bound to the guest's session: another
    visitor who sends the same key (a predictable one from an API client, say) places their
    own order and never receives this guest's order and its signed link.
    """
    if customer is not None or not key:
        return key
    digest = hashlib.sha256(f"{session_key}\0{key}".encode()).hexdigest()
    return f"g:{digest[:62]}"  # Order.idempotency_key holds 64 characters


def order_for_idempotency_key(
    *, customer: Customer | None, key: str, session_key: str = ""
) -> Order | None:
    """The order already placed with this key, so checkout can answer a repeat at once."""
    if not key:
        return None
    stored = stored_idempotency_key(customer=customer, key=key, session_key=session_key)
    return order_for_stored_key(customer=customer, stored_key=stored)


def order_for_stored_key(*, customer: Customer | None, stored_key: str) -> Order | None:
    """The order placed with a key as stored_idempotency_key gave it (checkout has it)."""
    customer_id = customer.pk if customer is not None else None
    return placed_with_key(customer_id=customer_id, stored_key=stored_key).first()


def order_problems(*, now=None, overdue_after=None, limit: int = 20) -> list[str]:
    """What must never be found after any fault (the fault suite and `mercato check_data`
    check it): an order without lines, and an unpaid order still open longer than
    `overdue_after` past its payment deadline (the expiry sweep should have cancelled it;
    default: overdue_grace())."""
    from django.utils import timezone

    from .models import OrderStatus

    now = now or timezone.now()
    overdue_after = overdue_after if overdue_after is not None else overdue_grace()
    problems = [
        f"order {number} has no lines"
        for number in Order.objects.filter(lines__isnull=True).values_list("number", flat=True)[
            :limit
        ]
    ]
    overdue = Order.objects.filter(
        status=OrderStatus.PENDING_PAYMENT, expires_at__lt=now - overdue_after
    )
    count = overdue.count()
    if count:
        problems.append(
            f"{count} unpaid orders more than {int(overdue_after.total_seconds())} s past "
            "their payment deadline"
        )
    return problems


def overdue_grace():
    """How long past its deadline an unpaid order may stay open: two runs of the expiry
    sweep (its beat schedule), at least a minute."""
    from datetime import timedelta

    from django.conf import settings

    sweep = getattr(settings, "CELERY_BEAT_SCHEDULE", {}).get("sweep-expired-orders", {})
    seconds = float(sweep.get("schedule", 300))
    return timedelta(seconds=max(2 * seconds, 60))


def check_overdue_orders() -> str | None:
    """/readyz (MERCATO_READINESS_CHECKS): unpaid orders open well past their deadline mean
    the expiry sweep is not running (no beat, no worker): they hold stock."""
    from django.utils import timezone

    from .models import OrderStatus

    grace = overdue_grace()
    count = Order.objects.filter(
        status=OrderStatus.PENDING_PAYMENT, expires_at__lt=timezone.now() - grace
    ).count()
    if not count:
        return None
    return f"{count} unpaid orders more than {int(grace.total_seconds())} s past their deadline"


# The audit timeline (back office) reads order events through these two.
def order_events(*, number: str = "") -> QuerySet[OrderEvent]:
    """Every order status change, or those of the order numbered `number`."""
    events = OrderEvent.objects.all()
    return events.filter(order__number=number) if number else events


def order_events_by_id(ids) -> dict[int, OrderEvent]:
    return OrderEvent.objects.select_related("order").in_bulk(list(ids))


def placed_with_key(*, customer_id: int | None, stored_key: str) -> QuerySet[Order]:
    """The order placed with a key as stored_idempotency_key gave it, as a queryset: checkout
    reads its id in the statement that locks the cart."""
    return Order.objects.filter(customer_id=customer_id, idempotency_key=stored_key).order_by()


def best_selling_sku_ids(limit: int) -> list[int]:
    """The active SKUs with a price that sold the most units, most first: one query."""
    from django.db.models import Sum

    from .models import OrderLine

    return list(
        OrderLine.objects.filter(sku__is_active=True, sku__list_price__gt=0)
        .values("sku_id")
        .annotate(units=Sum("quantity"))
        .order_by("-units", "sku_id")
        .values_list("sku_id", flat=True)[:limit]
    )

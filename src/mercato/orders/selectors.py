"""Reading orders: for the account pages, the guest link and the services."""

import hashlib
import secrets

from django.db.models import Exists, F, Min, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from mercato.core.compiled import CompiledQuery
from mercato.core.errors import NotFound
from mercato.customers.models import Customer

from .links import read_guest_link_token
from .models import EventKind, Order, OrderEvent, OrderLine, OrderStatus


def orders_of(*, customer_id) -> QuerySet[Order]:
    """The customer's orders, unordered, as a queryset (`customer_id` may be an OuterRef):
    checkout asks whether one exists in the statement that reads the cart's lines."""
    return Order.objects.filter(customer_id=customer_id).order_by()


# Compiled once (mercato.core.compiled): the cart page asks while a promotion for new
# customers runs.
AN_ORDER_OF = CompiledQuery(
    "orders.an_order_of",
    lambda customer_id: orders_of(customer_id=customer_id).values_list("id")[:1],
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


def demand_by_province(*, since, until) -> dict[str, tuple[int, int]]:
    """Orders placed in [since, until) per delivery province, not cancelled, as
    {province: (orders, grams of goods)}: the demand warehouse network planning reads
    (procurement.network). Two queries."""
    from django.db.models import Count, F, Sum

    from .models import OrderLine, OrderStatus

    placed = Order.objects.filter(placed_at__gte=since, placed_at__lt=until).exclude(
        status=OrderStatus.CANCELLED
    )
    counts = dict(
        placed.order_by()
        .values_list("province")
        .annotate(n=Count("pk"))
        .values_list("province", "n")
    )
    grams = dict(
        OrderLine.objects.filter(order__in=placed, sku__isnull=False)
        .order_by()
        .values_list("order__province")
        .annotate(g=Sum(F("quantity") * F("sku__weight_g")))
        .values_list("order__province", "g")
    )
    return {p: (n, int(grams.get(p) or 0)) for p, n in counts.items()}


# Supply-chain KPIs (analytics.supply) -------------------------------------------------------
def first_status_times(*, since, until, statuses) -> dict[int, dict]:
    """For orders placed in [since, until): when each first reached each of `statuses`,
    in one query: {order id: {"placed": placed_at, status: at, ...}}."""
    rows = (
        OrderEvent.objects.filter(
            order__placed_at__gte=since, order__placed_at__lt=until,
            kind=EventKind.STATUS, to_status__in=list(statuses),
        )
        .values("order_id", "order__placed_at", "to_status")
        .annotate(at=Min("created_at"))
        .order_by()
    )  # fmt: skip
    times: dict[int, dict] = {}
    for row in rows:
        order = times.setdefault(row["order_id"], {"placed": row["order__placed_at"]})
        order[row["to_status"]] = row["at"]
    return times


def units_filled(*, since, until) -> tuple[int, int]:
    """(units ordered, units of those shipped) over orders placed in [since, until) that
    were paid or confirmed for cash on delivery and have left the warehouse's hands:
    shipped (whatever came after) or cancelled or closed before shipping."""
    reached = OrderEvent.objects.filter(order=OuterRef("order_id"), kind=EventKind.STATUS)
    paid = reached.filter(to_status__in=[OrderStatus.PAID, OrderStatus.COD_CONFIRMED])
    shipped = reached.filter(to_status=OrderStatus.SHIPPED)
    rows = (
        OrderLine.objects.filter(order__placed_at__gte=since, order__placed_at__lt=until)
        .annotate(paid=Exists(paid), shipped=Exists(shipped))
        .filter(paid=True)
        .filter(Q(shipped=True) | Q(order__status__in=[OrderStatus.CANCELLED, OrderStatus.CLOSED]))
        .values("shipped")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    units = {row["shipped"]: row["units"] for row in rows}
    return units.get(True, 0) + units.get(False, 0), units.get(True, 0)


def daily_units(*, since, until, sku_ids=None, chunk: int = 200_000):
    """Units sold per SKU, delivery province and day (Asia/Shanghai dates) of the orders
    placed in [since, until), cancelled orders left out, for the sales forecasts of
    purchasing (procurement.planning): pandas DataFrames of up to `chunk` rows with the
    columns sku_id, province, day (datetime64) and units.

    A year of a large assortment is millions of rows: they are fetched from the cursor in
    chunks and turned into columns at once, not into model rows one by one."""
    import pandas as pd
    from django.db import connection
    from django.db.models import Sum
    from django.db.models.functions import TruncDate

    from .models import OrderLine, OrderStatus

    lines = OrderLine.objects.filter(
        order__placed_at__gte=since, order__placed_at__lt=until, sku__isnull=False
    ).exclude(order__status=OrderStatus.CANCELLED)
    if sku_ids is not None:
        lines = lines.filter(sku_id__in=list(sku_ids))
    queryset = (
        lines.annotate(day=TruncDate("order__placed_at"))
        .values_list("sku_id", "order__province", "day")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    sql, params = queryset.query.sql_with_params()
    columns = ["sku_id", "province", "day", "units"]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk):
            frame = pd.DataFrame.from_records(rows, columns=columns)
            # PostgreSQL gives dates, SQLite text: one type for the caller.
            frame["day"] = pd.to_datetime(frame["day"])
            yield frame


# Orders that are not a sale: never paid, or cancelled or closed before shipping (the
# margin report's and the popularity sort's).
NOT_SOLD = (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED, OrderStatus.CLOSED)


def sold_orders(*, since, until) -> QuerySet[Order]:
    """Orders placed in [since, until) that are sales: paid or cash on delivery, not
    cancelled or closed (the margin report's orders)."""
    return Order.objects.filter(placed_at__gte=since, placed_at__lt=until).exclude(
        status__in=NOT_SOLD
    )


def sold_line_ids(*, since, until) -> QuerySet:
    """The ids of sold_orders' lines, as a subquery for other apps' look-ups."""
    return OrderLine.objects.filter(order__in=sold_orders(since=since, until=until)).values("id")


def sold_lines(*, since, until) -> list[dict]:
    """The lines of sold_orders with what a margin report needs, in one query: id,
    number, placed_at, sku_id, sku_code, product_name, quantity, revenue (line total less
    its discount share), unit_cost (as recorded at sale, or None), current_cost (the
    SKU's moving-average cost now), category_id, category, brand_id and brand (None
    without)."""
    return list(
        OrderLine.objects.filter(order__in=sold_orders(since=since, until=until))
        .order_by("id")
        .values(
            "id", "sku_id", "sku_code", "product_name", "quantity", "unit_cost",
            number=F("order__number"), placed_at=F("order__placed_at"),
            revenue=F("line_total") - F("discount_share"), current_cost=F("sku__cost_price"),
            category_id=F("product__category_id"), category=F("product__category__name"),
            brand_id=F("product__brand_id"), brand=F("product__brand__name"),
        )
    )  # fmt: skip

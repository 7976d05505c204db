"""Writing orders: the record checkout places, cancellation, payment, expiry.

Every function takes the order's row lock before it looks at the status, so a payment
notice, the expiry task and a cancellation for the same order run one after the other and
each sees what the one before did.
"""

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField, F, Func, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mercato.core import outbox
from mercato.core.db import (
    Statement,
    execute_together,
    insert_rows,
    insert_statement,
    insert_values_statement,
)
from mercato.core.errors import NotFound, ValidationFailed
from mercato.core.models import OutboxMessage, User
from mercato.core.permissions import require_perm
from mercato.customers.models import Customer
from mercato.customers.points import return_for_orders as return_points
from mercato.inventory.reservations import release_reservation, release_reservations
from mercato.promotions import flash
from mercato.promotions.coupons import return_coupons

from .errors import AlreadyPaid, DuplicateOrder, IllegalTransition
from .links import new_guest_token
from .models import (
    InvoiceType,
    Order,
    OrderChannel,
    OrderEvent,
    OrderLine,
    OrderNumberCounter,
    OrderStatus,
)
from .signals import order_cancelled, orders_cancelled
from .status import ALLOWED, can_cancel, transition

FEN = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")  # what DecimalField(max_digits=12) holds
MAX_LINE_QUANTITY = 9999
COD = "cod"

# Event reasons are stored in English and translated when shown.
REASON_EXPIRED = gettext_noop("Not paid in time")
REASON_PAID = gettext_noop("Payment received")
REASON_BY_CUSTOMER = gettext_noop("Cancelled by the customer")


@dataclass(frozen=True)
class PricedLine:
    """One line as checkout priced it: what the order line copies."""

    sku_id: int | None
    product_id: int | None
    product_name: str
    sku_code: str
    unit_price: Decimal
    quantity: int
    specs: dict = field(default_factory=dict)
    discount_share: Decimal = Decimal("0.00")
    unit_cost: Decimal | None = None  # the SKU's cost price as priced (margin reports)


@dataclass(frozen=True)
class DeliveryAddress:
    recipient: str
    mobile: str
    province: str
    city: str
    district: str
    detail: str


@dataclass(frozen=True)
class Invoice:
    type: str = InvoiceType.NONE
    title: str = ""
    tax_id: str = ""


def _money(value, *, name: str) -> Decimal:
    """`value` as a Decimal to the fen, or ValidationFailed naming the field."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValidationFailed({name: [_("Amounts must be decimal numbers.")]})
    if value != value.quantize(FEN):
        raise ValidationFailed({name: [_("Amounts are counted to the fen (0.01).")]})
    if value < 0 or value > MAX_AMOUNT:
        raise ValidationFailed({name: [_("The amount is out of range.")]})
    return value.quantize(FEN)


def _check_amounts(
    *,
    lines: Sequence[PricedLine],
    lines_total: Decimal,
    shipping_fee: Decimal,
    discount_total: Decimal,
    total: Decimal,
) -> list[dict]:
    """The order lines' values ({attname: value}, all but the order's key), after checking
    that everything adds up to the fen."""
    if not lines:
        raise ValidationFailed({"lines": [_("An order needs at least one line.")]})
    amounts = {
        "lines_total": _money(lines_total, name="lines_total"),
        "shipping_fee": _money(shipping_fee, name="shipping_fee"),
        "discount_total": _money(discount_total, name="discount_total"),
        "total": _money(total, name="total"),
    }
    order_lines = []
    lines_sum = discounts_sum = 0
    for i, line in enumerate(lines):
        unit_price = _money(line.unit_price, name=f"lines.{i}.unit_price")
        share = _money(line.discount_share, name=f"lines.{i}.discount_share")
        qty = line.quantity
        if isinstance(qty, bool) or not isinstance(qty, int) or not 0 < qty <= MAX_LINE_QUANTITY:
            raise ValidationFailed({f"lines.{i}.quantity": [_("Enter a quantity from 1 to 9999.")]})
        line_total = unit_price * qty
        if line_total > MAX_AMOUNT or share > line_total:
            raise ValidationFailed(
                {f"lines.{i}.discount_share": [_("A line's discount exceeds the line.")]}
            )
        lines_sum += line_total
        discounts_sum += share
        order_lines.append(
            {
                "product_id": line.product_id,
                "sku_id": line.sku_id,
                "product_name": line.product_name,
                "sku_code": line.sku_code,
                "specs": line.specs,
                "unit_price": unit_price,
                "quantity": qty,
                "line_total": line_total,
                "discount_share": share,
                "unit_cost": line.unit_cost,
            }
        )
    if lines_sum != amounts["lines_total"]:
        raise ValidationFailed({"lines_total": [_("The lines do not add up to this total.")]})
    if discounts_sum != amounts["discount_total"]:
        raise ValidationFailed(
            {"discount_total": [_("The lines' discounts do not add up to this total.")]}
        )
    expected = amounts["lines_total"] + amounts["shipping_fee"] - amounts["discount_total"]
    if amounts["total"] != expected:
        raise ValidationFailed({"total": [_("The total must be lines + shipping − discounts.")]})
    return order_lines


ORDER_NUMBER_SEQUENCE = "orders_order_number_seq"  # created by migration 0002


def next_order_number(*, now=None) -> str:
    """The next order number, like 20261127-000123: the day, then a sequence number.

    On PostgreSQL the sequence number comes from a database sequence, which hands out
    values without a row lock: placements never queue on the number (a counter row bumped
    in the placement's transaction would be locked until its commit, making every other
    placement wait for it). Numbers run on across days there and skip after a rollback.
    On SQLite, which lets one writer in at a time anyway, the day's counter row counts
    1, 2, 3 … per day; call it inside a transaction so a rolled-back placement gives its
    number back.
    """
    day = timezone.localdate(now or timezone.now())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [ORDER_NUMBER_SEQUENCE])
            (last,) = cursor.fetchone()
        return order_number(last, now=now)
    if not OrderNumberCounter.objects.filter(day=day).update(last=F("last") + 1):
        try:
            with transaction.atomic():  # savepoint: the first order of the day may race
                OrderNumberCounter.objects.create(day=day, last=1)
        except IntegrityError:
            OrderNumberCounter.objects.filter(day=day).update(last=F("last") + 1)
    last = OrderNumberCounter.objects.values_list("last", flat=True).get(day=day)
    return f"{day:%Y%m%d}-{last:06d}"


def next_number_value():
    """An ORM expression for the number of the order about to be written, for a caller
    that reads it in one of its own queries (checkout: with the cart's lock, no round trip
    of its own). On PostgreSQL the next value of ORDER_NUMBER_SEQUENCE (make the number
    with order_number()); elsewhere NULL: write_order_record takes the day's counter."""
    if connection.vendor != "postgresql":
        return Value(None, output_field=BigIntegerField())
    return Func(Value(ORDER_NUMBER_SEQUENCE), function="nextval", output_field=BigIntegerField())


def next_id_value():
    """An ORM expression for the id of the order about to be written, for the same caller
    as next_number_value: with the id known before the INSERT, write_order_record sends
    the order with its lines and event in one statement. On PostgreSQL the next value of
    the id column's sequence (names from the model's _meta); elsewhere NULL: the INSERT
    returns the id."""
    if connection.vendor != "postgresql":
        return Value(None, output_field=BigIntegerField())
    sequence = Func(
        Value(connection.ops.quote_name(Order._meta.db_table)),
        Value(Order._meta.pk.column),
        function="pg_get_serial_sequence",
    )
    return Func(sequence, function="nextval", output_field=BigIntegerField())


def order_number(sequence_value: int, *, now=None) -> str:
    """The order number of a value of ORDER_NUMBER_SEQUENCE (PostgreSQL), for a caller
    that took the value in one of its own queries (checkout, with the cart's lock)."""
    return f"{timezone.localdate(now or timezone.now()):%Y%m%d}-{sequence_value:06d}"


def _unpaid_minutes() -> int:
    return int(getattr(settings, "MERCATO_UNPAID_ORDER_MINUTES", 30))


def expiry_grace() -> timedelta:
    """How long after its deadline an unpaid order is left before it is expired: a buyer
    who paid in the last seconds, and their notice, get time to arrive
    (MERCATO_UNPAID_ORDER_GRACE_SECONDS, default 60)."""
    return timedelta(seconds=int(getattr(settings, "MERCATO_UNPAID_ORDER_GRACE_SECONDS", 60)))


@transaction.atomic
def create_order_record(*, idempotency_key: str = "", customer: Customer | None, **order) -> Order:
    """Write an order, its lines and its first event in one transaction (see
    write_order_record for the arguments and the checks).

    A repeated `idempotency_key` of this customer raises DuplicateOrder naming the first
    order; nothing is written. Except for cash on delivery, the order waits
    MERCATO_UNPAID_ORDER_MINUTES for payment.
    """
    if idempotency_key and (
        existing := Order.objects.filter(customer=customer, idempotency_key=idempotency_key)
        .values_list("number", flat=True)
        .first()
    ):
        raise DuplicateOrder(number=existing)
    try:
        with transaction.atomic():
            return write_order_record(idempotency_key=idempotency_key, customer=customer, **order)
    except IntegrityError:
        # The same key placed a moment ago by a concurrent request (a double click).
        first = idempotency_key and (
            Order.objects.filter(customer=customer, idempotency_key=idempotency_key).first()
        )
        if not first:
            raise
        raise DuplicateOrder(number=first.number) from None


# What write_order_record's callers hand in and may get wrong (an address field too long
# or blank, a bad mobile number, a note over 200 characters): checked by the fields' own
# validators, Django's messages. The rest it computes itself or has checked already (the
# amounts, the payment method), so placement does not validate 35 fields each time.
CALLER_FIELDS = {
    *(f.name for f in dataclass_fields(DeliveryAddress)),  # the order keeps the address as is
    "invoice_type",
    "invoice_title",
    "invoice_tax_id",
    "note",
    "idempotency_key",
    "channel",
    "client_ip",
}
_COMPUTED_FIELDS = [f.name for f in Order._meta.concrete_fields if f.name not in CALLER_FIELDS]


class CheckedStatement(Protocol):
    """Another app's statement whose row count that app checks (checkout: the promotions'
    uses per customer, promotions.services.CustomerClaims): write_order_record sends it
    last in the order's round trip (core.db.execute_together returns the last one's row
    count) and calls `check` with the count, which raises when the statement fell short."""

    statement: Statement

    def check(self, rowcount: int) -> None: ...


def write_order_record(
    *,
    customer: Customer | None,
    lines: Sequence[PricedLine],
    lines_total: Decimal,
    shipping_fee: Decimal,
    discount_total: Decimal,
    total: Decimal,
    payment_method: str,
    address: DeliveryAddress,
    invoice: Invoice | None = None,
    note: str = "",
    idempotency_key: str = "",
    actor: User | None = None,
    number: str = "",
    channel: str = OrderChannel.WEB,
    client_ip: str | None = None,
    pay_minutes: int | None = None,
    order_id: int | None = None,
    also: Callable[[Order], Iterable[Statement | None]] | None = None,
    checked: CheckedStatement | None = None,
) -> Order:
    """The order, its lines and its first event, inside the caller's transaction.

    `number` is one next_order_number() or order_number() gave; without it, this asks.
    `channel`: where the order came from (the shop, the API, a phone call to customer
    service); `client_ip`: the buyer's address (review counts orders per IP);
    `pay_minutes`: a deadline shorter than MERCATO_UNPAID_ORDER_MINUTES (flash sales).
    `order_id`: one next_id_value() gave (checkout, with the cart's lock): the order goes
    in the same statement as its lines, one round trip fewer. `also(order)`: other apps'
    statements (core.db.Statement, each built by the app whose table it writes) that need
    nothing of the order's rows but its number, sent in the same round trip (checkout: the
    promotions' redemptions and the placed cart lines' removal). `checked`: a statement
    sent after them in the same round trip, then checked by its count (CheckedStatement:
    an error it raises leaves the order written, so the caller's transaction must roll
    back).

    For checkout's placement, which already looked the idempotency key up under the cart's
    row lock: no look-up and no savepoint here (a concurrent repeat of the key from another
    cart surfaces as IntegrityError and rolls the caller back). Amounts are checked again:
    lines add up to `lines_total` to the fen, discount shares to `discount_total`, and
    total = lines + shipping − discounts.
    """
    order_lines = _check_amounts(
        lines=lines,
        lines_total=lines_total,
        shipping_fee=shipping_fee,
        discount_total=discount_total,
        total=total,
    )
    # Checkout validates the method against payments' table (payments sits above orders).
    if not payment_method or len(payment_method) > 20:
        raise ValidationFailed({"payment_method": [_("Choose a payment method.")]})
    invoice = invoice or Invoice()
    if invoice.type == InvoiceType.COMPANY and not (invoice.title and invoice.tax_id):
        raise ValidationFailed(
            {"invoice_tax_id": [_("A company invoice needs the company name and taxpayer ID.")]}
        )
    now = timezone.now()
    cod = payment_method == COD
    order = Order(
        id=order_id,
        number=number or next_order_number(now=now),
        customer=customer,
        guest_token="" if customer else new_guest_token(),
        # Cash on delivery needs no payment step: it goes straight to review.
        status=OrderStatus.COD_CONFIRMED if cod else OrderStatus.PENDING_PAYMENT,
        payment_method=payment_method,
        lines_total=lines_total,
        shipping_fee=shipping_fee,
        discount_total=discount_total,
        total=total,
        recipient=address.recipient,
        mobile=address.mobile,
        province=address.province,
        city=address.city,
        district=address.district,
        detail=address.detail,
        invoice_type=invoice.type,
        invoice_title=invoice.title,
        invoice_tax_id=invoice.tax_id,
        note=note,
        placed_at=now,
        expires_at=None if cod else now + timedelta(minutes=pay_minutes or _unpaid_minutes()),
        idempotency_key=idempotency_key,
        channel=channel,
        client_ip=client_ip or None,
    )
    try:
        order.clean_fields(exclude=_COMPUTED_FIELDS)
    except ValidationError as exc:
        raise ValidationFailed(exc.message_dict) from exc
    # Written out (core.db): this is placement's hot path. Lines and first event go
    # together, one round trip on PostgreSQL, and the order with them when its id is
    # known (order_id); else it goes first, for its id. (The lines' foreign key to the
    # order in the same statement: Django's foreign keys on PostgreSQL are checked at
    # commit.)
    statements = []
    if order.pk is None:
        insert_rows([order])
    else:
        order._state.adding = False
        order._state.db = "default"
        statements.append(insert_statement([order]))
    # Lines, event and timer from their values: no instance of them is needed after.
    for line in order_lines:
        line["order_id"] = order.pk
    event = {"order_id": order.pk, "from_status": "", "to_status": order.status}
    event["actor_id"] = actor.pk if actor is not None else None
    statements += [
        insert_values_statement(OrderLine, order_lines),
        insert_values_statement(OrderEvent, [event]),
    ]
    if not cod:
        # The cancel timer goes into the outbox with the order (core.outbox) and the relay
        # sends it on its next run (beat, every 10 s): it is due in half an hour, so the
        # request does not wait on the broker for it. The expiry sweep cancels the order
        # at its deadline even if the timer never runs. Due after the grace the deadline
        # gets (expiry_grace).
        timer = outbox.message_values(
            _cancel_task_name(),
            args=[order.pk],
            eta=order.expires_at + expiry_grace(),
            by_relay=True,
        )
        statements.append(insert_values_statement(OutboxMessage, [timer]))
    if also is not None:
        statements += [statement for statement in also(order) if statement is not None]
    if checked is None:
        execute_together(statements)
    else:
        checked.check(execute_together([*statements, checked.statement]))
    return order


@lru_cache(maxsize=1)
def _cancel_task_name() -> str:
    """The cancel timer's task name, looked up once: the task is a Celery proxy, which
    finds the current app's task again on every attribute read (twice a placement)."""
    from .tasks import cancel_unpaid_order_task  # tasks imports this module

    return cancel_unpaid_order_task.name


def _locked(order_id: int) -> Order:
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("No such order."), field="order_id")
    return order


def release_stock_for(order: Order, *, reason: str, actor: User | None = None) -> None:
    """Give back the stock reserved for `order` under its number (inventory.reservations).

    Idempotent there: an order placed without a reservation, or released before, is a
    no-op; stock already shipped raises Conflict, rolling back the caller's cancellation.
    """
    release_reservation(reference=order.number, reason=reason, actor=actor)


@transaction.atomic
def cancel_order(
    *, order_id: int, actor: User | None, reason: str, by_customer: bool, guest_token: str = ""
) -> Order:
    """Cancel an order before it ships and release its reserved stock.

    A customer (by_customer=True) cancels only an order of their own — any other order is
    NotFound — and gives an optional reason: a member as `actor`, a guest by the order's
    `guest_token` (from the signed link; actor None). Staff need `orders.cancel_order` and
    a reason. A shipped, cancelled or closed order raises IllegalTransition; nothing changes.
    """
    reason = (reason or "").strip()
    if by_customer:
        owner = (
            Order.objects.filter(pk=order_id)
            .values_list("customer__user_id", "guest_token")
            .first()
        )
        customer_user, token = owner or (None, "")
        member_owns = actor is not None and customer_user is not None and customer_user == actor.pk
        guest_owns = (
            customer_user is None
            and bool(token)
            and bool(guest_token)
            and secrets.compare_digest(token, guest_token)
        )
        if not (member_owns or guest_owns):
            raise NotFound(_("No such order."), field="order_id")
    else:
        require_perm(actor, "orders.cancel_order")
        if not reason:
            raise ValidationFailed({"reason": [_("Give a reason for the cancellation.")]})
    order = _locked(order_id)
    if not can_cancel(order):
        raise IllegalTransition(
            current=order.status,
            target=OrderStatus.CANCELLED,
            message=_("This order can no longer be cancelled: it has shipped or has ended."),
        )
    cancel_locked_order(
        order=order, actor=actor, reason=reason, release_reason=reason or REASON_BY_CUSTOMER
    )
    return order


def cancel_locked_order(
    *, order: Order, actor: User | None, reason: str, release_reason="", now=None
):
    """Move `order`, whose row lock the caller holds, to cancelled and give its stock back.

    The one way every cancellation ends (customer, staff, expiry, a full refund); the caller
    has checked who may cancel and that the status allows it (IllegalTransition otherwise).
    After the commit, `orders_cancelled` tells payments to close the order's open payment
    attempts at their gateways.
    """
    order.cancelled_at = now or timezone.now()
    order.expires_at = None
    transition(
        order=order,
        to=OrderStatus.CANCELLED,
        actor=actor,
        reason=reason,
        update_fields=["cancelled_at", "expires_at"],
    )
    release_stock_for(order, reason=release_reason or reason, actor=actor)
    if order.paid_at is None:
        return_coupons(order_numbers=[order.number])  # an unpaid order gives its coupon back
        return_points(order_numbers=[order.number])  # and the points it was to use
        flash.return_units(order_numbers=[order.number])  # and its flash sale units
    order_cancelled.send(sender=Order, order=order, actor=actor, reason=reason)
    _announce_cancelled([order.pk])


def _announce_cancelled(order_ids: list[int]) -> None:
    transaction.on_commit(lambda: orders_cancelled.send(sender=Order, order_ids=order_ids))


def expire_locked_orders(*, orders: Sequence[Order], now=None) -> int:
    """Cancel unpaid orders past their deadline whose row locks the caller holds (the
    payments sweep, which asked the gateways first), in bulk: one UPDATE, the events in
    one INSERT, the reserved stock of all of them released together (one ledger row per
    reservation). Each must be pending_payment and overdue (IllegalTransition /
    ValueError otherwise, and nothing is written)."""
    now = now or timezone.now()
    for order in orders:
        if OrderStatus.CANCELLED not in ALLOWED[order.status]:
            raise IllegalTransition(current=order.status, target=OrderStatus.CANCELLED)
        if order.status != OrderStatus.PENDING_PAYMENT or not order.expires_at:
            raise ValueError(f"order {order.number} is not an unpaid order with a deadline")
        if order.expires_at > now:
            raise ValueError(f"order {order.number} is not past its deadline")
    if not orders:
        return 0
    ids = [order.pk for order in orders]
    Order.objects.filter(pk__in=ids).update(
        status=OrderStatus.CANCELLED, cancelled_at=now, expires_at=None, updated_at=now
    )
    OrderEvent.objects.bulk_create(
        OrderEvent(
            order_id=order.pk,
            from_status=OrderStatus.PENDING_PAYMENT,
            to_status=OrderStatus.CANCELLED,
            actor=None,
            reason=REASON_EXPIRED,
        )
        for order in orders
    )
    for order in orders:
        order.status, order.cancelled_at, order.expires_at = OrderStatus.CANCELLED, now, None
    release_reservations(references=[order.number for order in orders], reason=REASON_EXPIRED)
    return_coupons(order_numbers=[order.number for order in orders])
    return_points(order_numbers=[order.number for order in orders])
    flash.return_units(order_numbers=[order.number for order in orders])
    _announce_cancelled(ids)
    return len(ids)


@transaction.atomic
def mark_paid(*, order_id: int, payment_ref: str, paid_at=None) -> Order:
    """Record a verified payment (payments calls it). Idempotent: the same payment_ref
    again changes nothing. A different payment for a paid order raises AlreadyPaid; a
    payment for a cancelled or closed order raises IllegalTransition and does not revive it.
    """
    if not payment_ref:
        raise ValidationFailed({"payment_ref": [_("A payment reference is required.")]})
    order = _locked(order_id)
    if order.paid_at is not None:
        if order.payment_ref == payment_ref:
            return order
        raise AlreadyPaid(
            _("Order %(number)s is already paid by another payment.") % {"number": order.number},
            field="payment_ref",
        )
    order.paid_at = paid_at or timezone.now()
    order.payment_ref = payment_ref[:64]
    order.expires_at = None
    transition(
        order=order,
        to=OrderStatus.PAID,
        actor=None,
        reason=REASON_PAID,
        update_fields=["paid_at", "payment_ref", "expires_at"],
    )
    return order


@transaction.atomic
def expire_unpaid_order(*, order_id: int, now=None) -> bool:
    """Cancel the order if it is still unpaid after its payment deadline; True if it was.

    Under the row lock the status is read again: a payment that committed first wins and
    this does nothing, and a payment arriving after finds the order cancelled.
    """
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    now = now or timezone.now()
    if (
        order is None
        or order.status != OrderStatus.PENDING_PAYMENT
        or order.expires_at is None
        or order.expires_at > now
    ):
        return False
    cancel_locked_order(order=order, actor=None, reason=REASON_EXPIRED, now=now)
    return True

"""Closing payment attempts at their gateways, and expiring unpaid orders.

An attempt ends when its order is cancelled (by anyone), expires, or is paid through
another attempt. check_attempt closes its trade at the gateway (alipay.trade.close, WeChat
Pay close; UnionPay has no close for an unpaid consumption: its payTimeout is the
deadline) and asks the gateway about it when the close did not settle it: a trade that
turns out paid goes through the notice path (the order is paid, or, if it ended, the
money is refunded automatically); otherwise the attempt is marked closed.

The expiry: unpaid orders are cancelled from their indexed `expires_at` by a frequent
beat sweep (sweep_expired_orders), whatever happened to the countdown task queued at
placement. The gateway is asked first, after a short grace (a notice that was lost still
ends in a paid order); then the orders are cancelled in batches taken with SELECT ... FOR
UPDATE SKIP LOCKED, so sweeps running side by side share the work, until none is left. An
order whose gateway cannot be reached is cancelled all the same after
MERCATO_EXPIRY_MAX_WAIT_MINUTES: money that still arrives is refunded automatically.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from mercato.core.errors import DomainError
from mercato.orders.models import Order, OrderStatus
from mercato.orders.services import expire_locked_orders, expire_unpaid_order, expiry_grace

from .gateways import conf, get_gateway
from .gateways.base import TradeStatus
from .models import Payment, PaymentStatus
from .notices import apply_verified, expected_amount
from .status import move_payment

# Gateways with a remote trade to close and to ask about (the sandbox and cash on
# delivery keep none: their attempts are closed here without a call).
QUERYABLE_GATEWAYS = ("alipay", "wechatpay", "unionpay")
REASON_CLOSED = gettext_noop("The order ended: the attempt is closed")
REASON_CLOSED_AT_GATEWAY = gettext_noop("The order ended: the trade is closed at the gateway")
# While one check of an attempt runs, no other takes it; after this, one may again.
CHECK_LEASE = timedelta(minutes=2)
BATCH_SIZE = 500
CHECK_LIMIT = 500


def max_wait() -> timedelta:
    """After its deadline, how long an order waits for an unreachable gateway before it is
    cancelled anyway (MERCATO_EXPIRY_MAX_WAIT_MINUTES, default 30)."""
    return timedelta(minutes=int(conf.setting("MERCATO_EXPIRY_MAX_WAIT_MINUTES", "30") or 30))


# Attempts ------------------------------------------------------------------------------
def _claim(payment_id: int, *, now, force: bool) -> Payment | None:
    """Take the next check of an open attempt: one caller wins (a conditional UPDATE)."""
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or payment.status not in (
        PaymentStatus.PENDING,
        PaymentStatus.AWAITING_COLLECTION,
    ):
        return None
    if not force and payment.next_check_at and payment.next_check_at > now:
        return None
    claimed = Payment.objects.filter(
        pk=payment.pk, checks=payment.checks, status=payment.status
    ).update(checks=payment.checks + 1, next_check_at=now + CHECK_LEASE)
    return payment if claimed else None


def check_attempt(*, payment_id: int, force: bool = False, now=None) -> Payment:
    """Close one open attempt whose order is over (or overdue) and find out whether it was
    paid after all; no lock is held during the gateway calls. Gateway trouble leaves the
    attempt open, to be checked again after CHECK_LEASE. Returns the payment afterwards."""
    now = now or timezone.now()
    payment = _claim(payment_id, now=now, force=force)
    if payment is None:
        return Payment.objects.get(pk=payment_id)
    if payment.gateway in QUERYABLE_GATEWAYS and payment.status == PaymentStatus.PENDING:
        try:
            gateway = get_gateway(payment.gateway)
            closed = gateway.close_trade(payment.number, created_at=payment.created_at)
            if closed is TradeStatus.UNKNOWN:  # not closed: paid meanwhile, or no close call
                answer = gateway.query_trade(
                    payment.number,
                    expect=expected_amount(payment.gateway),
                    created_at=payment.created_at,
                )
                if answer.raw and answer.verified and answer.status is TradeStatus.PAID:
                    apply_verified(answer, headers={})
                    return Payment.objects.get(pk=payment.pk)
                if not answer.verified:
                    raise DomainError(answer.problem or "the answer cannot be trusted")
        except DomainError as error:
            _note_problem(payment, str(error.message))
            return Payment.objects.get(pk=payment.pk)
        reason = REASON_CLOSED_AT_GATEWAY
    else:
        reason = REASON_CLOSED
    return close_attempt(payment_id=payment.pk, reason=reason)


def _note_problem(payment: Payment, problem: str) -> None:
    """Gateway trouble is kept on the attempt's last action, for finance to see."""
    action = dict(payment.last_action or {})
    action["check_problem"] = problem[:300]
    Payment.objects.filter(pk=payment.pk).update(last_action=action)


@transaction.atomic
def close_attempt(*, payment_id: int, reason: str) -> Payment:
    """Mark an open attempt closed (under its row lock): pending or awaiting collection
    → closed, once; anything else is left as it is (a notice got there first)."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status in (PaymentStatus.PENDING, PaymentStatus.AWAITING_COLLECTION):
        payment.next_check_at = None
        move_payment(
            payment=payment,
            to=PaymentStatus.CLOSED,
            actor=None,
            reason=reason,
            update_fields=["next_check_at"],
        )
    return payment


def ended_attempts():
    """Open attempts that must be closed: pending ones whose order is no longer waiting
    for payment (cancelled, closed, or paid through another attempt), and cash on delivery
    to collect for an order that was cancelled or closed."""
    ended = (OrderStatus.CANCELLED, OrderStatus.CLOSED)
    return Payment.objects.filter(
        Q(status=PaymentStatus.PENDING) & ~Q(order__status=OrderStatus.PENDING_PAYMENT)
        | Q(status=PaymentStatus.AWAITING_COLLECTION, order__status__in=ended)
    )


def close_attempts_of(*, order_ids, now=None) -> int:
    """Close the open attempts of these orders (they were cancelled, or paid through
    another attempt). Returns how many were closed."""
    ids = list(ended_attempts().filter(order_id__in=list(order_ids)).values_list("pk", flat=True))
    return sum(
        check_attempt(payment_id=pk, force=True, now=now).status == PaymentStatus.CLOSED
        for pk in ids
    )


def close_ended_attempts(*, now=None, limit: int = CHECK_LIMIT) -> int:
    """For celery beat: the safety net of close_attempts_of (its task may have been
    lost). Attempts being checked elsewhere are skipped until their lease ends."""
    now = now or timezone.now()
    due = (
        ended_attempts()
        .filter(Q(next_check_at__isnull=True) | Q(next_check_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(
        check_attempt(payment_id=pk, now=now).status == PaymentStatus.CLOSED for pk in list(due)
    )


# Expiry --------------------------------------------------------------------------------
def _open_at_gateway():
    return Payment.objects.filter(
        order=OuterRef("pk"), status=PaymentStatus.PENDING, gateway__in=QUERYABLE_GATEWAYS
    )


def overdue_attempts(*, now):
    """Pending attempts at a gateway whose order is past its deadline and the grace."""
    return Payment.objects.filter(
        status=PaymentStatus.PENDING,
        gateway__in=QUERYABLE_GATEWAYS,
        order__status=OrderStatus.PENDING_PAYMENT,
        order__expires_at__lte=now - expiry_grace(),
    )


def _claim_overdue_attempts(*, now, limit: int) -> list[int]:
    """Take up to `limit` overdue attempts not being checked elsewhere (SKIP LOCKED while
    the lease is written; no lock is held once this returns)."""
    with transaction.atomic():
        ids = list(
            overdue_attempts(now=now)
            .filter(Q(next_check_at__isnull=True) | Q(next_check_at__lte=now))
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("order__expires_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        Payment.objects.filter(pk__in=ids).update(next_check_at=now + CHECK_LEASE)
    return ids


def _expire_batch(*, now, batch_size: int) -> int:
    """One transaction: lock up to `batch_size` overdue unpaid orders that no other sweep
    holds (SKIP LOCKED) and whose gateway attempts are settled (or waited for too long),
    and cancel them. Returns how many."""
    cutoff = now - expiry_grace()
    with transaction.atomic():
        orders = list(
            Order.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=OrderStatus.PENDING_PAYMENT, expires_at__lte=cutoff)
            .filter(Q(expires_at__lte=now - max_wait()) | ~Exists(_open_at_gateway()))
            .order_by("expires_at", "pk")[:batch_size]
        )
        return expire_locked_orders(orders=orders, now=now)


@dataclass(frozen=True)
class SweepResult:
    checked: int  # attempts closed or found paid at their gateway
    cancelled: int  # orders cancelled


def sweep_expired_orders(*, now=None, batch_size: int = BATCH_SIZE) -> SweepResult:
    """The beat sweep: ask the gateways about the overdue orders' open attempts (closing
    their trades), then cancel overdue unpaid orders in batches until none is left. The
    open attempts of orders cancelled after waiting too long are closed by the
    orders_cancelled receiver."""
    now = now or timezone.now()
    checked = 0
    while ids := _claim_overdue_attempts(now=now, limit=CHECK_LIMIT):
        checked += sum(
            check_attempt(payment_id=pk, force=True, now=now).status != PaymentStatus.PENDING
            for pk in ids
        )
    cancelled = 0
    while batch := _expire_batch(now=now, batch_size=batch_size):
        cancelled += batch
    return SweepResult(checked=checked, cancelled=cancelled)


def expire_order(*, order_id: int, now=None) -> bool:
    """The countdown's shortcut for one order: once past its deadline and the grace, ask
    the gateway about its open attempts, then expire it unless one is paid (or its gateway
    could not be reached and it may still wait). True when the order was cancelled."""
    now = now or timezone.now()
    order = Order.objects.filter(pk=order_id).only("status", "expires_at").first()
    if (
        order is None
        or order.status != OrderStatus.PENDING_PAYMENT
        or order.expires_at is None
        or order.expires_at > now - expiry_grace() + timedelta(seconds=2)  # early tolerance
    ):
        return False
    attempts = overdue_attempts(now=now + timedelta(seconds=2)).filter(order_id=order_id)
    for pk in list(attempts.values_list("pk", flat=True)):
        check_attempt(payment_id=pk, force=True, now=now)
    still_open = _open_at_gateway_for(order_id)
    if still_open and order.expires_at > now - max_wait():
        return False  # the gateway did not answer: the sweep tries again
    return expire_unpaid_order(order_id=order_id, now=now)


def _open_at_gateway_for(order_id: int) -> bool:
    return Payment.objects.filter(
        order_id=order_id, status=PaymentStatus.PENDING, gateway__in=QUERYABLE_GATEWAYS
    ).exists()

"""Payments and refunds: starting a payment, taking gateway notices, refunding.

Only a verified notice or an active trade query marks an order paid (orders.mark_paid);
the return page a browser lands on never does. Every notice is stored raw first.
Notices live in notices.py, refunds in refunds.py; this module is the one place callers
import from.
"""

import dataclasses
import secrets
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mercato.core.errors import Conflict, NotFound, ValidationFailed
from mercato.core.models import User
from mercato.core.permissions import require_perm
from mercato.orders.models import Order, OrderStatus

from .expiry import QUERYABLE_GATEWAYS, sweep_expired_orders
from .gateways import METHODS, enabled_methods, get_gateway
from .gateways.base import (
    GatewayError,
    GatewayNotConfigured,
    PaymentAction,
    PaymentRequest,
    TradeStatus,
)
from .models import Payment, PaymentEvent, PaymentStatus
from .notices import apply_verified, expected_amount, handle_notice, mark_notice_reviewed
from .refund_checks import resolve_abnormal_refund, settle_due_refunds, settle_refund
from .refunds import refund_payment
from .status import move_payment

COD = "cod"
REASON_STARTED = gettext_noop("Payment started")
REASON_COD = gettext_noop("Cash to collect on delivery")
REASON_COLLECTED = gettext_noop("Cash collected on delivery")


def _digits(order_number: str) -> str:
    # UnionPay's orderId takes letters and digits only (8-32): no dash.
    return "".join(ch for ch in order_number if ch.isalnum())


def new_payment_number(order: Order) -> str:
    """P + the order number's digits + the attempt's sequence, e.g. P2026112700012302.
    Call with the order's row locked, so two attempts never count the same."""
    attempt = Payment.objects.filter(order=order).count() + 1
    return f"P{_digits(order.number)}{attempt:02d}"


def new_refund_number(order: Order) -> str:
    """R + the order number's digits + a sequence + 4 random hex digits: readable, and two
    forms opened at once never propose the same number."""
    sequence = order.payments.filter(refunds__isnull=False).count() + 1
    return f"R{_digits(order.number)}{sequence:02d}{secrets.token_hex(2).upper()}"


def _method_of(order: Order):
    method = METHODS.get(order.payment_method)
    if method is None or method not in enabled_methods():
        raise ValidationFailed(
            {"payment_method": [_("This payment method is not offered any more.")]}
        )
    return method


def _absolute(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def return_path(payment: Payment) -> str:
    """The return page of `payment`, handed to the gateway: it carries nothing secret (a
    guest is recognised by the order link kept in their session, never by a token in a
    URL a third party sees)."""
    return reverse("payments:return", args=[payment.number])


def action_as_json(action: PaymentAction) -> dict:
    data = dataclasses.asdict(action)
    data["amount"] = str(action.amount)
    return data


def start_payment(*, order: Order, client_ip: str, base_url: str):
    """Open a payment attempt for `order` with its payment method; returns
    (Payment, PaymentAction). The amount is the order's total. `base_url` is the shop's
    absolute root (request.build_absolute_uri("/")) for the notify and return URLs.
    Conflict when the order is not waiting for payment.

    One open attempt per order and method: paying again with the same method reuses its
    number (the gateways accept the same out_trade_no again while it is unpaid); a new
    number is made only when the last attempt ended (failed or closed).
    """
    method = _method_of(order)
    if method.gateway == COD:
        raise Conflict(_("Cash on delivery needs no payment step."), field="payment_method")
    gateway = get_gateway(method.gateway)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != OrderStatus.PENDING_PAYMENT:
            raise Conflict(
                _("Order %(number)s is not waiting for payment.") % {"number": locked.number},
                field="order",
                code="not_payable",
            )
        if locked.expires_at is not None and locked.expires_at <= timezone.now():
            # The gateways were told this deadline (time_expire): past it, no new attempt.
            raise Conflict(
                _("The time to pay order %(number)s is over.") % {"number": locked.number},
                field="order",
                code="payment_time_over",
            )
        payment = Payment.objects.filter(
            order=locked, method=method.code, status=PaymentStatus.PENDING
        ).first()
        if payment is None:
            payment = Payment.objects.create(
                order=locked,
                number=new_payment_number(locked),
                method=method.code,
                gateway=method.gateway,
                channel=method.channel,
                amount=locked.total,
            )
            PaymentEvent.objects.create(
                payment=payment, to_status=PaymentStatus.PENDING, reason=REASON_STARTED
            )
    # The network call (WeChat creates its order remotely) runs with no lock held.
    request = PaymentRequest(
        out_trade_no=payment.number,
        amount=payment.amount,
        subject=_("Mercato order %(number)s") % {"number": locked.number},
        client_ip=client_ip,
        return_url=_absolute(base_url, return_path(payment)),
        notify_url=_absolute(base_url, reverse("payments:notify", args=[method.gateway])),
        channel=method.channel,
        expires_at=locked.expires_at,
        created_at=payment.created_at,  # UnionPay's txnTime: a query needs it again
    )
    action = gateway.create_payment(request)
    Payment.objects.filter(pk=payment.pk).update(last_action=action_as_json(action))
    return payment, action


def create_cod_payment(*, order: Order) -> Payment:
    """The cash-on-delivery record for `order`: the amount the courier collects.
    Checkout calls it inside the placement transaction. Calling it again returns the
    same record."""
    existing = Payment.objects.filter(order=order, gateway=COD).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                order=order,
                number=new_payment_number(order),
                method=COD,
                gateway=COD,
                amount=order.total,
                status=PaymentStatus.AWAITING_COLLECTION,
            )
    except IntegrityError:  # the same order's record, made a moment ago
        return Payment.objects.get(order=order, gateway=COD)
    PaymentEvent.objects.create(
        payment=payment, to_status=PaymentStatus.AWAITING_COLLECTION, reason=REASON_COD
    )
    return payment


def _amount(value, *, field: str = "amount") -> Decimal:
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        amount = None
    if amount is None or not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed({field: [_("Enter an amount in yuan, to the fen.")]})
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def record_cod_collection(*, order: Order, amount, actor: User | None) -> Payment:
    """The courier collected cash on delivery: the COD payment becomes paid.

    Only the amount to collect is accepted (ValidationFailed naming `amount` otherwise);
    recording the same collection again changes nothing.
    """
    if actor is not None:
        require_perm(actor, "payments.record_collection")
    amount = _amount(amount)
    payment = Payment.objects.select_for_update().filter(order_id=order.pk, gateway=COD).first()
    if payment is None:
        raise NotFound(_("This order is not paid on delivery."), field="order")
    if amount != payment.amount:
        raise ValidationFailed(
            {"amount": [_("Collect exactly ¥%(amount)s.") % {"amount": payment.amount}]}
        )
    if payment.paid_at is not None:
        return payment  # recorded before
    payment.paid_at = timezone.now()
    move_payment(
        payment=payment,
        to=PaymentStatus.PAID,
        actor=actor,
        reason=REASON_COLLECTED,
        update_fields=["paid_at"],
    )
    if order.customer_id is not None:
        from .membership import recalculate_tier

        recalculate_tier(customer_id=order.customer_id)
    return payment


def query_payment(*, payment: Payment) -> Payment:
    """Ask the gateway about a payment still waiting; a verified "paid" answer goes through
    the same path as a notice. No row lock is held during the call: the apply step locks
    the payment again and re-checks. Gateway trouble leaves the payment as it was."""
    payment = Payment.objects.get(pk=payment.pk)
    if payment.status != PaymentStatus.PENDING:
        return payment
    try:
        gateway = get_gateway(payment.gateway)
        answer = gateway.query_trade(
            payment.number,
            expect=expected_amount(payment.gateway),
            created_at=payment.created_at,
        )
    except (GatewayError, GatewayNotConfigured):
        return payment
    if answer.raw and answer.status is TradeStatus.PAID:
        apply_verified(answer, headers={})
    return Payment.objects.get(pk=payment.pk)


def query_pending_payments(*, min_age_minutes: int = 2, max_age_hours: int = 24, limit=100):
    """Ask the gateways about attempts still pending after a while: a notice may have been
    lost. Returns how many turned out paid. Each query is query_payment: no lock is held
    during a call, and what it finds goes through the notice path."""
    now = timezone.now()
    pending = (
        Payment.objects.filter(
            status=PaymentStatus.PENDING,
            gateway__in=QUERYABLE_GATEWAYS,
            created_at__lte=now - timedelta(minutes=min_age_minutes),
            created_at__gte=now - timedelta(hours=max_age_hours),
        )
        .order_by("created_at", "pk")
        .only("pk")[:limit]
    )
    return sum(query_payment(payment=payment).status == PaymentStatus.PAID for payment in pending)


__all__ = [
    "PaymentAction",
    "create_cod_payment",
    "handle_notice",
    "mark_notice_reviewed",
    "new_refund_number",
    "query_payment",
    "query_pending_payments",
    "record_cod_collection",
    "refund_payment",
    "resolve_abnormal_refund",
    "settle_due_refunds",
    "settle_refund",
    "start_payment",
    "sweep_expired_orders",
]

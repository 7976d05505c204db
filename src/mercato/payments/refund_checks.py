"""Refunds not settled yet: sent again with the same number and queried until the gateway
settles them; abnormal refunds settled by finance; automatic refunds of stray payments.

A refund whose outcome is unknown stays `processing` with its amount held. Each check is
claimed first (a conditional UPDATE of its `attempts`), so two workers, a retry from the
back office and the beat sweep never ask about one refund at the same moment; then, with
no lock held, the gateway is asked about the refund (Alipay
alipay.trade.fastpay.refund.query, WeChat Pay's refund query, UnionPay queryTrans) and a
refund it never received is sent again under the same number, which the gateways refund
once. What it answers is applied by refunds.apply_refund_result (locks, re-checks).
Checks back off: 10 s, 30 s, 1 min, 2 min, 5 min, 10 min, 30 min, 1 h, 2 h, then every 6 h.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mercato.core import outbox
from mercato.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from mercato.core.models import User
from mercato.core.permissions import require_perm

from .gateways import conf, get_gateway
from .gateways.base import RefundStatus as GatewayRefundStatus
from .models import Payment, Refund, RefundEvent, RefundStatus
from .refunds import (
    REFUNDABLE,
    SEND_GRACE,
    apply_refund_result,
    call_gateway_refund,
    refund_succeeded,
    send_refund,
)
from .status import UNRESOLVED_REFUNDS, move_refund

BACKOFF_SECONDS = (10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600)
# A countdown task may fire a moment before the time it was set for.
EARLY = timedelta(seconds=2)
SWEEP_LIMIT = 100

REASON_STRAY = gettext_noop("Paid after the order ended: refunded automatically")
REASON_SECOND = gettext_noop("A second payment of a paid order: refunded automatically")
REASON_PAID_BACK_BY_HAND = gettext_noop("Finance paid it back another way")
REASON_NOT_PAID_BACK = gettext_noop("Finance: the money was not paid back")


def backoff(attempt: int) -> timedelta:
    """How long after check number `attempt` (1, 2, ...) the next one is due."""
    return timedelta(seconds=BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS)) - 1])


def next_check(refund: Refund, *, unknown: bool):
    """When to ask about `refund` next: soon after an unknown outcome (with backoff), a
    while later for an accepted one (its notice usually settles it first)."""
    from .refunds import NOTICE_GRACE

    if unknown:
        return timezone.now() + backoff(max(refund.attempts, 1))
    return timezone.now() + max(NOTICE_GRACE, backoff(max(refund.attempts, 1)))


def schedule_check(refund: Refund) -> None:
    """After the commit, queue a check for when `refund` is due; if the task is lost the
    beat sweep (settle_due_refunds) finds the refund by its next_check_at all the same."""
    from .tasks import settle_refund_task

    # Through the outbox (core.outbox): written with the refund, sent once committed.
    outbox.enqueue(settle_refund_task, args=[refund.pk], eta=refund.next_check_at)


def _claim(refund_id: int, *, force: bool, now) -> Refund | None:
    """Take the next check of an unresolved refund: one caller wins, the others get None.
    `force` (a retry from the back office) does not wait for the refund to be due."""
    refund = Refund.objects.select_related("payment").filter(pk=refund_id).first()
    if refund is None or refund.status not in (RefundStatus.REQUESTED, RefundStatus.PROCESSING):
        return None
    if not force and refund.next_check_at is not None and refund.next_check_at > now + EARLY:
        return None
    attempts = refund.attempts + 1
    claimed = Refund.objects.filter(
        pk=refund.pk, attempts=refund.attempts, status=refund.status
    ).update(attempts=attempts, next_check_at=now + backoff(attempts))
    if not claimed:
        return None
    refund.attempts, refund.next_check_at = attempts, now + backoff(attempts)
    return refund


def settle_refund(*, refund_id: int, force: bool = False, now=None) -> Refund:
    """Check one unresolved refund now: query it at its gateway; send it again with the
    same number when the gateway never received it; apply the answer. No lock is held
    during the calls. Trouble with the gateway records the problem and leaves the refund
    as it was, due again after the backoff. Returns the refund as it is afterwards."""
    now = now or timezone.now()
    refund = _claim(refund_id, force=force, now=now)
    if refund is None:
        return Refund.objects.get(pk=refund_id)
    payment = refund.payment
    try:
        gateway = get_gateway(payment.gateway)
        result = gateway.query_refund(
            out_trade_no=payment.number,
            refund_no=refund.refund_no,
            amount=refund.amount,
            trade_no=payment.trade_no,
            requested_at=refund.created_at,
        )
    except DomainError as error:  # unreachable, untrusted, not configured
        Refund.objects.filter(pk=refund.pk).update(problem=str(error.message)[:300])
        return Refund.objects.get(pk=refund.pk)
    if result.status is GatewayRefundStatus.NOT_FOUND:
        result = call_gateway_refund(refund)  # never received: the same number again
        if result is None:
            return Refund.objects.get(pk=refund.pk)
    return apply_refund_result(refund_id=refund.pk, result=result, actor=None)


def settle_due_refunds(*, now=None, limit: int = SWEEP_LIMIT) -> int:
    """For celery beat: check every unresolved refund that is due (sent and not answered,
    outcome unknown, or accepted with its notice late). Returns how many were settled."""
    now = now or timezone.now()
    due = (
        Refund.objects.filter(
            status__in=(RefundStatus.REQUESTED, RefundStatus.PROCESSING),
            next_check_at__lte=now,
        )
        .order_by("next_check_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    settled = 0
    for pk in list(due):
        refund = settle_refund(refund_id=pk, now=now)
        settled += refund.status not in UNRESOLVED_REFUNDS
    return settled


def send_requested_refund(*, refund_id: int) -> Refund:
    """The first sending of a refund recorded by the system (an automatic refund): claimed
    like a check, so a task run twice sends once; a lost task is the sweep's."""
    refund = _claim(refund_id, force=True, now=timezone.now())
    if refund is None or refund.status != RefundStatus.REQUESTED:
        return Refund.objects.get(pk=refund_id)
    return send_refund(refund=refund, actor=None)


@transaction.atomic
def resolve_abnormal_refund(*, refund_id: int, paid_back: bool, note: str, actor: User) -> Refund:
    """Finance settles an abnormal refund (WeChat Pay could not pay the buyer back):
    `paid_back` — the buyer got the money another way (bank transfer, the merchant
    platform's manual refund): succeeded, by hand; otherwise failed, and its amount can be
    refunded again. Permission payments.refund_payment; a note is required."""
    require_perm(actor, "payments.refund_payment")
    note = str(note or "").strip()
    if not note:
        raise ValidationFailed({"note": [_("Say what was done about the refund.")]})
    refund = Refund.objects.filter(pk=refund_id).first()
    if refund is None:
        raise NotFound(_("No such refund."), field="refund")
    payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    if refund.status != RefundStatus.ABNORMAL:
        raise Conflict(
            _("Only an abnormal refund is settled here; this one is “%(status)s”.")
            % {"status": refund.get_status_display()},
            field="refund",
            code="not_abnormal",
        )
    refund.problem = note[:300]
    if paid_back:
        refund.manual = True
        refund_succeeded(
            refund=refund,
            payment=payment,
            actor=actor,
            update_fields=["problem", "manual"],
            reason=REASON_PAID_BACK_BY_HAND,
        )
    else:
        move_refund(
            refund=refund,
            to=RefundStatus.FAILED,
            actor=actor,
            reason=REASON_NOT_PAID_BACK,
            update_fields=["problem"],
        )
    return refund


def auto_refund_enabled() -> bool:
    """MERCATO_AUTO_REFUND_STRAY_PAYMENTS (on unless set to 0/false/no/off)."""
    value = conf.setting("MERCATO_AUTO_REFUND_STRAY_PAYMENTS", "1").strip().lower()
    return value not in ("0", "false", "no", "off")


def stray_refund_number(payment: Payment) -> str:
    """One number per payment (RA + its digits): the refund of a stray payment is made
    once, however often its notice is replayed."""
    return "RA" + "".join(ch for ch in payment.number if ch.isdigit())


def refund_stray_payment(*, payment: Payment, second: bool) -> Refund | None:
    """Money arrived for an order that had ended (or a second payment of a paid order):
    record the refund of all of it and send it after the commit. The caller holds the
    payment's row lock inside its transaction. None when automatic refunds are off (the
    payment stays flagged for finance), or when it was refunded already."""
    if not auto_refund_enabled() or payment.status not in REFUNDABLE:
        return None
    number = stray_refund_number(payment)
    existing = Refund.objects.filter(refund_no=number).first()
    if existing is not None:
        return existing
    if payment.refunds.filter(Q(status__in=UNRESOLVED_REFUNDS) | Q(status="succeeded")).exists():
        return None  # finance is already on it
    reason = REASON_SECOND if second else REASON_STRAY  # stored in English, shown translated
    refund = Refund.objects.create(
        payment=payment,
        refund_no=number,
        amount=payment.amount,
        reason=reason,
        next_check_at=timezone.now() + SEND_GRACE,
    )
    RefundEvent.objects.create(refund=refund, to_status=RefundStatus.REQUESTED, reason=reason)
    from .tasks import send_refund_task

    outbox.enqueue(send_refund_task, args=[refund.pk])  # sent once committed (core.outbox)
    return refund

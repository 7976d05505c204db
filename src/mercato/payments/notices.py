"""Gateway notices: store raw, verify, then apply once under the payment's row lock.

A notice is written in a transaction of its own before anything is verified, so a forged
or failing notice is still on record. Only a verified notice changes anything; replays
find the payment already moved and change nothing twice. Out-of-order or unexpected
notices (paid for a cancelled order, a second payment, a refund before the payment) are
recorded and flagged for finance instead of being applied.
"""

from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mercato.core import outbox
from mercato.core.errors import NotFound
from mercato.core.models import User
from mercato.core.permissions import require_perm
from mercato.orders.errors import AlreadyPaid, IllegalTransition
from mercato.orders.services import mark_paid

from .gateways import GATEWAYS, SANDBOX, get_gateway, sandbox_enabled
from .gateways.base import (
    REFUND_NOTICE_STATUSES,
    ExpectedAmount,
    GatewayNotConfigured,
    NoticeReply,
    TradeStatus,
    VerifiedNotice,
    as_text,
)
from .models import NoticeAction, Payment, PaymentNotice, PaymentStatus
from .refund_checks import refund_stray_payment
from .refunds import apply_refund_notice, flag
from .status import PAID_STATES, move_payment

# Reasons are stored in English and translated when shown.
REASON_PAID = gettext_noop("Verified payment notice")
REASON_QUERY = gettext_noop("Verified trade query")
REASON_FAILED = gettext_noop("The gateway reports the payment failed")
REASON_CLOSED = gettext_noop("The gateway closed the trade")
REVIEW_ORDER_ENDED = gettext_noop(
    "Paid, but the order was cancelled or closed: refund the customer or revive the order"
)
REVIEW_SECOND_PAYMENT = gettext_noop("A second payment for an order that is already paid")
REVIEW_ORDER_ENDED_REFUNDED = gettext_noop(
    "Paid after the order was cancelled or closed: refunded automatically"
)
REVIEW_SECOND_PAYMENT_REFUNDED = gettext_noop(
    "A second payment for an order that is already paid: refunded automatically"
)

# The headers kept with a notice: what verification reads (WeChat Pay's signature
# headers) and what tells one sender from another. Nothing else (cookies, credentials a
# proxy adds, whatever a stranger invents) is stored.
KEPT_HEADERS = {
    "content-type",
    "user-agent",
    "request-id",
    "x-request-id",
    "x-forwarded-for",
    "wechatpay-serial",
    "wechatpay-signature",
    "wechatpay-timestamp",
    "wechatpay-nonce",
    "wechatpay-signature-type",
}
MAX_HEADER_CHARS = 1000


def expected_amount(gateway: str) -> ExpectedAmount:
    """The lookup the gateways call: the amount of our payment `number` through `gateway`,
    None for a trade we do not know (or one made through another gateway)."""

    def lookup(number: str):
        return (
            Payment.objects.filter(number=number, gateway=gateway)
            .values_list("amount", flat=True)
            .first()
        )

    return lookup


def _storable_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {
        str(k): str(v)[:MAX_HEADER_CHARS]
        for k, v in headers.items()
        if str(k).lower() in KEPT_HEADERS
    }


def store_raw(*, gateway: str, via: str, headers: Mapping[str, str], body) -> PaymentNotice:
    """The notice as received, committed on its own (a savepoint when nested)."""
    text = as_text(body)
    if text is None:  # not UTF-8: kept readable, the verification sees the bytes
        text = body.decode("utf-8", errors="replace")
    with transaction.atomic():
        return PaymentNotice.objects.create(
            gateway=gateway, via=via, headers=_storable_headers(headers), body=text
        )


def _record_verification(notice: PaymentNotice, verified: VerifiedNotice) -> None:
    notice.verified = verified.verified
    notice.problem = verified.problem[:300]
    notice.notice_id = verified.notice_id[:64]
    notice.trade_status = str(verified.status)
    notice.out_trade_no = verified.out_trade_no[:64]
    notice.refund_no = verified.refund_no[:64]
    notice.amount = verified.amount if verified.verified else None


def apply_paid(*, payment: Payment, trade_no: str, reason: str, actor: User | None = None):
    """A verified "paid" for a locked payment: (NoticeAction, review reason or "").

    The payment becomes paid once; then the order is marked paid, and its other open
    attempts are closed after the commit. Money for an order that was cancelled or closed
    meanwhile, or a second payment of a paid order, leaves that order as it is: the
    payment is flagged for finance and refunded in full automatically (unless
    MERCATO_AUTO_REFUND_STRAY_PAYMENTS is off), once, under one refund number.
    """
    if payment.status in PAID_STATES:
        return NoticeAction.DUPLICATE, ""
    payment.trade_no = trade_no[:64] or payment.trade_no
    payment.paid_at = timezone.now()
    payment.next_check_at = None
    move_payment(
        payment=payment,
        to=PaymentStatus.PAID,
        actor=actor,
        reason=reason,
        update_fields=["trade_no", "paid_at", "next_check_at"],
    )
    try:
        with transaction.atomic():
            mark_paid(
                order_id=payment.order_id, payment_ref=payment.number, paid_at=payment.paid_at
            )
    except (IllegalTransition, AlreadyPaid) as error:
        second = isinstance(error, AlreadyPaid)
        refunded = refund_stray_payment(payment=payment, second=second) is not None
        review = {
            (False, False): REVIEW_ORDER_ENDED,
            (True, False): REVIEW_SECOND_PAYMENT,
            (False, True): REVIEW_ORDER_ENDED_REFUNDED,
            (True, True): REVIEW_SECOND_PAYMENT_REFUNDED,
        }[(second, refunded)]
        flag(payment, review)
        return NoticeAction.FLAGGED, review
    order_id = payment.order_id
    transaction.on_commit(lambda: _close_other_attempts(order_id))
    _recalculate_tier(payment)
    return NoticeAction.PAID, ""


def _recalculate_tier(payment) -> None:
    """A paying member's tier may go up (payments.membership)."""
    from .membership import recalculate_tier

    customer_id = payment.order.customer_id
    if customer_id is not None:
        recalculate_tier(customer_id=customer_id)


def _close_other_attempts(order_id: int) -> None:
    """The order is paid: its other open attempts must not take money too."""
    from .expiry import ended_attempts

    if ended_attempts().filter(order_id=order_id).exists():
        from .tasks import close_attempts_task

        outbox.enqueue(close_attempts_task, args=[[order_id]])  # a broker away: sent later


def _apply_trade(verified: VerifiedNotice, notice: PaymentNotice):
    """A verified payment notice or query answer; the caller holds a transaction."""
    payment = (
        Payment.objects.select_for_update()
        .filter(number=verified.out_trade_no, gateway=verified.gateway)
        .first()
    )
    if payment is None:  # the lookup found it a moment ago; a row is never deleted
        return NoticeAction.IGNORED, "", None
    status = verified.status
    if status is TradeStatus.PAID and verified.via != "return":
        reason = REASON_QUERY if verified.via == "query" else REASON_PAID
        action, review = apply_paid(payment=payment, trade_no=verified.trade_no, reason=reason)
        return action, review, payment
    moves = {TradeStatus.FAILED: PaymentStatus.FAILED, TradeStatus.CLOSED: PaymentStatus.CLOSED}
    if status in moves and payment.status == PaymentStatus.PENDING:
        reason = REASON_FAILED if status is TradeStatus.FAILED else REASON_CLOSED
        move_payment(payment=payment, to=moves[status], actor=None, reason=reason)
        return NoticeAction(str(moves[status])), "", payment
    # Pending, a browser's copy (UnionPay's front notice), or a failure after success.
    return NoticeAction.IGNORED, "", payment


def apply_verified(
    verified: VerifiedNotice, *, headers: Mapping[str, str], notice: PaymentNotice | None = None
) -> PaymentNotice:
    """Record the verification of `notice` (a query answer gets a row here) and, when it
    holds, apply it once under the payment's row lock."""
    if notice is None:
        notice = store_raw(
            gateway=verified.gateway, via=verified.via, headers=headers, body=verified.raw
        )
    _record_verification(notice, verified)
    payment = refund = None
    review = ""
    if not verified.verified:
        action = NoticeAction.REFUSED
    else:
        with transaction.atomic():
            if verified.status in REFUND_NOTICE_STATUSES:
                action, review, payment, refund = apply_refund_notice(verified)
            else:
                action, review, payment = _apply_trade(verified, notice)
            notice.action, notice.payment, notice.refund = action, payment, refund
            notice.needs_review, notice.review_reason = bool(review), review
            notice.save()
            if review and payment is not None and not payment.needs_review:
                flag(payment, review)  # so the payment list's "needs review" shows it
        return notice
    notice.action = action
    notice.save()
    return notice


def handle_notice(
    *, gateway: str, headers: Mapping[str, str], body, via: str = "notify"
) -> tuple[PaymentNotice, NoticeReply]:
    """Take one notice: store it raw, verify it, apply it once; with the reply the gateway
    expects. NotFound for a gateway we do not have."""
    if gateway not in GATEWAYS or (gateway == SANDBOX and not sandbox_enabled()):
        # The sandbox switched off is no gateway at all: its notices pay nothing.
        raise NotFound(_("No such payment gateway."), field="gateway")
    notice = store_raw(gateway=gateway, via=via, headers=headers, body=body)
    try:
        gw = get_gateway(gateway)
    except GatewayNotConfigured as error:
        notice.problem, notice.action = error.message[:300], NoticeAction.REFUSED
        notice.save(update_fields=["problem", "action"])
        return notice, NoticeReply(status=503, body="not configured")
    expect = expected_amount(gateway)
    if via == "return" and hasattr(gw, "parse_front_notice"):
        verified = gw.parse_front_notice(headers, body, expect=expect)
    else:
        verified = gw.parse_notice(headers, body, expect=expect)
    notice = apply_verified(verified, headers=headers, notice=notice)
    return notice, gw.notice_reply(notice.verified)


@transaction.atomic
def mark_notice_reviewed(*, notice_id: int, actor: User) -> PaymentNotice:
    """Finance has looked at a flagged notice (and its payment): the flags come down."""
    require_perm(actor, "payments.review_payment")
    notice = PaymentNotice.objects.select_for_update().filter(pk=notice_id).first()
    if notice is None:
        raise NotFound(_("No such notice."), field="notice")
    notice.needs_review = False
    notice.reviewed_by, notice.reviewed_at = actor, timezone.now()
    notice.save(update_fields=["needs_review", "reviewed_by", "reviewed_at"])
    if notice.payment_id:
        Payment.objects.filter(pk=notice.payment_id).update(needs_review=False)
    return notice

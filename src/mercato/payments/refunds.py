"""Refunds: full or partial, by amount or per order line, through the original gateway.

Three steps, after Saleor's checkout completion: (1) under the payment's row lock, check
that the refund fits in what is left of the paid amount, and that no other refund of the
payment is unresolved, and record it as requested; (2) with no lock held, send it to the
gateway; (3) lock again and apply the answer. The refund number is the idempotency key:
the same number again returns the first refund, and the gateways pay one number once.

An answer that leaves the outcome unknown (Alipay ACQ.SYSTEM_ERROR / 20000, WeChat Pay
5xx SYSTEM_ERROR, a timeout, an untrustworthy answer) keeps the refund `processing` with
its amount held; refund_checks.py queries it and sends the same number again, with
backoff, until the gateway settles it. When a payment is refunded in full the order
follows (cancelled before shipment, stock released; closed after); goods that came back
go into stock with a ledger row.
"""

from collections.abc import Sequence
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mercato.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from mercato.core.models import User
from mercato.core.permissions import require_perm
from mercato.inventory.models import Reservation, StockMovement
from mercato.inventory.services import apply_movement, lock_stock
from mercato.orders.models import Order, OrderLine, OrderStatus
from mercato.orders.services import cancel_locked_order
from mercato.orders.status import can_cancel, transition

from .gateways import get_gateway
from .gateways.base import GatewayError, RefundResult, TradeStatus, VerifiedNotice
from .gateways.base import RefundStatus as GatewayRefundStatus
from .membership import after_refund
from .models import (
    NoticeAction,
    Payment,
    PaymentStatus,
    Refund,
    RefundEvent,
    RefundLine,
    RefundStatus,
)
from .status import (
    OPEN_OR_DONE_REFUNDS,
    PAID_STATES,
    UNRESOLVED_REFUNDS,
    move_payment,
    move_refund,
)

FEN = Decimal("0.01")
REFUNDABLE = (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED)
SHIPPED_STATES = (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)

REASON_REQUESTED = gettext_noop("Refund requested")
REASON_REFUNDED = gettext_noop("Refunded in full")
REASON_PARTLY = gettext_noop("Refunded in part")
REVIEW_REFUND_BEFORE_PAYMENT = gettext_noop("A refund notice for a payment we have not seen paid")
REVIEW_UNKNOWN_REFUND = gettext_noop("A refund notice for a refund we did not request")
REVIEW_REFUND_MISMATCH = gettext_noop("The refund notice does not match our refund")
REVIEW_REFUND_OTHER_TRADE = gettext_noop("The refund notice names another trade than ours")
REVIEW_REFUND_ABNORMAL = gettext_noop(
    "A refund could not reach the buyer (abnormal): pay it back another way"
)
REASON_UNKNOWN = gettext_noop("Outcome unknown: sending the same refund number again")
REASON_ABNORMAL = gettext_noop("The gateway could not pay the buyer back")

# A refund just recorded is sent by its caller; if that process dies, the sweep sends it
# after this long. An accepted refund is asked about when its notice is this late.
SEND_GRACE = timedelta(minutes=2)
NOTICE_GRACE = timedelta(minutes=10)


def flag(payment: Payment, reason: str) -> None:
    payment.needs_review, payment.review_reason = True, reason
    payment.save(update_fields=["needs_review", "review_reason", "updated_at"])


def _clean_refund_no(value) -> str:
    refund_no = str(value or "").strip()
    # Letters and digits, 8 to 32: what every gateway accepts (UnionPay is the strictest).
    if not (8 <= len(refund_no) <= 32 and refund_no.isascii() and refund_no.isalnum()):
        raise ValidationFailed(
            {"refund_no": [_("A refund number has 8 to 32 letters and digits.")]}
        )
    return refund_no


def _clean_amount(value) -> Decimal:
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        amount = None
    if amount is None or not amount.is_finite() or amount != amount.quantize(FEN) or amount <= 0:
        raise ValidationFailed({"amount": [_("Enter an amount above zero, to the fen.")]})
    return amount.quantize(FEN)


def _refunded_units(payment: Payment) -> dict[int, tuple[int, Decimal]]:
    """order line id → (units, amount) held by the payment's open or succeeded refunds."""
    rows = (
        RefundLine.objects.filter(refund__payment=payment, refund__status__in=OPEN_OR_DONE_REFUNDS)
        .values("order_line_id")
        .annotate(units=Sum("quantity"), money=Sum("amount"))
    )
    return {r["order_line_id"]: (r["units"], r["money"]) for r in rows}


def _price_lines(payment: Payment, lines) -> list[RefundLine]:
    """Unsaved RefundLines for [(order_line_id, quantity)], each line's share of what was
    paid for it (after its discount); the last units take the remainder, so refunding a
    whole line in parts adds up to the fen."""
    order_lines = {ln.pk: ln for ln in OrderLine.objects.filter(order_id=payment.order_id)}
    done = _refunded_units(payment)
    seen, priced = set(), []
    for i, item in enumerate(lines):
        try:
            line_id, quantity = item
        except (TypeError, ValueError):
            raise ValidationFailed({f"lines.{i}": [_("Give a line and a quantity.")]}) from None
        line = order_lines.get(line_id) if isinstance(line_id, int) else None
        if line is None or line_id in seen:
            raise ValidationFailed({f"lines.{i}.order_line": [_("Not a line of this order.")]})
        seen.add(line_id)
        units_done, money_done = done.get(line_id, (0, Decimal("0")))
        left = line.quantity - units_done
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 < quantity <= left:
            raise ValidationFailed(
                {f"lines.{i}.quantity": [_("Refund 1 to %(n)s units of this line.") % {"n": left}]}
            )
        paid = line.line_total - line.discount_share
        if quantity == left:
            amount = paid - money_done
        else:
            amount = (paid * quantity / line.quantity).quantize(FEN, rounding=ROUND_HALF_UP)
        priced.append(RefundLine(order_line=line, quantity=quantity, amount=amount))
    if not priced:
        raise ValidationFailed({"lines": [_("Choose at least one line.")]})
    return priced


def _held(payment: Payment, statuses=OPEN_OR_DONE_REFUNDS) -> Decimal:
    total = payment.refunds.filter(status__in=statuses).aggregate(s=Sum("amount"))["s"]
    return total or Decimal("0.00")


def _check_restock(order: Order, *, lines, full: bool) -> None:
    if order.status in SHIPPED_STATES:
        if not lines:
            raise ValidationFailed(
                {"restock": [_("Name the lines whose goods came back to restock them.")]}
            )
        return
    # Not shipped: the goods never left. A full refund cancels the order, which releases
    # its reservation; a partial one would leave the order's reservation as it is.
    if not full:
        raise ValidationFailed(
            {
                "restock": [
                    _(
                        "The goods have not shipped: they are still reserved for the order. "
                        "Refund in full to cancel it, or refund without restocking."
                    )
                ]
            }
        )


@transaction.atomic
def _record_request(
    *, payment_id: int, amount, lines, refund_no: str, reason: str, restock: bool, actor
) -> tuple[Refund, bool]:
    """Step 1 under the payment's row lock: (the refund, True) once recorded, or (the
    refund a rival request recorded under this number, False)."""
    payment = Payment.objects.select_for_update().select_related("order").get(pk=payment_id)
    if payment.status not in REFUNDABLE:
        raise Conflict(
            _("Only a paid payment can be refunded; this one is “%(status)s”.")
            % {"status": payment.get_status_display()},
            field="payment",
            code="not_refundable",
        )
    same = Refund.objects.filter(refund_no=refund_no).first()
    if same is not None and same.payment_id == payment.pk:
        return same, False  # recorded a moment ago by a rival request with this number
    if same is not None:
        raise Conflict(
            _("Refund number %(no)s belongs to another payment.") % {"no": refund_no},
            field="refund_no",
        )
    unresolved = payment.refunds.filter(status__in=UNRESOLVED_REFUNDS).first()
    if unresolved is not None:
        # Its money may already be on the way: a second refund now could pay out twice
        # what the books show (and gateways refuse parallel refunds of one trade).
        raise Conflict(
            _("Refund %(no)s of this payment is not settled yet (%(status)s): wait until it is.")
            % {"no": unresolved.refund_no, "status": unresolved.get_status_display()},
            field="payment",
            code="refund_in_progress",
        )
    refund_lines = []
    if lines:
        refund_lines = _price_lines(payment, lines)
        amount = sum((rl.amount for rl in refund_lines), Decimal("0.00"))
        if amount <= 0:
            raise ValidationFailed({"lines": [_("These lines were free: nothing to refund.")]})
    else:
        amount = _clean_amount(amount)
    left = payment.amount - _held(payment)
    if amount > left:
        raise ValidationFailed(
            {"amount": [_("At most ¥%(left)s can still be refunded.") % {"left": left}]}
        )
    if restock:
        _check_restock(payment.order, lines=refund_lines, full=amount == left)
    refund = Refund.objects.create(
        payment=payment,
        refund_no=refund_no,
        amount=amount,
        reason=reason,
        restock=restock,
        actor=actor,
        next_check_at=timezone.now() + SEND_GRACE,  # the sweep's turn if sending dies
    )
    for rl in refund_lines:
        rl.refund = refund
    RefundLine.objects.bulk_create(refund_lines)
    RefundEvent.objects.create(
        refund=refund, to_status=RefundStatus.REQUESTED, actor=actor, reason=REASON_REQUESTED
    )
    return refund, True


def _payment_to_refund(payment: Payment | None, order: Order | None) -> Payment:
    if payment is not None:
        return payment
    if order is None:
        raise ValidationFailed({"payment": [_("Name the payment or the order to refund.")]})
    found = (
        Payment.objects.filter(order_id=order.pk, status__in=REFUNDABLE)
        .order_by("-paid_at", "-id")
        .first()
    )
    if found is None:
        raise NotFound(_("This order has no paid payment to refund."), field="order")
    return found


def refund_payment(
    *,
    payment: Payment | None = None,
    order: Order | None = None,
    amount=None,
    lines: Sequence[tuple[int, int]] | None = None,
    refund_no: str,
    reason: str,
    restock: bool = False,
    actor: User,
) -> Refund:
    """Refund `amount`, or the given order lines [(order_line_id, quantity)], of a paid
    payment (or of the order's paid payment) through its own gateway.

    All refunds of a payment (requested, processing, abnormal, succeeded) never add up to
    more than it paid; ValidationFailed names `amount` (or the line) otherwise, and
    nothing is written. While a refund of the payment is unresolved (requested, processing
    or abnormal) a new one is refused: Conflict with code "refund_in_progress".

    The same `refund_no` again returns that refund; if it is not settled yet it is sent
    again with the same number at once (the gateways refund one number once) and queried.
    The result's status: succeeded, processing (accepted, or outcome unknown: checked
    again in the background), failed, abnormal, or requested (not sent: the gateway is not
    configured; `problem` says why). Cash on delivery: recorded as paid back by hand.
    """
    require_perm(actor, "payments.refund_payment")
    refund_no = _clean_refund_no(refund_no)
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("Give a reason for the refund.")]})
    if (amount is None) == (not lines):
        raise ValidationFailed({"amount": [_("Give either an amount or lines to refund.")]})
    payment = _payment_to_refund(payment, order)
    existing = Refund.objects.filter(refund_no=refund_no).first()
    if existing is None:
        try:
            existing, created = _record_request(
                payment_id=payment.pk,
                amount=amount,
                lines=list(lines or []),
                refund_no=refund_no,
                reason=reason[:200],
                restock=bool(restock),
                actor=actor,
            )
        except IntegrityError:  # the same number recorded a moment ago by a rival request
            return Refund.objects.get(refund_no=refund_no)
        if not created:
            return existing  # a rival request recorded this number and is sending it
        return send_refund(refund=existing, actor=actor)
    if existing.payment_id != payment.pk:
        raise Conflict(
            _("Refund number %(no)s belongs to another payment.") % {"no": refund_no},
            field="refund_no",
        )
    if existing.status in (RefundStatus.REQUESTED, RefundStatus.PROCESSING):
        from .refund_checks import settle_refund  # the same number, checked again now

        return settle_refund(refund_id=existing.pk, force=True)
    return existing


def send_refund(*, refund: Refund, actor) -> Refund:
    """Step 2: the gateway call, no lock held; then step 3. A gateway not configured (or a
    refund it cannot take) leaves the refund requested with the problem; an error while
    talking to it leaves the outcome unknown: processing, checked again later."""
    result = call_gateway_refund(refund)
    if result is None:
        refund.refresh_from_db()
        return refund
    return apply_refund_result(refund_id=refund.pk, result=result, actor=actor)


def call_gateway_refund(refund: Refund) -> RefundResult | None:
    """Send `refund` (its own number) to the payment's gateway: the answer, an UNKNOWN
    result when no trustworthy answer came, or None when nothing was sent."""
    payment = refund.payment
    try:
        return get_gateway(payment.gateway).refund(
            out_trade_no=payment.number,
            refund_no=refund.refund_no,
            amount=refund.amount,
            total=payment.amount,
            reason=refund.reason,
            trade_no=payment.trade_no,
            requested_at=refund.created_at,
            trade_created_at=payment.created_at,
        )
    except GatewayError as error:  # sent, perhaps received: the money may have moved
        return RefundResult(
            payment.gateway,
            refund.refund_no,
            GatewayRefundStatus.UNKNOWN,
            refund.amount,
            problem=str(error.message),
        )
    except DomainError as error:  # not configured, or refused before any call
        Refund.objects.filter(pk=refund.pk).update(problem=str(error.message)[:300])
        return None


@transaction.atomic
def apply_refund_result(*, refund_id: int, result: RefundResult, actor) -> Refund:
    """Step 3: lock payment then refund, re-check, and apply the gateway's answer once.

    success/manual → succeeded; processing → processing (a notice or a query settles it);
    unknown → processing, checked again with backoff (the amount stays held); abnormal →
    abnormal, and the payment is flagged for finance; failed → failed (amount freed);
    not_found (a query) changes nothing."""
    payment_id = Refund.objects.values_list("payment_id", flat=True).get(pk=refund_id)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    status = result.status
    if refund.status not in (RefundStatus.REQUESTED, RefundStatus.PROCESSING) or (
        status is GatewayRefundStatus.NOT_FOUND
    ):
        return refund
    refund.gateway_refund_id = result.refund_id[:64] or refund.gateway_refund_id
    refund.raw_result = result.raw or refund.raw_result
    refund.problem = result.problem[:300]
    fields = ["gateway_refund_id", "raw_result", "problem", "next_check_at"]
    if status in (GatewayRefundStatus.SUCCESS, GatewayRefundStatus.MANUAL):
        refund.manual = status is GatewayRefundStatus.MANUAL
        refund.next_check_at = None
        refund_succeeded(
            refund=refund, payment=payment, actor=actor, update_fields=[*fields, "manual"]
        )
    elif status in (GatewayRefundStatus.PROCESSING, GatewayRefundStatus.UNKNOWN):
        unknown = status is GatewayRefundStatus.UNKNOWN
        if unknown:
            refund.problem = (REASON_UNKNOWN + ": " + refund.problem)[:300]
        from .refund_checks import next_check

        refund.next_check_at = next_check(refund, unknown=unknown)
        if refund.status == RefundStatus.REQUESTED:
            move_refund(
                refund=refund,
                to=RefundStatus.PROCESSING,
                actor=actor,
                reason=REASON_UNKNOWN if unknown else "",
                update_fields=fields,
            )
        else:
            refund.save(update_fields=fields)
        if unknown:
            from .refund_checks import schedule_check

            schedule_check(refund)
    elif status is GatewayRefundStatus.ABNORMAL:
        refund.next_check_at = None
        move_refund(
            refund=refund,
            to=RefundStatus.ABNORMAL,
            actor=actor,
            reason=REASON_ABNORMAL,
            update_fields=fields,
        )
        flag(payment, REVIEW_REFUND_ABNORMAL)
    else:
        refund.next_check_at = None
        move_refund(refund=refund, to=RefundStatus.FAILED, actor=actor, update_fields=fields)
    return refund


def refund_succeeded(
    *, refund: Refund, payment: Payment, actor, update_fields=(), reason: str = ""
) -> None:
    """The money went back (both locked): payment, order and stock follow."""
    refund.succeeded_at = timezone.now()
    move_refund(
        refund=refund,
        to=RefundStatus.SUCCEEDED,
        actor=actor,
        reason=reason,
        update_fields=[*update_fields, "succeeded_at"],
    )
    refunded = _held(payment, statuses=(RefundStatus.SUCCEEDED,))
    full = refunded >= payment.amount
    move_payment(
        payment=payment,
        to=PaymentStatus.REFUNDED if full else PaymentStatus.PARTIALLY_REFUNDED,
        actor=actor,
        reason=REASON_REFUNDED if full else REASON_PARTLY,
    )
    order = Order.objects.select_for_update().get(pk=payment.order_id)
    if full and order.payment_ref == payment.number:
        _order_after_full_refund(order, refund=refund, actor=actor)
    if refund.restock and order.status in (*SHIPPED_STATES, OrderStatus.CLOSED):
        _restock(refund, order=order, actor=actor)
    # Points earned and spent on the order reversed in proportion; the tier follows.
    after_refund(payment=payment)


def _order_after_full_refund(order: Order, *, refund: Refund, actor) -> None:
    """Before shipment the order is cancelled and its stock released; after, closed."""
    reason = _("Refunded in full (%(no)s)") % {"no": refund.refund_no}
    if can_cancel(order):
        cancel_locked_order(order=order, actor=actor, reason=reason)
    elif order.status in SHIPPED_STATES:
        transition(order=order, to=OrderStatus.CLOSED, actor=actor, reason=reason)


def _restock(refund: Refund, *, order: Order, actor) -> None:
    """Goods that came back go into the warehouse that shipped them, through
    inventory.services: a ledger row with the refund number as reference."""
    shipped = {}
    for r in Reservation.objects.filter(
        reference=order.number, status=Reservation.Status.SHIPPED
    ).order_by("pk"):
        shipped.setdefault(r.sku_id, r.warehouse_id)
    moves = []
    for rl in refund.lines.select_related("order_line"):
        sku_id = rl.order_line.sku_id
        if sku_id is not None and sku_id in shipped:
            moves.append((shipped[sku_id], sku_id, rl.quantity))
    for warehouse_id, sku_id, quantity in sorted(moves):  # one lock order everywhere
        apply_movement(
            stock=lock_stock(sku_id=sku_id, warehouse_id=warehouse_id),
            reason=StockMovement.Reason.RETURN,
            actor=actor,
            on_hand_delta=quantity,
            reference=refund.refund_no,
            note=order.number,
        )


def apply_refund_notice(verified: VerifiedNotice):
    """A verified refund notice: (action, review reason, payment, refund). The caller
    holds a transaction. It must name a refund we asked for, of a payment we saw paid, on
    the same trade (our out_trade_no, or UnionPay's origQryId = the payment's queryId),
    for the same amount (Alipay's refund_fee: the running total including this refund);
    anything else is flagged and changes nothing."""
    refund = Refund.objects.filter(refund_no=verified.refund_no).first()
    payment_query = Payment.objects.select_for_update()
    if refund is not None:
        payment = payment_query.get(pk=refund.payment_id)
    else:
        payment = payment_query.filter(
            number=verified.out_trade_no, gateway=verified.gateway
        ).first()
    if payment is None or payment.status not in PAID_STATES:
        return NoticeAction.FLAGGED, REVIEW_REFUND_BEFORE_PAYMENT, payment, refund
    if refund is None or payment.gateway != verified.gateway:
        return NoticeAction.FLAGGED, REVIEW_UNKNOWN_REFUND, payment, None
    if not _same_trade(verified, payment):
        return NoticeAction.FLAGGED, REVIEW_REFUND_OTHER_TRADE, payment, refund
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    outcome = {
        TradeStatus.REFUNDED: RefundStatus.SUCCEEDED,
        TradeStatus.REFUND_ABNORMAL: RefundStatus.ABNORMAL,
    }.get(verified.status, RefundStatus.FAILED)
    if refund.status not in (RefundStatus.REQUESTED, RefundStatus.PROCESSING):
        # Settled before (Alipay answers refunds at once, then notifies; a query may have
        # settled it first): the same outcome again is a duplicate.
        if refund.status != outcome:
            return NoticeAction.FLAGGED, REVIEW_REFUND_MISMATCH, payment, refund
        return NoticeAction.DUPLICATE, "", payment, refund
    if not _amount_matches(verified, refund, payment):
        return NoticeAction.FLAGGED, REVIEW_REFUND_MISMATCH, payment, refund
    refund.next_check_at = None
    if outcome == RefundStatus.SUCCEEDED:
        refund_succeeded(
            refund=refund, payment=payment, actor=None, update_fields=["next_check_at"]
        )
        return NoticeAction.REFUND_SUCCEEDED, "", payment, refund
    if outcome == RefundStatus.ABNORMAL:
        move_refund(
            refund=refund,
            to=RefundStatus.ABNORMAL,
            actor=None,
            reason=REASON_ABNORMAL,
            update_fields=["next_check_at"],
        )
        return NoticeAction.REFUND_ABNORMAL, REVIEW_REFUND_ABNORMAL, payment, refund
    move_refund(refund=refund, to=RefundStatus.FAILED, actor=None, update_fields=["next_check_at"])
    return NoticeAction.REFUND_FAILED, "", payment, refund


def _same_trade(verified: VerifiedNotice, payment: Payment) -> bool:
    """The notice is about this payment's trade: it names our out_trade_no, or (UnionPay,
    whose refund notices name the refund and the payment's queryId) the gateway's number."""
    if verified.out_trade_no:
        return verified.out_trade_no == payment.number
    return bool(verified.trade_no) and verified.trade_no == payment.trade_no


def _amount_matches(verified: VerifiedNotice, refund: Refund, payment: Payment) -> bool:
    if verified.refund_amount is not None and verified.refund_amount != refund.amount:
        return False
    if verified.refund_total is not None:
        # Alipay: refund_fee = everything refunded on the trade, this refund included.
        before = (
            payment.refunds.filter(status=RefundStatus.SUCCEEDED)
            .exclude(pk=refund.pk)
            .aggregate(s=Sum("amount"))["s"]
        ) or Decimal("0.00")
        return verified.refund_total == before + refund.amount
    return True

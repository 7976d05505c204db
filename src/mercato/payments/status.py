"""The payment and refund status machines: allowed moves written out, one function each
that makes a move and writes its event row. The caller holds the row lock."""

from django.utils.translation import gettext as _

from mercato.core.errors import Conflict
from mercato.core.models import User

from .models import Payment, PaymentEvent, PaymentStatus, Refund, RefundEvent, RefundStatus

P = PaymentStatus
R = RefundStatus

# A verified "paid" may arrive for an attempt we had closed or seen fail: the money moved,
# so the payment becomes paid (and is flagged when its order cannot take it). Refunds
# move a paid payment on; a second partial refund stays partially_refunded (an event
# row per refund all the same).
PAYMENT_ALLOWED: dict[str, frozenset[str]] = {
    P.PENDING: frozenset({P.PAID, P.FAILED, P.CLOSED}),
    P.AWAITING_COLLECTION: frozenset({P.PAID, P.CLOSED}),
    P.FAILED: frozenset({P.PAID}),
    P.CLOSED: frozenset({P.PAID}),
    P.PAID: frozenset({P.PARTIALLY_REFUNDED, P.REFUNDED}),
    P.PARTIALLY_REFUNDED: frozenset({P.PARTIALLY_REFUNDED, P.REFUNDED}),
    P.REFUNDED: frozenset(),
}

# An abnormal refund (the bank could not pay the buyer back) is settled by finance: paid
# back another way (succeeded) or the money stayed with us (failed).
REFUND_ALLOWED: dict[str, frozenset[str]] = {
    R.REQUESTED: frozenset({R.PROCESSING, R.SUCCEEDED, R.FAILED, R.ABNORMAL}),
    R.PROCESSING: frozenset({R.SUCCEEDED, R.FAILED, R.ABNORMAL}),
    R.ABNORMAL: frozenset({R.SUCCEEDED, R.FAILED}),
    R.SUCCEEDED: frozenset(),
    R.FAILED: frozenset(),
}

PAID_STATES = frozenset({P.PAID, P.PARTIALLY_REFUNDED, P.REFUNDED})
# Refunds that hold part of the paid amount: their sum never exceeds it. Only a failed
# refund gives its amount back: an unknown outcome may still have paid out.
OPEN_OR_DONE_REFUNDS = (R.REQUESTED, R.PROCESSING, R.ABNORMAL, R.SUCCEEDED)
# Refunds not settled yet: while a payment has one, no new refund of it starts.
UNRESOLVED_REFUNDS = (R.REQUESTED, R.PROCESSING, R.ABNORMAL)


class IllegalPaymentTransition(Conflict):
    """The status does not allow the move; nothing was changed."""

    code = "illegal_transition"

    def __init__(self, *, what: str, current: str, target: str):
        super().__init__(
            _("A %(what)s in status “%(current)s” cannot become “%(target)s”.")
            % {"what": what, "current": current, "target": target},
            field="status",
        )
        self.current, self.target = current, target


def _move(*, record, to, allowed, what, event, actor, reason, update_fields):
    if to not in allowed[record.status]:
        raise IllegalPaymentTransition(what=what, current=record.status, target=to)
    row = event(from_status=record.status, to_status=to, actor=actor, reason=reason[:200])
    row.save()
    record.status = to
    record.save(update_fields=["status", "updated_at", *update_fields])
    return row


def move_payment(
    *, payment: Payment, to: str, actor: User | None, reason: str = "", update_fields=()
) -> PaymentEvent:
    """Move `payment` to `to` and write its event; IllegalPaymentTransition, changing
    nothing, when the move is not in PAYMENT_ALLOWED."""
    return _move(
        record=payment,
        to=to,
        allowed=PAYMENT_ALLOWED,
        what=_("payment"),
        event=lambda **kw: PaymentEvent(payment=payment, **kw),
        actor=actor,
        reason=reason,
        update_fields=update_fields,
    )


def move_refund(
    *, refund: Refund, to: str, actor: User | None, reason: str = "", update_fields=()
) -> RefundEvent:
    """Move `refund` to `to` and write its event (REFUND_ALLOWED)."""
    return _move(
        record=refund,
        to=to,
        allowed=REFUND_ALLOWED,
        what=_("refund"),
        event=lambda **kw: RefundEvent(refund=refund, **kw),
        actor=actor,
        reason=reason,
        update_fields=update_fields,
    )

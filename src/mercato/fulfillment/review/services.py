"""Reviewing orders: the automatic batch (a scheduled job), the reviewers' decisions, and
the lead's rule settings and blacklist."""

import ipaddress
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mercato.catalog.bulk import any_of, insert_objects
from mercato.core.errors import Conflict, NotFound, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.orders.actions import change_delivery
from mercato.orders.errors import IllegalTransition
from mercato.orders.models import EventKind, Order, OrderLine, OrderStatus
from mercato.orders.services import COD, DeliveryAddress, cancel_order
from mercato.orders.status import bulk_transition, record_event, transition

from ..models import BlacklistEntry, BlacklistKind, OrderReview, ReviewRule
from .addresses import normalise
from .names import squeeze
from .phones import national_mobile
from .rules import RULES, Candidate, check_candidates, load_settings, reasons_of

REASON_PASSED = gettext_noop("Passed the automatic review")
REASON_HELD = gettext_noop("Held by the automatic review")
REASON_APPROVED = gettext_noop("Approved by the reviewer")
REASON_RECHECKED = gettext_noop("Checked again after a change")
TO_REVIEW = (OrderStatus.PAID, OrderStatus.COD_CONFIRMED)
FIELDS = ("id", "status", "recipient", "mobile", "province", "city", "district", "detail",
          "client_ip", "payment_method", "total", "customer_id")  # fmt: skip


@dataclass(frozen=True)
class ReviewBatch:
    passed: int
    held: int

    @property
    def total(self) -> int:
        return self.passed + self.held


def _candidates(orders: list[Order]) -> list[Candidate]:
    quantities = dict(
        OrderLine.objects.filter(any_of("order_id", [o.pk for o in orders]))
        .values_list("order_id")
        .annotate(q=Max("quantity"))
    )
    return [
        Candidate(
            recipient=o.recipient,
            phone=o.mobile,
            region=(o.province, o.city, o.district),
            detail=o.detail,
            client_ip=o.client_ip,
            max_quantity=quantities.get(o.pk, 0),
            cod=o.payment_method == COD,
            total=o.total,
            customer_id=o.customer_id,
            order_id=o.pk,
        )
        for o in orders
    ]


def _save_reviews(pairs: list[tuple[Order, Candidate]], now) -> None:
    """One review row per order: new rows in one COPY (most orders are reviewed once);
    an order reviewed before (paid again after a change) has its row replaced."""
    existing = set(
        OrderReview.objects.filter(any_of("order_id", [o.pk for o, _c in pairs])).values_list(
            "order_id", flat=True
        )
    )
    rows = [
        {
            "order_id": order.pk,
            "outcome": OrderReview.Outcome.HELD if c.findings else OrderReview.Outcome.PASSED,
            "reasons": reasons_of(c.findings),
            "findings": [f.as_dict() for f in c.findings],
            "checked_at": now,
        }
        for order, c in pairs
    ]
    insert_objects(OrderReview, [r for r in rows if r["order_id"] not in existing])
    again = [OrderReview(**r) for r in rows if r["order_id"] in existing]
    if again:
        OrderReview.objects.bulk_create(
            again,
            update_conflicts=True,
            unique_fields=["order"],
            update_fields=["outcome", "reasons", "findings", "checked_at"],
        )


def review_paid_orders(*, batch_size: int = 1000, now=None) -> ReviewBatch:
    """Review up to `batch_size` paid or COD orders (oldest first) in one transaction:
    clean ones go straight to approved, the others under review with their findings.
    Rows are taken with SKIP LOCKED, so two workers never review the same order; orders
    on hold wait. Returns how many passed and how many were held."""
    now = now or timezone.now()
    with transaction.atomic():
        orders = list(
            Order.objects.select_for_update(skip_locked=True)
            .filter(status__in=TO_REVIEW, on_hold=False)
            .order_by("pk")
            .only(*FIELDS)[:batch_size]
        )
        if not orders:
            return ReviewBatch(0, 0)
        candidates = check_candidates(_candidates(orders), settings=load_settings(), now=now)
        passed = [o for o, c in zip(orders, candidates, strict=True) if not c.findings]
        held = [(o, c) for o, c in zip(orders, candidates, strict=True) if c.findings]
        bulk_transition(orders=passed, to=OrderStatus.APPROVED, actor=None, reason=REASON_PASSED)
        bulk_transition(
            orders=[o for o, _c in held],
            to=OrderStatus.UNDER_REVIEW,
            actor=None,
            reason=REASON_HELD,
            data={o.pk: {"reasons": reasons_of(c.findings)} for o, c in held},
        )
        _save_reviews(list(zip(orders, candidates, strict=True)), now)
    return ReviewBatch(passed=len(passed), held=len(held))


def review_all(*, batch_size: int = 1000, max_batches: int = 1000) -> int:
    """Batches until no order waits (the scheduled job); returns how many were reviewed."""
    done = 0
    for _batch in range(max_batches):
        batch = review_paid_orders(batch_size=batch_size)
        done += batch.total
        if batch.total < batch_size:
            break
    return done


def _locked_under_review(order_id: int) -> Order:
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("No such order."), field="order_id")
    if order.status != OrderStatus.UNDER_REVIEW:
        raise IllegalTransition(
            current=order.status,
            target=OrderStatus.APPROVED,
            message=_("This order is not waiting for review."),
        )
    return order


@transaction.atomic
def approve_order(*, order_id: int, actor, note: str = "") -> Order:
    """The reviewer lets a held order go on (needs fulfillment.review_order)."""
    require_perm(actor, "fulfillment.review_order")
    order = _locked_under_review(order_id)
    transition(
        order=order,
        to=OrderStatus.APPROVED,
        actor=actor,
        reason=(note or "").strip() or REASON_APPROVED,
    )
    OrderReview.objects.filter(order=order).update(
        outcome=OrderReview.Outcome.APPROVED, decided_by=actor, decided_at=timezone.now()
    )
    return order


@transaction.atomic
def reject_order(*, order_id: int, actor, reason: str) -> Order:
    """The reviewer cancels a held order with a reason (its stock is released; a paid
    order is then refunded by finance)."""
    require_perm(actor, "fulfillment.review_order")
    _locked_under_review(order_id)
    order = cancel_order(order_id=order_id, actor=actor, reason=reason, by_customer=False)
    OrderReview.objects.filter(order=order).update(
        outcome=OrderReview.Outcome.CANCELLED, decided_by=actor, decided_at=timezone.now()
    )
    return order


def recheck_order(*, order_id: int, actor=None) -> OrderReview:
    """Run the rules again on an order (after its address or phone changed): the findings
    are replaced; the status stays (a reviewer still decides)."""
    now = timezone.now()
    with transaction.atomic():
        order = Order.objects.select_for_update().only(*FIELDS).get(pk=order_id)
        [candidate] = check_candidates(_candidates([order]), now=now)
        outcome = OrderReview.Outcome.HELD if candidate.findings else OrderReview.Outcome.PASSED
        review, _created = OrderReview.objects.update_or_create(
            order=order,
            defaults={
                "outcome": outcome,
                "reasons": reasons_of(candidate.findings),
                "findings": [f.as_dict() for f in candidate.findings],
                "checked_at": now,
            },
        )
        record_event(
            order=order,
            kind=EventKind.REVIEW,
            actor=actor,
            reason=REASON_RECHECKED,
            data={"reasons": review.reasons},
        )
    return review


def fix_address(*, order_id: int, actor, address: DeliveryAddress, confirmation: str):
    """The reviewer corrects the address or phone (the customer's confirmation noted on
    the event), then the rules run again."""
    require_perm(actor, "fulfillment.review_order")
    with transaction.atomic():
        change_delivery(order_id=order_id, actor=actor, address=address, confirmation=confirmation)
        return recheck_order(order_id=order_id, actor=actor)


# The lead's settings ----------------------------------------------------------------------
def _decimal(value, *, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number < 0 or number > Decimal("9999999"):
        raise ValidationFailed({field: [_("Enter a number of 0 or more.")]})
    return number.quantize(Decimal("0.01"))


@transaction.atomic
def set_rule(*, actor, code: str, enabled: bool, threshold=None, window_minutes=None) -> ReviewRule:
    """Switch a rule on or off and set its threshold and window (those it has)."""
    require_perm(actor, "fulfillment.manage_review_rules")
    rule = RULES.get(code)
    if rule is None:
        raise NotFound(_("No such rule."), field="code")
    threshold = _decimal(threshold, field="threshold") if rule.threshold is not None else None
    window = None
    if rule.window_minutes is not None and window_minutes not in (None, ""):
        try:
            window = int(window_minutes)
        except (TypeError, ValueError):
            window = 0
        if not 1 <= window <= 60 * 24 * 30:
            raise ValidationFailed({"window_minutes": [_("Enter 1 to 43200 minutes.")]})
    row, _created = ReviewRule.objects.update_or_create(
        code=code,
        defaults={
            "enabled": bool(enabled),
            "threshold": threshold,
            "window_minutes": window,
            "updated_by": actor,
        },
    )
    return row


def normalise_entry(kind: str, value: str) -> str:
    """The stored form of a blacklist value (see BlacklistEntry); ValidationFailed when
    it cannot be one."""
    text = normalise(str(value or ""))
    if kind == BlacklistKind.PHONE:
        text = national_mobile(text)
        digits = "".join(ch for ch in text if ch.isdigit())
        if len(digits) < 7:
            raise ValidationFailed({"value": [_("Enter a phone number.")]})
        return text
    if kind == BlacklistKind.IP:
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            raise ValidationFailed({"value": [_("Enter an IP address.")]}) from None
    if kind == BlacklistKind.ADDRESS:
        text = squeeze(text)
        if len(text) < 4:
            raise ValidationFailed({"value": [_("Enter at least 4 characters of the address.")]})
        return text[:200]
    if kind == BlacklistKind.NAME:
        if not text:
            raise ValidationFailed({"value": [_("Enter a name.")]})
        return text[:200]
    raise ValidationFailed({"kind": [_("Choose phone, address, IP or name.")]})


@transaction.atomic
def add_to_blacklist(*, actor, kind: str, value: str, reason: str) -> BlacklistEntry:
    require_perm(actor, "fulfillment.manage_blacklist")
    stored = normalise_entry(kind, value)
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("Say why it is blacklisted.")]})
    if BlacklistEntry.objects.filter(kind=kind, value=stored).exists():
        raise Conflict(_("This entry is on the blacklist already."), field="value")
    return BlacklistEntry.objects.create(
        kind=kind, value=stored, reason=reason[:200], created_by=actor
    )


@transaction.atomic
def remove_from_blacklist(*, actor, entry_id: int) -> None:
    require_perm(actor, "fulfillment.manage_blacklist")
    deleted, _rows = BlacklistEntry.objects.filter(pk=entry_id).delete()
    if not deleted:
        raise NotFound(_("No such entry."), field="entry_id")

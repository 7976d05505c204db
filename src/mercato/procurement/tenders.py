"""Tenders (招标 / RFQ): draft → open → closed (deadline passed) → awarded, or cancelled.

A buyer writes a tender (SKUs and quantities per warehouse, a deadline, scoring weights),
invites qualified suppliers (active, with qualification documents none of which has
expired) and opens it. Each invited supplier bids through a link of its own (BidToken:
unguessable, good until the deadline and for one submission, the answer carrying the next
link so that the supplier may revise its bid until the deadline), or a buyer enters the
bid for it. Bids are sealed until the deadline: procurement.tender_award scores and
awards them only after it. Every step writes a TenderEvent.
"""

import datetime
import secrets
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mercato.catalog.models import Sku
from mercato.core.errors import Conflict, NotFound, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.inventory.models import Warehouse

from .models import (
    ZERO,
    Bid,
    BidLine,
    BidToken,
    ResourceKind,
    Supplier,
    SupplierDocument,
    Tender,
    TenderEvent,
    TenderInvitation,
    TenderLine,
    TenderStatus,
)
from .suppliers import clean_price, clean_quantity

S = TenderStatus
ALLOWED = {
    S.DRAFT: {S.OPEN, S.CANCELLED},
    S.OPEN: {S.CLOSED, S.CANCELLED},
    S.CLOSED: {S.AWARDED, S.CANCELLED},
    S.AWARDED: set(),
    S.CANCELLED: set(),
}
ADD = "procurement.add_tender"
CHANGE = "procurement.change_tender"
MAX_LINES = 200
DEFAULT_WEIGHTS = (60, 20, 20)  # price, delivery date, supplier score (percent)


def transition(*, tender: Tender, to: str, actor, note: str = "") -> None:
    """Move a locked tender to `to` and write its event; an illegal move changes nothing."""
    if to not in ALLOWED[tender.status]:
        raise Conflict(
            _("A tender that is %(now)s cannot become %(to)s")
            % {"now": tender.get_status_display(), "to": S(to).label},
            code="illegal_transition",
        )
    event(tender=tender, to=to, actor=actor, note=note)
    tender.status = to
    tender.save(update_fields=["status", "updated_at"])


def event(*, tender: Tender, to: str, actor=None, note: str = "") -> None:
    TenderEvent.objects.create(
        tender=tender,
        from_status=tender.status,
        to_status=to,
        actor=actor if getattr(actor, "pk", None) else None,
        note=str(note)[:300],
    )


def tender_by_id(tender_id, *, lock: bool = True) -> Tender:
    queryset = Tender.objects.select_for_update() if lock else Tender.objects
    tender = queryset.filter(pk=tender_id).first()
    if tender is None:
        raise NotFound(_("Tender not found"))
    return tender


def is_sealed(tender: Tender, *, now=None) -> bool:
    """Bids' prices stay hidden from everyone until the deadline has passed."""
    return (now or timezone.now()) < tender.deadline


def qualified_suppliers(*, today=None):
    """Suppliers that may be invited: active, with at least one qualification document
    and none expired."""
    today = today or timezone.localdate()
    expired = SupplierDocument.objects.filter(expires_on__lt=today).values("supplier_id")
    return (
        Supplier.objects.filter(is_active=True, documents__isnull=False)
        .exclude(pk__in=expired)
        .distinct()
        .order_by("code")
    )


def clean_weights(price, delivery, supplier) -> tuple[int, int, int]:
    errors = {}
    values = []
    for field, value in (("weight_price", price), ("weight_delivery", delivery),
                         ("weight_supplier", supplier)):  # fmt: skip
        text = str(value).strip()
        if not text.isdigit() or int(text) > 100:
            errors[field] = [_("A weight is a whole number from 0 to 100")]
        else:
            values.append(int(text))
    if not errors and sum(values) != 100:
        errors["weight_price"] = [_("The three weights must add up to 100")]
    if errors:
        raise ValidationFailed(errors)
    return tuple(values)


def _clean_lines(lines) -> list[dict]:
    """[{sku_id, warehouse_id, quantity}] checked: known SKU and warehouse, units above
    zero, each SKU once per warehouse."""
    lines = list(lines or [])
    if not lines:
        raise ValidationFailed({"lines": [_("A tender needs at least one line")]})
    if len(lines) > MAX_LINES:
        raise ValidationFailed({"lines": [_("At most %(n)s lines") % {"n": MAX_LINES}]})
    skus = set(
        Sku.objects.filter(pk__in=[ln.get("sku_id") for ln in lines]).values_list("pk", flat=True)
    )
    warehouses = set(
        Warehouse.objects.filter(
            pk__in=[ln.get("warehouse_id") for ln in lines], is_active=True
        ).values_list("pk", flat=True)
    )
    errors: dict[str, list[str]] = {}
    cleaned, seen = [], set()
    for i, line in enumerate(lines):
        key = f"lines.{i}"
        sku_id, warehouse_id = line.get("sku_id"), line.get("warehouse_id")
        if sku_id not in skus:
            errors[key] = [_("SKU not found")]
        elif warehouse_id not in warehouses:
            errors[key] = [_("Warehouse not found")]
        elif (sku_id, warehouse_id) in seen:
            errors[key] = [_("This SKU is already on the tender for this warehouse")]
        else:
            seen.add((sku_id, warehouse_id))
            try:
                quantity = clean_quantity(line.get("quantity"), "quantity")
            except ValidationFailed:
                errors[key] = [_("Enter a whole number of units above zero")]
                continue
            cleaned.append({"sku_id": sku_id, "warehouse_id": warehouse_id, "quantity": quantity})
    if errors:
        raise ValidationFailed(errors)
    return cleaned


@transaction.atomic
def create_tender(
    *, actor, title: str, deadline: datetime.datetime, lines, weights=DEFAULT_WEIGHTS,
    supplier_ids=(), note: str = "", now=None,
) -> Tender:  # fmt: skip
    """A draft tender, with the suppliers invited. actor None: system set-up (demo data)."""
    if actor is not None:
        require_perm(actor, ADD)
    errors = {}
    title = str(title or "").strip()
    if not title:
        errors["title"] = [_("Give the tender a title")]
    if not isinstance(deadline, datetime.datetime) or timezone.is_naive(deadline):
        errors["deadline"] = [_("Give the deadline for bids")]
    elif deadline <= (now or timezone.now()):
        errors["deadline"] = [_("The deadline must be in the future")]
    if errors:
        raise ValidationFailed(errors)
    price, delivery, supplier = clean_weights(*weights)
    cleaned = _clean_lines(lines)
    tender = Tender.objects.create(
        number=f"tmp-{secrets.token_hex(8)}", title=title[:100], deadline=deadline,
        weight_price=price, weight_delivery=delivery, weight_supplier=supplier,
        note=str(note or "")[:200], created_by=actor if getattr(actor, "pk", None) else None,
    )  # fmt: skip
    tender.number = f"TD{timezone.localdate(now):%Y%m%d}{tender.pk:05d}"
    tender.save(update_fields=["number"])
    TenderLine.objects.bulk_create(TenderLine(tender=tender, **ln) for ln in cleaned)
    TenderEvent.objects.create(
        tender=tender, to_status=S.DRAFT, actor=tender.created_by,
        note=gettext_noop("Draft created"),
    )  # fmt: skip
    if supplier_ids:
        _invite(tender, supplier_ids, actor=actor, now=now)
    return tender


def _new_token(invitation: TenderInvitation) -> BidToken:
    return BidToken.objects.create(invitation=invitation, token=secrets.token_urlsafe(32))


@transaction.atomic
def invite_suppliers(*, actor, tender_id: int, supplier_ids, now=None) -> list[TenderInvitation]:
    """Invite qualified suppliers to a draft or open tender; each gets its bid link."""
    if actor is not None:
        require_perm(actor, CHANGE)
    return _invite(tender_by_id(tender_id), supplier_ids, actor=actor, now=now)


def _invite(tender: Tender, supplier_ids, *, actor, now) -> list[TenderInvitation]:
    if tender.status not in (S.DRAFT, S.OPEN) or not is_sealed(tender, now=now):
        raise Conflict(_("Suppliers are invited before the deadline only"), code="not_open")
    ids = sorted({int(i) for i in supplier_ids or []})
    if not ids:
        raise ValidationFailed({"suppliers": [_("Choose at least one supplier")]})
    qualified = dict(
        qualified_suppliers(today=timezone.localdate(now))
        .filter(pk__in=ids)
        .values_list("pk", "name")
    )
    refused = [i for i in ids if i not in qualified]
    if refused:
        names = Supplier.objects.filter(pk__in=refused).values_list("name", flat=True)
        message = _("Not qualified (inactive, or a document expired or missing): %(names)s")
        raise ValidationFailed({"suppliers": [message % {"names": "、".join(names)}]})
    already = set(tender.invitations.values_list("supplier_id", flat=True))
    made = []
    for supplier_id in ids:
        if supplier_id in already:
            continue
        invitation = TenderInvitation.objects.create(tender=tender, supplier_id=supplier_id)
        _new_token(invitation)
        made.append(invitation)
    if made:
        names = "、".join(qualified[i.supplier_id] for i in made)
        event(tender=tender, to=tender.status, actor=actor, note="邀请 " + names)
    return made


@transaction.atomic
def renew_link(*, actor, tender_id: int, supplier_id: int, now=None) -> BidToken:
    """A new bid link for an invited supplier (the old unused ones stop working)."""
    require_perm(actor, CHANGE)
    tender = tender_by_id(tender_id)
    if not is_sealed(tender, now=now) or tender.status not in (S.DRAFT, S.OPEN):
        raise Conflict(_("The deadline has passed"), code="deadline_passed")
    invitation = tender.invitations.filter(supplier_id=supplier_id).first()
    if invitation is None:
        raise NotFound(_("This supplier is not invited"))
    invitation.tokens.filter(used_at__isnull=True).update(used_at=timezone.now())
    return _new_token(invitation)


@transaction.atomic
def open_tender(*, actor, tender_id: int, now=None) -> Tender:
    """Bids may come in from now until the deadline."""
    require_perm(actor, CHANGE)
    tender = tender_by_id(tender_id)
    if tender.status == S.DRAFT and not is_sealed(tender, now=now):
        raise ValidationFailed({"deadline": [_("The deadline must be in the future")]})
    if tender.status == S.DRAFT and not tender.invitations.exists():
        raise ValidationFailed({"suppliers": [_("Invite at least one supplier first")]})
    transition(tender=tender, to=S.OPEN, actor=actor)
    return tender


@transaction.atomic
def cancel_tender(*, actor, tender_id: int, note: str) -> Tender:
    require_perm(actor, CHANGE)
    tender = tender_by_id(tender_id)
    if not str(note or "").strip():
        raise ValidationFailed({"note": [_("Say why the tender is cancelled")]})
    transition(tender=tender, to=S.CANCELLED, actor=actor, note=note.strip())
    return tender


def close_if_due(tender: Tender, *, now=None) -> Tender:
    """An open tender whose deadline has passed becomes closed (a system event). Called
    when a tender is read or awarded, and by the periodic `close_due_tenders`."""
    if tender.status != S.OPEN or is_sealed(tender, now=now):
        return tender
    with transaction.atomic():
        locked = tender_by_id(tender.pk)
        if locked.status == S.OPEN:
            transition(tender=locked, to=S.CLOSED, actor=None,
                       note=gettext_noop("Deadline passed"))  # fmt: skip
    tender.refresh_from_db()
    return tender


def close_due_tenders(*, now=None) -> int:
    due = Tender.objects.filter(status=S.OPEN, deadline__lte=now or timezone.now())
    count = 0
    for tender in due:
        close_if_due(tender, now=now)
        count += 1
    return count


# --- Bids --------------------------------------------------------------------------------


def _clean_bid(tender: Tender, *, delivery_date, lines, resource) -> dict:
    """The bid's fields checked: a delivery date, a price and units above zero per line
    priced (lines of the tender only, at least one), resource terms complete or absent and
    worth less than the bid."""
    errors: dict[str, list[str]] = {}
    if not isinstance(delivery_date, datetime.date):
        errors["delivery_date"] = [_("Give the delivery date")]
    tender_lines = {ln.pk: ln for ln in tender.lines.all()}
    cleaned = []
    for i, line in enumerate(lines or []):
        key = f"lines.{i}"
        tender_line_id = line.get("tender_line_id")
        if tender_line_id not in tender_lines:
            errors[key] = [_("Not a line of this tender")]
            continue
        try:
            price = clean_price(line.get("unit_price"), "unit_price")
            quantity = clean_quantity(line.get("quantity"), "quantity")
        except ValidationFailed as exc:
            errors[key] = [str(m) for msgs in exc.field_errors.values() for m in msgs]
            continue
        cleaned.append({"tender_line_id": tender_line_id, "unit_price": price,
                        "quantity": quantity})  # fmt: skip
    if not cleaned and not errors:
        errors["lines"] = [_("Give a price and a quantity for at least one line")]
    if len({ln["tender_line_id"] for ln in cleaned}) != len(cleaned):
        errors["lines"] = [_("A line is priced twice")]
    resource = dict(resource or {})
    kind = str(resource.get("kind") or "")
    terms = {"resource_kind": "", "resource_days": 0, "resource_value": ZERO,
             "resource_note": ""}  # fmt: skip
    if kind:
        if kind not in ResourceKind.values:
            errors["resource_kind"] = [_("Unknown resource")]
        days_text = str(resource.get("days") or "").strip()
        if not days_text.isdigit() or not 0 < int(days_text) <= 365:
            errors["resource_days"] = [_("Give the days of the resource, 1 to 365")]
        try:
            value = clean_price(resource.get("value"), "resource_value")
        except ValidationFailed as exc:
            errors.update(exc.field_errors)
            value = ZERO
        amount = sum((ln["unit_price"] * ln["quantity"] for ln in cleaned), ZERO)
        if value and cleaned and value >= amount:
            errors["resource_value"] = [_("The resource must be worth less than the bid")]
        if not errors:
            terms = {"resource_kind": kind, "resource_days": int(days_text),
                     "resource_value": value,
                     "resource_note": str(resource.get("note") or "")[:200]}  # fmt: skip
    if errors:
        raise ValidationFailed(errors)
    return {"delivery_date": delivery_date, "lines": cleaned, **terms}


def _save_bid(tender: Tender, supplier_id: int, data: dict, *, actor, by_supplier: bool) -> Bid:
    lines = data.pop("lines")
    bid = Bid.objects.select_for_update().filter(tender=tender, supplier_id=supplier_id).first()
    revised = bid is not None
    if bid is None:
        bid = Bid(tender=tender, supplier_id=supplier_id)
    else:
        bid.revisions += 1
    for key, value in data.items():
        setattr(bid, key, value)
    bid.by_supplier = by_supplier
    bid.entered_by = actor if getattr(actor, "pk", None) else None
    bid.save()
    bid.lines.all().delete()
    BidLine.objects.bulk_create(BidLine(bid=bid, **ln) for ln in lines)
    name = Supplier.objects.filter(pk=supplier_id).values_list("name", flat=True).first()
    # The event says who bid, never at which price: the history is not sealed.
    note = ("修改报价：" if revised else "收到报价：") + str(name)
    event(tender=tender, to=tender.status, actor=actor, note=note)
    return bid


def _check_open(tender: Tender, now) -> None:
    if not is_sealed(tender, now=now) or tender.status in (S.CLOSED, S.AWARDED):
        raise Conflict(
            _("The deadline for bids has passed; no bid is accepted any more"),
            code="deadline_passed",
        )
    if tender.status != S.OPEN:
        raise Conflict(_("This tender is not open for bids"), code="not_open")


@transaction.atomic
def enter_bid(
    *, actor, tender_id: int, supplier_id: int, delivery_date, lines, resource=None, now=None
) -> Bid:
    """A buyer enters (or revises) an invited supplier's bid before the deadline."""
    require_perm(actor, CHANGE)
    tender = tender_by_id(tender_id)
    _check_open(tender, now)
    if not tender.invitations.filter(supplier_id=supplier_id).exists():
        raise ValidationFailed({"supplier": [_("This supplier is not invited")]})
    data = _clean_bid(tender, delivery_date=delivery_date, lines=lines, resource=resource)
    return _save_bid(tender, supplier_id, data, actor=actor, by_supplier=False)


def token_invitation(token: str, *, now=None) -> TenderInvitation:
    """The invitation behind a bid link, if the link may still be used; else a clear
    refusal (unknown, used, or expired at the deadline)."""
    row = (
        BidToken.objects.filter(token=str(token or "")[:64])
        .select_related("invitation__tender", "invitation__supplier")
        .first()
    )
    if row is None:
        raise NotFound(_("This bid link is not valid"), code="bad_token")
    tender = row.invitation.tender
    if not is_sealed(tender, now=now) or tender.status in (S.CLOSED, S.AWARDED):
        raise Conflict(
            _("This bid link expired at the deadline; no bid is accepted any more"),
            code="token_expired",
        )
    if row.used_at is not None:
        raise Conflict(
            _("This bid link has already been used; use the link you received with your last bid"),
            code="token_used",
        )
    if tender.status != S.OPEN:
        raise Conflict(_("This tender is not open for bids"), code="not_open")
    return row.invitation


@transaction.atomic
def submit_bid_by_token(
    *, token: str, delivery_date, lines, resource=None, now=None
) -> tuple[Bid, BidToken]:
    """A supplier's bid through its link: the link is used up and the next one (to revise
    the bid until the deadline) is returned with the bid."""
    row = BidToken.objects.select_for_update().filter(token=str(token or "")[:64]).first()
    invitation = token_invitation(token, now=now)  # the refusals, with the row locked
    tender = tender_by_id(invitation.tender_id)
    _check_open(tender, now)
    data = _clean_bid(tender, delivery_date=delivery_date, lines=lines, resource=resource)
    bid = _save_bid(tender, invitation.supplier_id, data, actor=None, by_supplier=True)
    row.used_at = timezone.now()
    row.save(update_fields=["used_at"])
    return bid, _new_token(invitation)


def bid_count(tender: Tender) -> int:
    return tender.bids.count()


def effective_factor(*, amount: Decimal, resource_value: Decimal) -> Decimal:
    """The share of the price a bid really costs once its resource is counted: a bid of
    ¥10,000 with a banner worth ¥1,000 costs 0.9 of its prices."""
    if not amount:
        return Decimal(1)
    return (amount - resource_value) / amount

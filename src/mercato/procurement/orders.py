"""Purchase orders (采购单): draft → approval by amount → sent → received → closed.

Approval follows the amount (settings): up to MERCATO_PO_LEAD_LIMIT a submitted order is
approved at once; above it the procurement lead approves (procurement.approve_purchaseorder);
above MERCATO_PO_FINANCE_LIMIT finance approves after the lead
(procurement.approve_large_purchaseorder). Changing the lines of an order awaiting
approval or approved sends it through approval again. Every step writes a
PurchaseOrderEvent (who, when, from, to, why).
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mercato.catalog.models import Sku
from mercato.core.audit import acting_as
from mercato.core.errors import Conflict, NotFound, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.inventory.models import Warehouse

from .models import POStatus, PurchaseOrder, PurchaseOrderEvent, PurchaseOrderLine, SupplierPrice
from .suppliers import _supplier, clean_price, clean_quantity

S = POStatus
ALLOWED = {
    S.DRAFT: {S.PENDING_LEAD, S.APPROVED, S.CANCELLED},
    S.PENDING_LEAD: {S.PENDING_FINANCE, S.APPROVED, S.DRAFT, S.CANCELLED},
    S.PENDING_FINANCE: {S.APPROVED, S.PENDING_LEAD, S.DRAFT, S.CANCELLED},
    S.APPROVED: {S.SENT, S.PENDING_LEAD, S.CANCELLED},
    S.SENT: {S.PARTIALLY_RECEIVED, S.RECEIVED, S.CANCELLED},
    S.PARTIALLY_RECEIVED: {S.PARTIALLY_RECEIVED, S.RECEIVED, S.CLOSED},
    S.RECEIVED: {S.CLOSED},
    S.CLOSED: set(),
    S.CANCELLED: set(),
}
# Statuses whose lines may change (a change after submitting asks for approval again).
EDITABLE = {S.DRAFT, S.PENDING_LEAD, S.PENDING_FINANCE, S.APPROVED}
OPEN = [S.SENT, S.PARTIALLY_RECEIVED]  # goods expected
MAX_LINES = 500


def lead_limit() -> Decimal:
    return Decimal(settings.MERCATO_PO_LEAD_LIMIT)


def finance_limit() -> Decimal:
    return Decimal(settings.MERCATO_PO_FINANCE_LIMIT)


def transition(*, order: PurchaseOrder, to: str, actor, note: str = "") -> None:
    """Move a locked order to `to` and write its event; an illegal move changes nothing."""
    if to not in ALLOWED[order.status]:
        raise Conflict(
            _("A purchase order that is %(now)s cannot become %(to)s")
            % {"now": order.get_status_display(), "to": S(to).label},
            code="illegal_transition",
        )
    PurchaseOrderEvent.objects.create(
        order=order,
        from_status=order.status,
        to_status=to,
        actor=actor if getattr(actor, "pk", None) else None,
        note=note[:200],
    )
    order.status = to
    order.save(update_fields=["status", "updated_at"])


def _order(order_id, *, lock: bool = True) -> PurchaseOrder:
    queryset = PurchaseOrder.objects.select_for_update() if lock else PurchaseOrder.objects
    order = queryset.filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("Purchase order not found"))
    return order


def list_price(*, supplier_id: int, sku_id: int, quantity: int, on: datetime.date):
    """The supplier's price-list price of a SKU valid `on` that date for `quantity` units
    (the latest start date wins), or None."""
    row = (
        SupplierPrice.objects.filter(
            supplier_id=supplier_id, sku_id=sku_id, valid_from__lte=on, min_quantity__lte=quantity
        )
        .exclude(valid_to__lt=on)
        .order_by("-valid_from", "price")
        .first()
    )
    return row.price if row else None


def _clean_lines(supplier_id: int, lines) -> list[dict]:
    """[{sku_id, quantity, unit_price}] checked; a missing price comes from the price list."""
    lines = list(lines or [])
    if not lines:
        raise ValidationFailed({"lines": [_("A purchase order needs at least one line")]})
    if len(lines) > MAX_LINES:
        raise ValidationFailed({"lines": [_("At most %(n)s lines") % {"n": MAX_LINES}]})
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    cleaned, seen = [], set()
    known = set(
        Sku.objects.filter(pk__in=[ln.get("sku_id") for ln in lines]).values_list("pk", flat=True)
    )
    for i, line in enumerate(lines):
        key = f"lines.{i}"
        sku_id = line.get("sku_id")
        if sku_id not in known:
            errors[key] = [_("SKU not found")]
            continue
        if sku_id in seen:
            errors[key] = [_("This SKU is already on the order")]
            continue
        seen.add(sku_id)
        try:
            quantity = clean_quantity(line.get("quantity"), "quantity")
            price = line.get("unit_price")
            if price in (None, ""):
                price = list_price(
                    supplier_id=supplier_id, sku_id=sku_id, quantity=quantity, on=today
                )
                if price is None:
                    raise ValidationFailed(
                        {"unit_price": [_("No valid price-list price: give a unit price")]}
                    )
            price = clean_price(price, "unit_price")
        except ValidationFailed as exc:
            errors[key] = [str(m) for msgs in exc.field_errors.values() for m in msgs]
            continue
        cleaned.append({"sku_id": sku_id, "quantity": quantity, "unit_price": price})
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _write_lines(order: PurchaseOrder, lines: list[dict]) -> None:
    order.lines.all().delete()
    PurchaseOrderLine.objects.bulk_create(PurchaseOrderLine(order=order, **ln) for ln in lines)
    order.total = sum((ln["unit_price"] * ln["quantity"] for ln in lines), Decimal("0.00"))
    order.save(update_fields=["total", "updated_at"])


@transaction.atomic
def create_purchase_order(
    *, actor, supplier_id: int, warehouse_id: int, promised_date: datetime.date, lines, note=""
) -> PurchaseOrder:
    """A draft purchase order. actor None: system set-up (demo data)."""
    if actor is not None:
        require_perm(actor, "procurement.add_purchaseorder")
    supplier = _supplier(supplier_id)
    if not supplier.is_active:
        raise ValidationFailed({"supplier": [_("This supplier is not active")]})
    if not Warehouse.objects.filter(pk=warehouse_id).exists():
        raise ValidationFailed({"warehouse": [_("Warehouse not found")]})
    if not isinstance(promised_date, datetime.date):
        raise ValidationFailed({"promised_date": [_("Give the promised delivery date")]})
    cleaned = _clean_lines(supplier.pk, lines)
    with acting_as(actor):
        order = PurchaseOrder.objects.create(
            number=f"tmp-{timezone.now().timestamp()}",
            supplier=supplier,
            warehouse_id=warehouse_id,
            promised_date=promised_date,
            note=str(note or "")[:200],
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        order.number = f"PO{timezone.localdate():%Y%m%d}{order.pk:05d}"
        order.save(update_fields=["number"])
        _write_lines(order, cleaned)
        PurchaseOrderEvent.objects.create(
            order=order,
            to_status=S.DRAFT,
            actor=order.created_by,
            note=gettext_noop("Draft created"),
        )
    return order


def _ask_approval(order: PurchaseOrder, actor, note: str) -> None:
    """Submitted (or changed): approved at once up to the lead limit, else to the lead."""
    if order.total <= lead_limit():
        transition(order=order, to=S.APPROVED, actor=actor, note=note or "≤ lead limit")
    else:
        transition(order=order, to=S.PENDING_LEAD, actor=actor, note=note)


@transaction.atomic
def submit_purchase_order(*, actor, order_id: int) -> PurchaseOrder:
    require_perm(actor, "procurement.add_purchaseorder")
    order = _order(order_id)
    if order.status != S.DRAFT:
        raise Conflict(_("Only a draft can be submitted"), code="illegal_transition")
    _ask_approval(order, actor, "")
    return order


@transaction.atomic
def change_lines(*, actor, order_id: int, lines, note: str = "") -> PurchaseOrder:
    """New lines for an order not yet sent; a submitted or approved order goes back to
    approval."""
    require_perm(actor, "procurement.change_purchaseorder")
    order = _order(order_id)
    if order.status not in EDITABLE:
        raise Conflict(
            _("The lines of a purchase order that is %(now)s cannot change")
            % {"now": order.get_status_display()},
            code="not_editable",
        )
    cleaned = _clean_lines(order.supplier_id, lines)
    with acting_as(actor):
        _write_lines(order, cleaned)
        if order.status != S.DRAFT:
            # Re-approval from the start, whatever step it had reached: approved again at
            # once when the new total is within the lead limit, else back to the lead.
            to = S.APPROVED if order.total <= lead_limit() else S.PENDING_LEAD
            PurchaseOrderEvent.objects.create(
                order=order, from_status=order.status, to_status=to,
                actor=actor if getattr(actor, "pk", None) else None,
                note=note or gettext_noop("Lines changed"),
            )  # fmt: skip
            order.status = to
            order.save(update_fields=["status", "updated_at"])
    return order


@transaction.atomic
def approve_purchase_order(*, actor, order_id: int, note: str = "") -> PurchaseOrder:
    """The lead's approval (then finance's above the finance limit), or finance's."""
    order = _order(order_id)
    if order.status == S.PENDING_LEAD:
        require_perm(actor, "procurement.approve_purchaseorder")
        to = S.PENDING_FINANCE if order.total > finance_limit() else S.APPROVED
    elif order.status == S.PENDING_FINANCE:
        require_perm(actor, "procurement.approve_large_purchaseorder")
        to = S.APPROVED
    else:
        raise Conflict(_("This purchase order is not awaiting approval"), code="not_pending")
    if order.created_by_id and order.created_by_id == actor.pk:
        raise Conflict(_("You cannot approve a purchase order you created"), code="own_order")
    transition(order=order, to=to, actor=actor, note=note)
    return order


@transaction.atomic
def reject_purchase_order(*, actor, order_id: int, note: str) -> PurchaseOrder:
    """Back to draft, with the approver's reason."""
    order = _order(order_id)
    perm = {
        S.PENDING_LEAD: "procurement.approve_purchaseorder",
        S.PENDING_FINANCE: "procurement.approve_large_purchaseorder",
    }.get(order.status)
    if perm is None:
        raise Conflict(_("This purchase order is not awaiting approval"), code="not_pending")
    require_perm(actor, perm)
    if not str(note or "").strip():
        raise ValidationFailed({"note": [_("Say why the order is sent back")]})
    transition(order=order, to=S.DRAFT, actor=actor, note=note.strip())
    return order


@transaction.atomic
def send_purchase_order(*, actor, order_id: int) -> PurchaseOrder:
    """The approved order goes to the supplier (its PDF: procurement.pdf)."""
    require_perm(actor, "procurement.change_purchaseorder")
    order = _order(order_id)
    transition(order=order, to=S.SENT, actor=actor)
    order.sent_at = timezone.now()
    order.save(update_fields=["sent_at"])
    return order


@transaction.atomic
def close_purchase_order(*, actor, order_id: int, note: str = "") -> PurchaseOrder:
    """No more goods are expected (the rest of a partly received order is not coming)."""
    require_perm(actor, "procurement.change_purchaseorder")
    order = _order(order_id)
    transition(order=order, to=S.CLOSED, actor=actor, note=note)
    return order


@transaction.atomic
def cancel_purchase_order(*, actor, order_id: int, note: str = "") -> PurchaseOrder:
    require_perm(actor, "procurement.change_purchaseorder")
    order = _order(order_id)
    transition(order=order, to=S.CANCELLED, actor=actor, note=note)
    return order

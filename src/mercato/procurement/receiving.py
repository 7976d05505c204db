"""Receiving goods against a purchase order (入库): count, quality check, put away.

A clerk scans each unit (or types a count) against the order's lines (`check_scan` says
which line a code is and refuses a unit beyond the tolerance), then records the receipt:
per line the units counted, how many the quality check rejected and why, and the bin they
go to. Accepted units enter stock through inventory.services (one RECEIPT ledger row per
line), the bin through inventory.locations, and the SKU's moving-average cost through
catalog.services. Rejected units never enter stock.
"""

from decimal import ROUND_FLOOR, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mercato.catalog.services import record_received_cost
from mercato.core.audit import acting_as
from mercato.core.errors import Conflict, NotFound, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.inventory.locations import put_away
from mercato.inventory.selectors import units_on_hand
from mercato.inventory.services import receive_stock

from .models import POStatus, PurchaseOrder, PurchaseOrderLine, Receipt, ReceiptLine
from .orders import OPEN, transition
from .suppliers import clean_quantity

S = POStatus


def tolerance_units(quantity: int) -> int:
    """Units a line may be over-received by: MERCATO_PO_OVER_RECEIPT of its quantity,
    rounded down (0.05 of 30 units: 1)."""
    share = Decimal(settings.MERCATO_PO_OVER_RECEIPT)
    return int((share * quantity).to_integral_value(ROUND_FLOOR))


def max_receivable(line: PurchaseOrderLine) -> int:
    return line.quantity + tolerance_units(line.quantity) - line.received


def _receivable(order: PurchaseOrder) -> None:
    if order.status not in OPEN:
        raise Conflict(
            _("Goods cannot be received against a purchase order that is %(now)s")
            % {"now": order.get_status_display()},
            code="not_receivable",
        )


def check_scan(*, actor, order_id: int, code: str, counted: dict[int, int], quantity=1):
    """The order line a scanned barcode or SKU code belongs to, after checking that
    `quantity` more units (on top of `counted`, {line id: units scanned so far}) stay
    within the line's tolerance. Changes nothing."""
    require_perm(actor, "procurement.receive_goods")
    order = PurchaseOrder.objects.filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("Purchase order not found"))
    _receivable(order)
    code = str(code or "").strip()
    if not code:
        raise ValidationFailed({"code": [_("Scan a barcode or type a SKU code")]})
    line = (
        order.lines.select_related("sku")
        .filter(Q(sku__barcode=code) | Q(sku__code__iexact=code))
        .first()
    )
    if line is None:
        raise ValidationFailed(
            {"code": [_("%(code)s is not on this purchase order") % {"code": code}]}
        )
    quantity = clean_quantity(quantity)
    if counted.get(line.pk, 0) + quantity > max_receivable(line):
        raise Conflict(
            _("Too many units of %(sku)s: %(n)s more may be received")
            % {"sku": line.sku.code, "n": max(max_receivable(line) - counted.get(line.pk, 0), 0)},
            field="code",
            code="over_receipt",
        )
    return line


@transaction.atomic
def receive_goods(*, actor, order_id: int, lines) -> Receipt:
    """Record one delivery. `lines`: [{line_id, received, rejected (0), reason, bin}] for
    the lines that came; received = accepted + rejected. Refuses (nothing changed) a closed
    or unsent order, a count over the tolerance, negative or zero counts, rejects without
    a reason, an unknown bin."""
    require_perm(actor, "procurement.receive_goods")
    order = PurchaseOrder.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("Purchase order not found"))
    _receivable(order)
    by_id = {ln.pk: ln for ln in order.lines.select_related("sku").select_for_update(of=("self",))}
    errors: dict[str, list[str]] = {}
    plan = []
    for i, item in enumerate(lines or []):
        key = f"lines.{i}"
        line = by_id.get(item.get("line_id"))
        if line is None or line in [p[0] for p in plan]:
            errors[key] = [_("Not a line of this purchase order")]
            continue
        received, rejected = item.get("received"), item.get("rejected") or 0
        if not (isinstance(received, int) and received > 0):
            errors[key] = [_("Enter a whole number of units above zero")]
            continue
        if not (isinstance(rejected, int) and 0 <= rejected <= received):
            errors[key] = [_("Rejected units must be between 0 and the units received")]
            continue
        reason = str(item.get("reason") or "").strip()
        if rejected and not reason:
            errors[key] = [_("Say why units are rejected")]
            continue
        if received > max_receivable(line):
            errors[key] = [
                _(
                    "%(sku)s: %(n)s units is more than ordered beyond the tolerance "
                    "(at most %(max)s)"
                )
                % {"sku": line.sku.code, "n": received, "max": max(max_receivable(line), 0)}
            ]
            continue
        plan.append((line, received, rejected, reason, str(item.get("bin") or "").strip()))
    if not plan and not errors:
        errors["lines"] = [_("Nothing was received")]
    if errors:
        raise ValidationFailed(errors)
    now = timezone.now()
    before = units_on_hand(sku_ids=[line.sku_id for line, *_rest in plan])
    with acting_as(actor):
        receipt = Receipt.objects.create(
            order=order, number=f"tmp-{now.timestamp()}", received_at=now, actor=actor
        )
        receipt.number = f"GR{order.number[2:]}-{receipt.pk}"
        receipt.save(update_fields=["number"])
        for line, received, rejected, reason, bin_code in plan:
            accepted = received - rejected
            stock_bin = None
            if bin_code:
                stock_bin = put_away(
                    actor=actor, sku_id=line.sku_id, warehouse_id=order.warehouse_id,
                    bin_code=bin_code,
                ).bin  # fmt: skip
            if accepted:
                receive_stock(
                    actor=actor, sku_id=line.sku_id, warehouse_id=order.warehouse_id,
                    quantity=accepted, reference=receipt.number, note=order.number,
                )  # fmt: skip
                record_received_cost(
                    sku_id=line.sku_id, units_before=before.get(line.sku_id, 0),
                    units=accepted, unit_cost=line.unit_price,
                )  # fmt: skip
            ReceiptLine.objects.create(
                receipt=receipt, order_line=line, received=received, accepted=accepted,
                rejected=rejected, reject_reason=reason, bin=stock_bin,
            )  # fmt: skip
            line.received += received
            line.accepted += accepted
            line.rejected += rejected
        PurchaseOrderLine.objects.bulk_update(
            [line for line, *_rest in plan], ["received", "accepted", "rejected"]
        )
        complete = all(ln.received >= ln.quantity for ln in by_id.values())
        transition(
            order=order,
            to=S.RECEIVED if complete else S.PARTIALLY_RECEIVED,
            actor=actor,
            note=receipt.number,
        )
    return receipt

"""Transfer orders (调拨单) between warehouses: draft → shipped → received, or cancelled.

Shipping takes the units out of the source warehouse (inventory.services.dispatch_transfer,
TRANSFER_OUT ledger rows carrying the transfer number); from then until received they are
"in transit" to the destination (selectors.in_transit: the lines of shipped transfers, no
second stock table). Receiving puts the counted units into the destination; fewer than
shipped is allowed with a reason (the shortfall stays on the line). Every step writes a
TransferOrderEvent.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mercato.catalog.models import Sku
from mercato.core.errors import Conflict, NotFound, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.inventory.models import Warehouse
from mercato.inventory.services import arrive_transfer, dispatch_transfer

from .models import TransferOrder, TransferOrderEvent, TransferOrderLine, TransferStatus
from .suppliers import clean_quantity

S = TransferStatus
ALLOWED = {
    S.DRAFT: {S.SHIPPED, S.CANCELLED},
    S.SHIPPED: {S.RECEIVED},
    S.RECEIVED: set(),
    S.CANCELLED: set(),
}
MAX_LINES = 500


def _transition(order: TransferOrder, to: str, actor, note: str = "") -> None:
    if to not in ALLOWED[order.status]:
        raise Conflict(
            _("A transfer order that is %(now)s cannot become %(to)s")
            % {"now": order.get_status_display(), "to": S(to).label},
            code="illegal_transition",
        )
    TransferOrderEvent.objects.create(
        order=order,
        from_status=order.status,
        to_status=to,
        actor=actor if getattr(actor, "pk", None) else None,
        note=note[:200],
    )
    order.status = to


def _order(order_id) -> TransferOrder:
    order = TransferOrder.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("Transfer order not found"))
    return order


def _clean_lines(lines) -> list[tuple[int, int]]:
    cleaned: dict[int, int] = {}
    for index, line in enumerate(lines or []):
        sku_id, quantity = line.get("sku_id"), clean_quantity(line.get("quantity"))
        try:
            sku_id = int(sku_id)
        except (TypeError, ValueError):
            message = _("Line %(n)s: choose a SKU") % {"n": index + 1}
            raise ValidationFailed({"lines": [message]}) from None
        if sku_id in cleaned:
            raise ValidationFailed({"lines": [_("A SKU appears twice")]})
        cleaned[sku_id] = quantity
    if not cleaned:
        raise ValidationFailed({"lines": [_("Add at least one line")]})
    if len(cleaned) > MAX_LINES:
        raise ValidationFailed({"lines": [_("At most %(n)s lines") % {"n": MAX_LINES}]})
    found = set(Sku.objects.filter(pk__in=cleaned).values_list("pk", flat=True))
    if missing := [s for s in cleaned if s not in found]:
        raise ValidationFailed({"lines": [_("SKU not found: %(id)s") % {"id": missing[0]}]})
    return list(cleaned.items())


@transaction.atomic
def create_transfer(
    *, actor, from_warehouse_id: int, to_warehouse_id: int, lines, note: str = ""
) -> TransferOrder:
    """A draft transfer of `lines` ([{"sku_id", "quantity"}]) between two warehouses."""
    if actor is not None:
        require_perm(actor, "procurement.add_transferorder")
    warehouses = Warehouse.objects.in_bulk([from_warehouse_id, to_warehouse_id])
    if from_warehouse_id not in warehouses:
        raise ValidationFailed({"from_warehouse": [_("Warehouse not found")]})
    if to_warehouse_id not in warehouses:
        raise ValidationFailed({"to_warehouse": [_("Warehouse not found")]})
    if from_warehouse_id == to_warehouse_id:
        raise ValidationFailed({"to_warehouse": [_("Choose another warehouse")]})
    cleaned = _clean_lines(lines)
    order = TransferOrder.objects.create(
        number=f"tmp-{timezone.now().timestamp()}",
        from_warehouse_id=from_warehouse_id,
        to_warehouse_id=to_warehouse_id,
        note=str(note or "")[:200],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    order.number = f"TO{timezone.localdate():%Y%m%d}{order.pk:05d}"
    order.save(update_fields=["number"])
    TransferOrderLine.objects.bulk_create(
        TransferOrderLine(order=order, sku_id=sku_id, quantity=quantity)
        for sku_id, quantity in cleaned
    )
    TransferOrderEvent.objects.create(
        order=order, to_status=S.DRAFT, actor=order.created_by, note=order.note
    )
    return order


@transaction.atomic
def ship_transfer(*, actor, order_id: int) -> TransferOrder:
    """Units leave the source warehouse and are in transit. Refused, nothing changed, when
    any line is short of available stock there."""
    if actor is not None:
        require_perm(actor, "procurement.ship_transferorder")
    order = _order(order_id)
    _transition(order, S.SHIPPED, actor)
    dispatch_transfer(
        actor=actor,
        warehouse_id=order.from_warehouse_id,
        lines=order.lines.values_list("sku_id", "quantity"),
        reference=order.number,
    )
    order.shipped_at = timezone.now()
    order.save(update_fields=["status", "shipped_at", "updated_at"])
    return order


@transaction.atomic
def receive_transfer(
    *, actor, order_id: int, received: dict | None = None, reason: str = ""
) -> TransferOrder:
    """The destination counts the goods in. `received` maps line id → units that arrived
    (missing lines: all shipped units); fewer than shipped needs `reason` (the shortfall)."""
    if actor is not None:
        require_perm(actor, "procurement.ship_transferorder")
    order = _order(order_id)
    lines = list(order.lines.all())
    received = dict(received or {})
    unknown = set(received) - {line.pk for line in lines}
    if unknown:
        raise ValidationFailed({"received": [_("Line not on this transfer")]})
    reason = str(reason or "").strip()
    counted = []
    for line in lines:
        n = received.get(line.pk, line.quantity)
        if isinstance(n, str) and n.strip().isdigit():
            n = int(n)
        if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= line.quantity:
            raise ValidationFailed(
                {"received": [
                    _("Received units of a line must be 0 to %(n)s") % {"n": line.quantity}
                ]}
            )  # fmt: skip
        if n < line.quantity and not reason:
            raise ValidationFailed({"reason": [_("Say why fewer units arrived than shipped")]})
        line.received = n
        line.shortfall_reason = reason[:200] if n < line.quantity else ""
        counted.append(line)
    _transition(order, S.RECEIVED, actor, reason)
    arriving = [(line.sku_id, line.received) for line in counted if line.received]
    if arriving:
        arrive_transfer(
            actor=actor, warehouse_id=order.to_warehouse_id, lines=arriving, reference=order.number
        )
    TransferOrderLine.objects.bulk_update(counted, ["received", "shortfall_reason"])
    order.received_at = timezone.now()
    order.save(update_fields=["status", "received_at", "updated_at"])
    return order


@transaction.atomic
def cancel_transfer(*, actor, order_id: int, note: str = "") -> TransferOrder:
    """Only a draft may be cancelled (shipped goods are received, perhaps short)."""
    if actor is not None:
        require_perm(actor, "procurement.change_transferorder")
    order = _order(order_id)
    _transition(order, S.CANCELLED, actor, str(note or ""))
    order.save(update_fields=["status", "updated_at"])
    return order

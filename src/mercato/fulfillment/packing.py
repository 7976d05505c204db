"""Packing: each item of a parcel is confirmed by scanning its barcode (a wrong item is
refused: another order's item, or one not on this parcel), the box is suggested from the
box sizes by volume and weight, the weight is recorded, the waybill number assigned."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mercato.core.errors import Conflict, NotFound, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.orders.models import Order, OrderStatus
from mercato.orders.status import transition

from .carriers import assign_waybill
from .errors import WrongItem
from .models import BoxSize, Shipment, ShipmentLine, ShipmentStatus
from .status import move_shipment

PERM = "fulfillment.pack_parcel"
FILL_FACTOR = 1.15  # items never fill a box completely: padding, odd shapes
REASON_PACKED = gettext_noop("Packed")
MAX_WEIGHT_G = 100_000


@dataclass(frozen=True)
class ScanResult:
    line: ShipmentLine
    done: bool  # every item of the parcel is packed now


def _locked_parcel(shipment_id: int) -> Shipment:
    shipment = Shipment.objects.select_for_update().filter(pk=shipment_id).first()
    if shipment is None:
        raise NotFound(_("No such parcel."), field="parcel")
    return shipment


def _sku_of(code: str) -> tuple[int | None, str]:
    """(sku id, how it was found) for a scanned barcode or typed SKU code."""
    from mercato.catalog.models import Sku

    code = (code or "").strip()
    sku = Sku.objects.filter(barcode=code).only("pk").first() if code.isdigit() else None
    if sku is None:
        sku = Sku.objects.filter(code=code).only("pk").first()
    return (sku.pk if sku else None), code


@transaction.atomic
def scan_item(*, actor, shipment_id: int, code: str) -> ScanResult:
    """One scanned unit for the parcel. Refused (WrongItem, 409, nothing changed): an
    unknown barcode, an item of another order, an item not on this parcel, or one more
    unit than the parcel holds."""
    require_perm(actor, PERM)
    shipment = _locked_parcel(shipment_id)
    if shipment.status != ShipmentStatus.PICKING:
        raise Conflict(_("This parcel is not being packed."), field="parcel")
    if Order.objects.filter(pk=shipment.order_id, on_hold=True).exists():
        raise Conflict(_("The order is on hold: do not pack it."), field="parcel")
    sku_id, code = _sku_of(code)
    if not code:
        raise ValidationFailed({"code": [_("Scan a barcode.")]})
    if sku_id is None:
        raise WrongItem(_("Unknown barcode %(code)s.") % {"code": code}, field="code")
    line = (
        ShipmentLine.objects.select_for_update()
        .filter(shipment=shipment, sku_id=sku_id)
        .order_by("pk")
        .first()
    )
    if line is None:
        other = (
            Shipment.objects.filter(wave_id=shipment.wave_id, lines__sku_id=sku_id)
            .exclude(pk=shipment.pk)
            .values_list("number", flat=True)
            .first()
            if shipment.wave_id
            else None
        )
        if other:
            raise WrongItem(
                _("Wrong item: it belongs to parcel %(parcel)s of another order.")
                % {"parcel": other},
                field="code",
            )
        raise WrongItem(_("Wrong item: it is not in this parcel."), field="code")
    if line.packed >= line.quantity:
        raise WrongItem(
            _("All %(n)s units of this item are packed already.") % {"n": line.quantity},
            field="code",
        )
    ShipmentLine.objects.filter(pk=line.pk).update(packed=F("packed") + 1)
    line.packed += 1
    remaining = ShipmentLine.objects.filter(shipment=shipment, packed__lt=F("quantity")).exists()
    return ScanResult(line=line, done=not remaining)


def items_of(shipment: Shipment) -> tuple[int, int]:
    """(volume cm³, weight g) of the parcel's items."""
    volume = weight = 0
    for quantity, sku_volume, sku_weight in ShipmentLine.objects.filter(
        shipment=shipment
    ).values_list("quantity", "sku__volume_cm3", "sku__weight_g"):
        volume += quantity * (sku_volume or 0)
        weight += quantity * (sku_weight or 0)
    return volume, weight


def suggest_box(*, shipment: Shipment, boxes=None) -> BoxSize | None:
    """The smallest active box (by volume) that holds the items' volume with some room
    and their weight; the largest box when none does (two boxes are the packer's call);
    None when there are no boxes."""
    boxes = list(boxes if boxes is not None else BoxSize.objects.filter(is_active=True))
    if not boxes:
        return None
    volume, weight = items_of(shipment)
    fitting = [
        b for b in boxes if b.volume_cm3 >= volume * FILL_FACTOR and b.max_weight_g >= weight
    ]
    if fitting:
        return min(fitting, key=lambda b: (b.volume_cm3, b.max_weight_g, b.code))
    return max(boxes, key=lambda b: (b.volume_cm3, b.max_weight_g))


def _weight(value) -> int:
    try:
        grams = int(str(value).strip())
    except (TypeError, ValueError):
        grams = 0
    if not 1 <= grams <= MAX_WEIGHT_G:
        raise ValidationFailed({"weight_g": [_("Enter the weight in grams, 1 to 100000.")]})
    return grams


@transaction.atomic
def finish_packing(*, actor, shipment_id: int, weight_g, box_code: str = "") -> Shipment:
    """The parcel is closed: every item scanned, the box and the weighed weight recorded,
    a waybill number assigned; the order is packed when all its parcels are."""
    require_perm(actor, PERM)
    weight_g = _weight(weight_g)
    shipment = _locked_parcel(shipment_id)
    if shipment.status != ShipmentStatus.PICKING:
        raise Conflict(_("This parcel is not being packed."), field="parcel")
    if ShipmentLine.objects.filter(shipment=shipment, packed__lt=F("quantity")).exists():
        raise Conflict(_("Scan every item before closing the parcel."), field="parcel")
    box = None
    if box_code:
        box = BoxSize.objects.filter(code=box_code, is_active=True).first()
        if box is None:
            raise ValidationFailed({"box": [_("No such box.")]})
    else:
        box = suggest_box(shipment=shipment)
    shipment.weight_g, shipment.box, shipment.packed_at = weight_g, box, timezone.now()
    move_shipment(
        shipment=shipment, to=ShipmentStatus.PACKED, actor=actor, reason=REASON_PACKED,
        update_fields=["weight_g", "box", "packed_at"],
    )  # fmt: skip
    assign_waybill(shipment=shipment)
    order = Order.objects.select_for_update().get(pk=shipment.order_id)
    open_parcels = Shipment.objects.filter(
        order=order, status__in=(ShipmentStatus.ALLOCATED, ShipmentStatus.PICKING)
    ).exists()
    if order.status == OrderStatus.PICKING and not open_parcels:
        transition(order=order, to=OrderStatus.PACKED, actor=actor, reason=REASON_PACKED)
    return shipment

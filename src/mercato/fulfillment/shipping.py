"""Handing parcels to the carrier (shipping deducts the stock through inventory), the order
following its parcels, refused COD parcels coming back into stock, and splitting a
parcel before it is picked."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mercato.core.errors import Conflict, NotFound, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.inventory.reservations import ship_units
from mercato.inventory.services import receive_returned_goods
from mercato.orders.models import EventKind, Order, OrderStatus
from mercato.orders.status import ALLOWED, record_event, transition

from .carriers import assign_waybill, promised_date
from .models import Shipment, ShipmentEvent, ShipmentLine, ShipmentStatus, Wave
from .status import move_shipment

S = ShipmentStatus
O = OrderStatus  # noqa: E741 - the order statuses, beside S for the parcels'
REASON_SHIPPED = gettext_noop("Handed to the carrier")
REASON_RETURNED = gettext_noop("Refused parcel back in the warehouse")
REASON_DELIVERED = gettext_noop("Every parcel delivered")
REASON_EXCEPTION = gettext_noop("A parcel has a delivery exception")
REASON_MOVING = gettext_noop("The parcels are on their way again")
REASON_CLOSED = gettext_noop("No parcel reached the customer")
REASON_SPLIT = gettext_noop("Parcel split")


def sync_order(*, order_id: int, actor=None) -> Order:
    """Move a shipped order as its parcels say (the caller holds the order's lock or is
    inside the parcel's transaction): every parcel delivered → delivered; a parcel in
    trouble (exception, refused, lost) → exception; none reached the customer (refused
    and back, or lost) → closed; all moving again → shipped."""
    order = Order.objects.select_for_update().get(pk=order_id)
    statuses = [
        s for s in Shipment.objects.filter(order_id=order_id).values_list("status", flat=True)
        if s != S.CANCELLED
    ]  # fmt: skip
    if not statuses or order.status not in (O.SHIPPED, O.EXCEPTION):
        return order
    target, reason = None, ""
    if all(s == S.DELIVERED for s in statuses):
        target, reason = O.DELIVERED, REASON_DELIVERED
    elif all(s in (S.RETURNED, S.LOST) for s in statuses):
        target, reason = O.CLOSED, REASON_CLOSED
    elif any(s in (S.EXCEPTION, S.REFUSED, S.LOST, S.RETURNED) for s in statuses):
        target, reason = O.EXCEPTION, REASON_EXCEPTION
    elif order.status == O.EXCEPTION:
        target, reason = O.SHIPPED, REASON_MOVING
    if target and target != order.status and target in ALLOWED[order.status]:
        transition(order=order, to=target, actor=actor, reason=reason)
    return order


def _ship_one(shipment: Shipment, *, actor, today, at) -> None:
    if shipment.status != S.PACKED:
        raise Conflict(_("Parcel %(n)s is not packed.") % {"n": shipment.number}, field="parcel")
    order = Order.objects.select_for_update().get(pk=shipment.order_id)
    if order.on_hold:
        raise Conflict(_("The order is on hold: do not ship it."), field="parcel")
    units = list(ShipmentLine.objects.filter(shipment=shipment).values_list("sku_id", "quantity"))
    ship_units(
        reference=shipment.reference, warehouse=shipment.warehouse_id, units=units,
        parcel=shipment.number, actor=actor,
    )  # fmt: skip
    assign_waybill(shipment=shipment)
    shipment.shipped_at = at
    shipment.promised_by = promised_date(today, shipment.promised_days)
    move_shipment(
        shipment=shipment, to=S.SHIPPED, actor=actor, reason=REASON_SHIPPED,
        update_fields=["shipped_at", "promised_by"],
    )  # fmt: skip
    if order.status in (O.PICKING, O.PACKED):
        transition(order=order, to=O.SHIPPED, actor=actor, reason=REASON_SHIPPED)
    if (
        shipment.wave_id
        and not Shipment.objects.filter(
            wave_id=shipment.wave_id, status__in=(S.PICKING, S.PACKED)
        ).exists()
    ):
        Wave.objects.filter(pk=shipment.wave_id).update(status=Wave.Status.DONE)


def ship_parcels(*, actor, shipment_ids, handed_over_at=None) -> int:
    """Hand packed parcels to the carrier, each in its own transaction (one that fails
    leaves the others shipped); stock leaves through inventory.reservations.ship_units.
    Returns how many shipped; raises the first refusal when none did.

    `handed_over_at`: when the courier took them, if not now (a handover recorded later
    from the carrier's pickup sheet, or the demo's history); at most 60 days ago, never
    in the future. The promised day counts from it."""
    require_perm(actor, "fulfillment.ship_parcel")
    now = timezone.now()
    if handed_over_at is not None and not (
        now - timedelta(days=60) <= handed_over_at <= now + timedelta(minutes=5)
    ):
        raise ValidationFailed(
            {"handed_over_at": [_("Enter a time within the last 60 days, not in the future.")]}
        )
    handed_over_at = handed_over_at or now
    today = timezone.localtime(handed_over_at).date()
    shipped, first_error = 0, None
    for pk in sorted(set(shipment_ids)):
        try:
            with transaction.atomic():
                shipment = Shipment.objects.select_for_update().filter(pk=pk).first()
                if shipment is None:
                    raise NotFound(_("No such parcel."), field="parcel")
                _ship_one(shipment, actor=actor, today=today, at=handed_over_at)
            shipped += 1
        except Conflict as exc:
            first_error = first_error or exc
        except NotFound as exc:
            first_error = first_error or exc
    if not shipped and first_error:
        raise first_error
    return shipped


@transaction.atomic
def receive_refused_parcel(*, actor, shipment_id: int) -> Shipment:
    """A refused parcel is back in its warehouse: its goods go into stock again (a RETURN
    ledger row per SKU, noted with the parcel), the parcel is returned."""
    require_perm(actor, "fulfillment.ship_parcel")
    shipment = Shipment.objects.select_for_update().filter(pk=shipment_id).first()
    if shipment is None:
        raise NotFound(_("No such parcel."), field="parcel")
    if shipment.status != S.REFUSED:
        raise Conflict(_("Only a refused parcel can be received back."), field="parcel")
    for sku_id, quantity in (
        ShipmentLine.objects.filter(shipment=shipment)
        .order_by("sku_id")
        .values_list("sku_id", "quantity")
    ):
        receive_returned_goods(
            actor=actor, sku_id=sku_id, warehouse_id=shipment.warehouse_id, quantity=quantity,
            reference=shipment.number, note=REASON_RETURNED,
        )  # fmt: skip
    move_shipment(shipment=shipment, to=S.RETURNED, actor=actor, reason=REASON_RETURNED)
    sync_order(order_id=shipment.order_id, actor=actor)
    return shipment


@transaction.atomic
def split_parcel(*, actor, shipment_id: int, lines) -> Shipment:
    """Move units [(shipment line id, quantity)] of a parcel not yet picked into a new
    parcel of the same order and warehouse, shipped on its own (拆单). Needs
    orders.hold_order (customer service and order processing)."""
    require_perm(actor, "orders.hold_order")
    shipment = Shipment.objects.select_for_update().filter(pk=shipment_id).first()
    if shipment is None:
        raise NotFound(_("No such parcel."), field="parcel")
    if shipment.status != S.ALLOCATED:
        raise Conflict(_("Only a parcel not yet in a wave can be split."), field="parcel")
    own = {
        line.pk: line for line in ShipmentLine.objects.select_for_update().filter(shipment=shipment)
    }
    moves = []
    for i, (line_id, quantity) in enumerate(lines):
        line = own.get(line_id)
        if line is None:
            raise ValidationFailed({f"lines.{i}": [_("Not a line of this parcel.")]})
        if (
            isinstance(quantity, bool)
            or not isinstance(quantity, int)
            or not 0 < quantity <= line.quantity
        ):
            raise ValidationFailed(
                {f"lines.{i}.quantity": [_("Enter 1 to %(n)s.") % {"n": line.quantity}]}
            )
        moves.append((line, quantity))
    left = sum(line.quantity for line in own.values()) - sum(q for _l, q in moves)
    if not moves or left <= 0:
        raise ValidationFailed({"lines": [_("Leave at least one unit in the parcel.")]})
    count = Shipment.objects.filter(order_id=shipment.order_id).count()
    new = Shipment.objects.create(
        number=f"{shipment.number.rsplit('-', 1)[0]}-{count + 1}",
        order_id=shipment.order_id, kind=shipment.kind, reference=shipment.reference,
        warehouse_id=shipment.warehouse_id, province=shipment.province,
        carrier=shipment.carrier, carrier_fee=shipment.carrier_fee,
        promised_days=shipment.promised_days,
    )  # fmt: skip
    for line, quantity in moves:
        ShipmentLine.objects.create(
            shipment=new, order_line_id=line.order_line_id, sku_id=line.sku_id, quantity=quantity
        )
        if quantity == line.quantity:
            line.delete()
        else:
            line.quantity -= quantity
            line.save(update_fields=["quantity"])
    ShipmentEvent.objects.create(
        shipment=new, from_status="", to_status=S.ALLOCATED, actor=actor, reason=REASON_SPLIT
    )
    order = Order.objects.select_for_update().get(pk=shipment.order_id)
    record_event(
        order=order, kind=EventKind.SPLIT, actor=actor, reason=REASON_SPLIT,
        data={"from": shipment.number, "to": new.number},
    )  # fmt: skip
    return new

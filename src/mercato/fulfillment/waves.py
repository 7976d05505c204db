"""Picking waves (波次): allocated parcels of one warehouse and carrier up to a cut-off time,
picked together from one list sorted by bin (货位)."""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mercato.catalog.bulk import any_of, insert_objects
from mercato.core.errors import Conflict, NotFound, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.inventory.models import Stock
from mercato.orders.models import Order, OrderStatus
from mercato.orders.status import bulk_transition_rows

from .models import Shipment, ShipmentEvent, ShipmentLine, ShipmentStatus, Wave

REASON_WAVE = gettext_noop("Added to a picking wave")
REASON_WAVE_CANCELLED = gettext_noop("Picking wave cancelled")
MAX_WAVE = 500


@dataclass
class WaveSummary:
    waves: list[Wave] = field(default_factory=list)

    @property
    def parcels(self) -> int:
        return sum(w.parcel_count for w in self.waves)


ORDER_CHUNK = 5000  # ids per statement: a backlog of 100,000 parcels exceeds PostgreSQL's
# 65,535 parameters in one IN list (found by bench/orders_bench.py)


def _move_orders(order_ids, to: str, *, actor, reason: str, frm) -> None:
    ids = sorted(order_ids)
    for start in range(0, len(ids), ORDER_CHUNK):
        # The status is checked here, not in SQL: with it in the WHERE clause PostgreSQL
        # chose the status index (its statistics knew few orders in that status) and
        # compared every row with the 5,000 ids, 0.25 s a chunk (bench/orders_bench.py).
        rows = [
            (pk, status)
            for pk, status in Order.objects.select_for_update()
            .filter(any_of("pk", ids[start : start + ORDER_CHUNK]))
            .order_by("pk")
            .values_list("id", "status")
            if status in frm
        ]
        bulk_transition_rows(rows=rows, to=to, actor=actor, reason=reason)


def waiting_parcels(*, warehouse_id=None, carrier_id=None, cutoff=None):
    """The parcels create_waves would take: allocated up to `cutoff` (now), with a
    carrier, of orders not on hold (of a warehouse, of a carrier, when given)."""
    queryset = Shipment.objects.filter(
        status=ShipmentStatus.ALLOCATED,
        created_at__lte=cutoff or timezone.now(),
        carrier__isnull=False,
        order__on_hold=False,
    )
    if warehouse_id:
        queryset = queryset.filter(warehouse_id=warehouse_id)
    if carrier_id:
        queryset = queryset.filter(carrier_id=carrier_id)
    return queryset


def create_waves(
    *,
    actor,
    warehouse_id: int | None = None,
    carrier_id: int | None = None,
    cutoff=None,
    max_parcels: int = MAX_WAVE,
    check_perm: bool = True,
    limit: int | None = None,
) -> WaveSummary:
    """Put every allocated parcel (of a warehouse, of a carrier, when given) allocated up to
    `cutoff` (now) into waves: one wave per warehouse and carrier, at most `max_parcels`
    each. Parcels of held orders and parcels without a carrier wait. The orders move to
    picking. Parcels are taken with SKIP LOCKED: two staff creating waves at once never
    put a parcel in two waves. actor None: the scheduled job. `limit`: take at most this
    many parcels, the oldest (a background job creates the waves of a large backlog a
    few at a time, each in its own transaction, to show its progress)."""
    if check_perm and actor is not None:
        require_perm(actor, "fulfillment.manage_waves")
    if not 1 <= max_parcels <= 5000:
        raise ValidationFailed({"max_parcels": [_("A wave holds 1 to 5000 parcels.")]})
    cutoff = cutoff or timezone.now()
    summary = WaveSummary()
    with transaction.atomic():
        queryset = waiting_parcels(
            warehouse_id=warehouse_id, carrier_id=carrier_id, cutoff=cutoff
        ).select_for_update(skip_locked=True, of=("self",))
        rows = list(
            queryset.order_by("pk").values_list("pk", "order_id", "warehouse_id", "carrier_id")[
                :limit
            ]
        )
        groups = defaultdict(list)
        for pk, order_id, warehouse, carrier in rows:
            groups[(warehouse, carrier)].append((pk, order_id))
        today = timezone.localdate()
        events, order_ids = [], set()
        actor_id = actor.pk if actor is not None else None
        for (warehouse, carrier), members in sorted(groups.items()):
            for start in range(0, len(members), max_parcels):
                chunk = members[start : start + max_parcels]
                wave = Wave.objects.create(
                    number=f"t{uuid.uuid4().hex[:20]}",  # renamed from its id below
                    warehouse_id=warehouse,
                    carrier_id=carrier,
                    cutoff=cutoff,
                    parcel_count=len(chunk),
                    created_by=actor,
                )
                wave.number = f"W{today:%Y%m%d}-{wave.pk:06d}"
                Wave.objects.filter(pk=wave.pk).update(number=wave.number)
                ids = [pk for pk, _o in chunk]
                Shipment.objects.filter(any_of("pk", ids)).update(
                    wave=wave, status=ShipmentStatus.PICKING
                )
                events += [
                    {"shipment_id": pk, "from_status": ShipmentStatus.ALLOCATED,
                     "to_status": ShipmentStatus.PICKING, "actor_id": actor_id,
                     "reason": REASON_WAVE}
                    for pk in ids
                ]  # fmt: skip
                order_ids.update(o for _pk, o in chunk)
                summary.waves.append(wave)
        insert_objects(ShipmentEvent, events)  # COPY: see orders.status.bulk_transition
        _move_orders(
            order_ids, OrderStatus.PICKING, actor=actor, reason=REASON_WAVE,
            frm=(OrderStatus.ALLOCATED,),
        )  # fmt: skip
    return summary


@transaction.atomic
def cancel_wave(*, actor, wave_id: int) -> Wave:
    """Take a wave apart before packing: its parcels go back to allocated (and their
    orders, unless another parcel of theirs is being picked)."""
    require_perm(actor, "fulfillment.manage_waves")
    wave = Wave.objects.select_for_update().filter(pk=wave_id).first()
    if wave is None:
        raise NotFound(_("No such wave."), field="wave")
    if wave.status != Wave.Status.OPEN:
        raise Conflict(_("Only an open wave can be cancelled."), field="wave")
    parcels = list(Shipment.objects.select_for_update().filter(wave=wave).order_by("pk"))
    if any(p.status not in (ShipmentStatus.PICKING, ShipmentStatus.CANCELLED) for p in parcels):
        raise Conflict(_("Parcels of this wave are packed already."), field="wave")
    picking = [p for p in parcels if p.status == ShipmentStatus.PICKING]
    Shipment.objects.filter(pk__in=[p.pk for p in picking]).update(
        wave=None, status=ShipmentStatus.ALLOCATED
    )
    ShipmentEvent.objects.bulk_create(
        ShipmentEvent(
            shipment_id=p.pk, from_status=ShipmentStatus.PICKING,
            to_status=ShipmentStatus.ALLOCATED, actor=actor, reason=REASON_WAVE_CANCELLED,
        )
        for p in picking
    )  # fmt: skip
    still_picking = set(
        Shipment.objects.filter(
            order_id__in={p.order_id for p in picking}, status=ShipmentStatus.PICKING
        ).values_list("order_id", flat=True)
    )
    _move_orders(
        {p.order_id for p in picking} - still_picking, OrderStatus.ALLOCATED, actor=actor,
        reason=REASON_WAVE_CANCELLED, frm=(OrderStatus.PICKING,),
    )  # fmt: skip
    wave.status = Wave.Status.CANCELLED
    wave.save(update_fields=["status"])
    return wave


@dataclass(frozen=True)
class PickRow:
    bin: str  # "" when the SKU has no bin in this warehouse
    zone: str
    sku_id: int
    sku_code: str
    barcode: str
    name: str
    specs: str
    quantity: int
    parcels: list[tuple[str, int]]  # (parcel number, units) to sort into after picking


def pick_list(*, wave: Wave) -> list[PickRow]:
    """What to pick for a wave, one row per SKU, in walking order: by the bins' walk
    order, then bin code; SKUs without a bin last. Three queries."""
    lines = list(
        ShipmentLine.objects.filter(
            shipment__wave=wave, shipment__status__in=(ShipmentStatus.PICKING,)
        )
        .annotate(parcel=F("shipment__number"))
        .select_related("sku__product")
        .order_by("shipment_id", "id")
    )
    bins = {
        sku_id: (code or "", zone or "", order or 0)
        for sku_id, code, zone, order in Stock.objects.filter(
            warehouse_id=wave.warehouse_id, sku_id__in={ln.sku_id for ln in lines}
        ).values_list("sku_id", "bin__code", "bin__zone__code", "bin__walk_order")
    }
    rows: dict[int, dict] = {}
    for line in lines:
        row = rows.setdefault(
            line.sku_id,
            {"sku": line.sku, "quantity": 0, "parcels": []},
        )
        row["quantity"] += line.quantity
        row["parcels"].append((line.parcel, line.quantity))
    result = []
    for sku_id, row in rows.items():
        code, zone, order = bins.get(sku_id, ("", "", 0))
        sku = row["sku"]
        result.append(
            (
                (not code, order, code, sku.code),
                PickRow(
                    bin=code, zone=zone, sku_id=sku_id, sku_code=sku.code, barcode=sku.barcode,
                    name=sku.product.name, specs=" ".join(str(v) for v in sku.specs.values()),
                    quantity=row["quantity"], parcels=row["parcels"],
                ),
            )
        )  # fmt: skip
    return [row for _key, row in sorted(result, key=lambda pair: pair[0])]

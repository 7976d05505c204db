"""Allocation: an approved order's reservations (made at placement, one row per SKU and
warehouse) become its parcels — one Shipment per warehouse with its lines, a carrier
chosen by the rules, the promised days and the cash to collect. A scheduled job runs it in
batches (SKIP LOCKED); the order moves to allocated.

An approved order without reserved stock (placed before stock tracking, or released by
hand) cannot become a parcel: it is put on hold with the reason, for a person to look at.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from mercato.catalog.bulk import any_of, insert_objects
from mercato.catalog.models import Sku
from mercato.inventory.models import Reservation
from mercato.orders.models import EventKind, Order, OrderLine, OrderStatus
from mercato.orders.services import COD
from mercato.orders.status import bulk_transition

from .carriers import CarrierBook
from .models import Shipment, ShipmentEvent, ShipmentLine, ShipmentStatus

REASON_ALLOCATED = gettext_noop("Parcels allocated")
REASON_NO_STOCK = gettext_noop("No reserved stock to allocate")
FIELDS = ("id", "number", "status", "province", "payment_method", "total", "carrier_choice")


@dataclass(frozen=True)
class AllocationBatch:
    orders: int
    parcels: int
    held: int


def _parcels_for(order, reservations, lines_by_sku, weights, book):
    """The rows of one order's parcels, one per warehouse (by warehouse id): (shipment
    fields, [line fields]) as dicts for insert_objects (model instances cost more Python
    time than the database took to write them)."""
    by_warehouse = defaultdict(list)
    for sku_id, warehouse_id, quantity in reservations:
        by_warehouse[warehouse_id].append((sku_id, quantity))
    cod = order.payment_method == COD
    parcels = []
    for n, (warehouse_id, units) in enumerate(sorted(by_warehouse.items()), start=1):
        weight = sum(weights.get(sku_id, 0) * qty for sku_id, qty in units)
        choice = book.choose(
            warehouse_id=warehouse_id,
            province=order.province,
            weight_g=weight,
            cod=cod,
            customer_choice=order.carrier_choice,
        )
        shipment = {
            "number": f"{order.number}-{n}",
            "order_id": order.pk,
            "reference": order.number,
            "warehouse_id": warehouse_id,
            "province": order.province,
            "status": ShipmentStatus.ALLOCATED,
            "carrier_id": choice.carrier.pk if choice else None,
            "carrier_fee": choice.fee if choice else Decimal("0.00"),
            "promised_days": choice.days if choice else None,
            # The courier collects the whole order's total with its first parcel.
            "cod_amount": order.total if cod and n == 1 else Decimal("0.00"),
            "weight_g": weight or None,
        }
        lines = [
            {"sku_id": sku_id, "quantity": qty,
             "order_line_id": lines_by_sku.get((order.pk, sku_id))}
            for sku_id, qty in units
        ]  # fmt: skip
        parcels.append((shipment, lines))
    return parcels


def allocate_approved_orders(*, batch_size: int = 1000, now=None) -> AllocationBatch:
    """Allocate up to `batch_size` approved orders (oldest first) in one transaction."""
    now = now or timezone.now()
    with transaction.atomic():
        orders = list(
            Order.objects.select_for_update(skip_locked=True)
            .filter(status=OrderStatus.APPROVED, on_hold=False)
            .order_by("pk")
            .only(*FIELDS)[:batch_size]
        )
        if not orders:
            return AllocationBatch(0, 0, 0)
        numbers = {o.number: o for o in orders}
        reserved = defaultdict(list)
        for reference, sku_id, warehouse_id, quantity, shipped in Reservation.objects.filter(
            any_of("reference", numbers), status=Reservation.Status.ACTIVE
        ).values_list("reference", "sku_id", "warehouse_id", "quantity", "shipped"):
            if quantity > shipped:
                reserved[reference].append((sku_id, warehouse_id, quantity - shipped))
        lines_by_sku = {}
        for pk, order_id, sku_id in OrderLine.objects.filter(
            any_of("order_id", [o.pk for o in orders])
        ).values_list("pk", "order_id", "sku_id"):
            lines_by_sku.setdefault((order_id, sku_id), pk)
        sku_ids = {sku for rows in reserved.values() for sku, _w, _q in rows}
        weights = dict(Sku.objects.filter(any_of("pk", sku_ids)).values_list("pk", "weight_g"))
        book = CarrierBook.load()

        ready, stuck, parcels = [], [], []
        for order in orders:
            rows = reserved.get(order.number)
            if not rows:
                stuck.append(order)
                continue
            ready.append(order)
            parcels += _parcels_for(order, rows, lines_by_sku, weights, book)

        # COPY, not bulk_create: its per-value preparation was most of this job's Python
        # time (bench/orders_bench.py); the parcels' ids come back by their unique numbers.
        insert_objects(Shipment, [shipment for shipment, _lines in parcels])
        ids = dict(
            Shipment.objects.filter(any_of("number", [s["number"] for s, _l in parcels]))
            .values_list("number", "pk")
        ) if parcels else {}  # fmt: skip
        insert_objects(
            ShipmentLine,
            [
                {**line, "shipment_id": ids[shipment["number"]]}
                for shipment, lines in parcels
                for line in lines
            ],
        )
        insert_objects(
            ShipmentEvent,
            [
                {"shipment_id": ids[s["number"]], "from_status": "",
                 "to_status": ShipmentStatus.ALLOCATED, "actor_id": None,
                 "reason": REASON_ALLOCATED}
                for s, _lines in parcels
            ],
        )  # fmt: skip
        bulk_transition(orders=ready, to=OrderStatus.ALLOCATED, actor=None, reason=REASON_ALLOCATED)
        if stuck:
            _hold(stuck)
    return AllocationBatch(orders=len(ready), parcels=len(parcels), held=len(stuck))


def _hold(orders: list[Order]) -> None:
    from mercato.orders.models import OrderEvent

    Order.objects.filter(pk__in=[o.pk for o in orders]).update(
        on_hold=True, hold_reason=REASON_NO_STOCK, updated_at=timezone.now()
    )
    OrderEvent.objects.bulk_create(
        OrderEvent(
            order_id=o.pk, from_status=o.status, to_status=o.status, kind=EventKind.HOLD,
            reason=REASON_NO_STOCK,
        )
        for o in orders
    )  # fmt: skip


def allocate_all(*, batch_size: int = 1000, max_batches: int = 1000) -> int:
    """Batches until no approved order waits (the scheduled job)."""
    done = 0
    for _batch in range(max_batches):
        batch = allocate_approved_orders(batch_size=batch_size)
        done += batch.orders + batch.held
        if batch.orders + batch.held < batch_size:
            break
    return done

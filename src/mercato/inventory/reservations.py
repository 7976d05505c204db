"""Stock held for orders: reserve at placement, release on cancel or expiry, deduct on shipment.

An order is known here only by its `reference` (the order number), so orders can call
these services without inventory importing orders. Every change goes through
inventory.services (apply_movements, or placement's stock step, inventory.stockstep: a
ledger row with the reference each time); rows are locked in
primary-key order (reservations first, then stock), so two calls never deadlock.
"""

from functools import reduce
from operator import or_

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mercato.core.errors import Conflict, NotFound, ValidationFailed
from mercato.core.versioned import UNREAD

from .allocation import (
    SNAPSHOT_FIELDS,
    OutOfStock,
    Parcel,
    StockSnapshot,
    check_province,
    load_warehouses,
    merge_lines,
    plan_allocation,
    sku_labels,
    stock_snapshot,
)
from .models import Reservation, Stock, StockMovement
from .services import apply_movements
from .stockstep import PlanOutdated, stock_step

__all__ = [
    "OutOfStock",
    "Parcel",
    "PlanOutdated",
    "deduct_on_shipment",
    "release_reservation",
    "release_reservations",
    "reserve_stock",
    "reserve_stock_for_new_reference",
    "ship_units",
]

Reason = StockMovement.Reason
Status = Reservation.Status


def _reference(value) -> str:
    reference = str(value or "").strip()
    if not reference or len(reference) > 60:
        raise ValidationFailed({"reference": [_("Give a reference of 1 to 60 characters")]})
    return reference


def _lock_stocks(pairs) -> dict[tuple[int, int], Stock]:
    """Lock the Stock rows of these (sku_id, warehouse_id) pairs, in primary-key order."""
    pairs = sorted(set(pairs))
    return _locked_stock_rows(_any_of_pairs(pairs))


def _any_of_pairs(pairs) -> Q:
    """Stock rows of any of these (sku_id, warehouse_id) pairs."""
    return reduce(
        or_, (Q(sku_id=sku_id, warehouse_id=warehouse_id) for sku_id, warehouse_id in pairs)
    )


def _locked_stock_rows(where: Q) -> dict[tuple[int, int], Stock]:
    """Stock rows by (sku_id, warehouse_id), locked in primary-key order."""
    rows = Stock.objects.select_for_update().filter(where).order_by("pk")
    return {(s.sku_id, s.warehouse_id): s for s in rows.only(*SNAPSHOT_FIELDS)}


class _PlanOutdated(Exception):
    """The rows a snapshot plan chose no longer hold its units (another buyer took them)."""


def _candidates(wanted: dict[int, int], warehouses) -> tuple[list[int], list[int]]:
    """The stock rows that could fill `wanted`: its SKUs in the active warehouses."""
    return list(wanted), [w.id for w in warehouses]


def _plan_on_locked_rows(wanted: dict[int, int], *, province: str, warehouses, lock_all=False):
    """(parcels, locked Stock rows by (sku_id, warehouse_id)) for the `wanted` units.

    Two ways, both locking rows in primary-key order (so no two buyers deadlock):
    1. plan on an unlocked snapshot, then lock only the rows that plan uses and check they
       still hold its units: three rows for a 3-line order instead of every warehouse's,
       so buyers of the same SKUs in other warehouses do not wait for each other;
    2. when that check fails, or the snapshot looks short, give those locks back (the
       savepoint's rollback releases them) and lock every candidate row, then plan on
       what the locks show; no other buyer can change it meanwhile.
    `lock_all` goes straight to the second way.
    """
    sku_ids, warehouse_ids = _candidates(wanted, warehouses)
    try:
        if lock_all:
            raise _PlanOutdated
        snapshot = stock_snapshot(sku_ids, warehouse_ids)
        parcels = plan_allocation(
            lines=wanted.items(),
            province=province,
            warehouses=warehouses,
            available={key: free for key, (_pk, free) in snapshot.items()},
        )
        planned = [
            snapshot[(sku_id, parcel.warehouse.id)][0]
            for parcel in parcels
            for sku_id, _q in parcel.lines
        ]
        with transaction.atomic():
            stocks = _locked_stock_rows(Q(pk__in=planned))
            for parcel in parcels:
                for sku_id, quantity in parcel.lines:
                    row = stocks.get((sku_id, parcel.warehouse.id))
                    if row is None or row.available < quantity:
                        raise _PlanOutdated
        return parcels, stocks
    except (OutOfStock, _PlanOutdated):
        pass
    stocks = _locked_stock_rows(Q(sku_id__in=sku_ids, warehouse_id__in=warehouse_ids))
    available = {key: s.available for key, s in stocks.items()}
    try:
        parcels = plan_allocation(
            lines=wanted.items(), province=province, warehouses=warehouses, available=available
        )
    except OutOfStock as exc:
        raise OutOfStock(sku_ids=exc.sku_ids, labels=sku_labels(exc.sku_ids)) from None
    return parcels, stocks


def _already_reserved(reference: str) -> Conflict:
    return Conflict(
        _("Stock is already reserved for %(ref)s") % {"ref": reference},
        field="reference",
        code="already_reserved",
    )


@transaction.atomic
def reserve_stock(*, lines, province: str, reference: str, actor=None) -> list[Reservation]:
    """Hold the units of `lines` [(sku_id, qty)] for `reference`, delivered to `province`.

    Plans on locked stock (allocation rule: nearest single warehouse, else fewest parcels;
    _plan_on_locked_rows says which rows are locked) and returns one Reservation per
    (SKU, warehouse). Raises OutOfStock naming the SKUs short, and Conflict when the
    reference already holds a reservation; either way nothing is written.
    """
    reference = _reference(reference)
    if Reservation.objects.filter(reference=reference).exists():
        raise _already_reserved(reference)
    request = {"lines": lines, "province": province, "reference": reference, "actor": actor}
    try:
        # A savepoint, so a rival with the same reference surfaces as Conflict, not as a
        # broken transaction; and so an outdated plan's locks can be given back.
        try:
            with transaction.atomic():
                return reserve_stock_for_new_reference(**request)
        except PlanOutdated:
            with transaction.atomic():
                return reserve_stock_for_new_reference(**request, lock_all=True)
    except IntegrityError:
        raise _already_reserved(reference) from None


def reserve_stock_for_new_reference(
    *,
    lines,
    province: str,
    reference: str,
    actor=None,
    lock_all: bool = False,
    snapshot: StockSnapshot | None = None,
    warehouses_version=UNREAD,
) -> list[Reservation]:
    """reserve_stock inside the caller's transaction, for a reference that cannot hold a
    reservation yet (checkout's placement: a new order number). No look-up of the
    reference and no savepoint of its own; on any error the caller rolls everything back.

    Unless `lock_all`: the snapshot to plan on, then the stock step (inventory.stockstep),
    which locks the planned rows in primary-key order, reserves the units where they are
    still free and writes ledger rows and reservations (one statement on PostgreSQL).
    When a row no longer holds its units, PlanOutdated: roll back, then call again with
    lock_all=True, which locks every candidate row (in primary-key order) and plans on
    what it sees. `snapshot`: what allocation.plan_with_snapshot read for these lines
    earlier in this transaction (checkout's gift check): the first plan is made on it
    instead of reading the stock again; the stock step's locked check decides as always.
    `warehouses_version`: as allocation.load_warehouses takes it (checkout reads it).
    """
    reference = _reference(reference)
    wanted = merge_lines(lines)
    province = check_province(province)
    # The gift check's snapshot carries the warehouses it was read for: no second read.
    warehouses = (
        list(snapshot.warehouses)
        if snapshot is not None
        else load_warehouses(version=warehouses_version)
    )
    if not lock_all:
        candidates = _candidates(wanted, warehouses)
        if snapshot is not None and snapshot.covers(*candidates):
            rows = snapshot.rows
        else:
            rows = stock_snapshot(*candidates)
        try:
            parcels = plan_allocation(
                lines=wanted.items(),
                province=province,
                warehouses=warehouses,
                available={key: free for key, (_pk, free) in rows.items()},
            )
        except OutOfStock:
            parcels = None  # perhaps only on the snapshot: decide on locked rows below
        if parcels is not None:
            planned = [
                (rows[(sku_id, parcel.warehouse.id)][0], sku_id, parcel.warehouse.id, qty)
                for parcel in parcels
                for sku_id, qty in parcel.lines
            ]
            return stock_step().reserve_as_planned(planned, reference=reference, actor=actor)
    parcels, stocks = _plan_on_locked_rows(
        wanted, province=province, warehouses=warehouses, lock_all=lock_all
    )

    reservations, changes = [], []
    for parcel in parcels:
        for sku_id, quantity in parcel.lines:
            changes.append(
                {
                    "stock": stocks[(sku_id, parcel.warehouse.id)],
                    "reason": Reason.RESERVATION,
                    "actor": actor,
                    "reserved_delta": quantity,
                    "reference": reference,
                }
            )
            reservations.append(
                Reservation(
                    reference=reference,
                    sku_id=sku_id,
                    warehouse_id=parcel.warehouse.id,
                    quantity=quantity,
                )
            )
    # Stock rows, ledger rows and reservations: one round trip on PostgreSQL.
    apply_movements(changes, also_insert=reservations)
    return reservations


def _settle(*, reference: str, warehouse, to: str, reason: str, note: str, actor):
    """Move the active reservations of `reference` (one warehouse's, if given) to `to`."""
    rows = Reservation.objects.select_for_update().filter(reference=reference).order_by("pk")
    if warehouse is not None:
        rows = rows.filter(warehouse_id=getattr(warehouse, "pk", warehouse))
    rows = list(rows)
    if not rows and to == Status.SHIPPED:
        raise NotFound(_("No reservation for %(ref)s") % {"ref": reference})
    other = Status.SHIPPED if to == Status.RELEASED else Status.RELEASED
    active = [r for r in rows if r.status == Status.ACTIVE]
    if not active:
        if any(r.status == other for r in rows):
            # Shipping a cancelled order's goods, or cancelling shipped goods: the caller
            # must hear it, not get a silent success.
            raise Conflict(
                _("The reservation for %(ref)s was already %(status)s")
                % {"ref": reference, "status": Status(other).label},
                field="reference",
                code=f"already_{other}",
            )
        return []  # settled before: nothing to do twice
    stocks = _lock_stocks((r.sku_id, r.warehouse_id) for r in active)
    shipping = to == Status.SHIPPED
    # Units a split parcel shipped before (r.shipped) left already: only the rest moves.
    apply_movements(
        [
            {
                "stock": stocks[(r.sku_id, r.warehouse_id)],
                "reason": reason,
                "actor": actor,
                "on_hand_delta": -(r.quantity - r.shipped) if shipping else 0,
                "reserved_delta": -(r.quantity - r.shipped),
                "reference": reference,
                "note": note,
            }
            for r in active
        ]
    )
    for r in active:
        r.status, r.note = to, note[:200]
        if shipping:
            r.shipped = r.quantity
    Reservation.objects.bulk_update(active, ["status", "shipped", "note", "updated_at"])
    return active


@transaction.atomic
def ship_units(*, reference: str, warehouse, units, parcel: str, actor=None) -> list[Reservation]:
    """One parcel of `reference` leaves `warehouse` with `units` [(sku_id, quantity)]: on
    hand and reserved fall by those units (a SHIPMENT ledger row each, noted with the
    parcel's number), and each reservation counts them as shipped; a reservation whose
    units have all left is shipped. The other parcels' units stay held.

    Conflict, with nothing written, when a SKU has fewer units still held than asked
    (shipped before, released, or never reserved there)."""
    reference = _reference(reference)
    wanted = merge_lines(units)
    warehouse_id = getattr(warehouse, "pk", warehouse)
    rows = {
        r.sku_id: r
        for r in Reservation.objects.select_for_update()
        .filter(reference=reference, warehouse_id=warehouse_id, status=Status.ACTIVE)
        .order_by("pk")
    }
    for sku_id, quantity in wanted.items():
        row = rows.get(sku_id)
        if row is None or row.quantity - row.shipped < quantity:
            raise Conflict(
                _("%(ref)s holds fewer units of SKU %(sku)s than the parcel ships")
                % {"ref": reference, "sku": sku_id},
                field="units",
                code="not_reserved",
            )
    stocks = _lock_stocks((sku_id, warehouse_id) for sku_id in wanted)
    apply_movements(
        [
            {
                "stock": stocks[(sku_id, warehouse_id)],
                "reason": Reason.SHIPMENT,
                "actor": actor,
                "on_hand_delta": -quantity,
                "reserved_delta": -quantity,
                "reference": reference,
                "note": parcel,
            }
            for sku_id, quantity in sorted(wanted.items())
        ]
    )
    changed = []
    for sku_id, quantity in wanted.items():
        row = rows[sku_id]
        row.shipped += quantity
        if row.shipped == row.quantity:
            row.status = Status.SHIPPED
        changed.append(row)
    Reservation.objects.bulk_update(changed, ["shipped", "status", "updated_at"])
    return changed


@transaction.atomic
def release_reservation(*, reference: str, reason: str, actor=None) -> list[Reservation]:
    """Give back the units held for `reference` (order cancelled or expired).

    Idempotent: returns the reservations released by this call, [] when there was
    nothing left to release (or no reservation at all). Conflict if already shipped.
    """
    reference = _reference(reference)
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("Say why the reservation is released")]})
    return _settle(
        reference=reference,
        warehouse=None,
        to=Status.RELEASED,
        reason=Reason.RELEASE,
        note=reason,
        actor=actor,
    )


@transaction.atomic
def release_reservations(*, references, reason: str, actor=None) -> list[Reservation]:
    """release_reservation for many references at once (the expiry sweep's batches): the
    reservations locked in primary-key order, each stock row locked once, one ledger row
    per reservation naming its own reference, one UPDATE of the stock rows. Idempotent;
    Conflict if one of them had only shipped reservations left."""
    references = sorted({_reference(reference) for reference in references})
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("Say why the reservation is released")]})
    if not references:
        return []
    rows = list(
        Reservation.objects.select_for_update().filter(reference__in=references).order_by("pk")
    )
    active = [r for r in rows if r.status == Status.ACTIVE]
    settled = {r.reference for r in rows} - {r.reference for r in active}
    if any(r.status == Status.SHIPPED for r in rows if r.reference in settled):
        raise Conflict(
            _("The reservation for %(ref)s was already %(status)s")
            % {"ref": sorted(settled)[0], "status": Status.SHIPPED.label},
            field="reference",
            code="already_shipped",
        )
    if not active:
        return []
    stocks = _lock_stocks((r.sku_id, r.warehouse_id) for r in active)
    apply_movements(
        [
            {
                "stock": stocks[(r.sku_id, r.warehouse_id)],
                "reason": Reason.RELEASE,
                "actor": actor,
                # Units a split parcel shipped before left already: only the rest is held.
                "reserved_delta": -(r.quantity - r.shipped),
                "reference": r.reference,
                "note": reason,
            }
            for r in active
        ]
    )
    # One plain UPDATE: every row gets the same status and note.
    Reservation.objects.filter(pk__in=[r.pk for r in active]).update(
        status=Status.RELEASED, note=reason[:200], updated_at=timezone.now()
    )
    for r in active:
        r.status, r.note = Status.RELEASED, reason[:200]
    return active


@transaction.atomic
def deduct_on_shipment(*, reference: str, warehouse=None, actor=None) -> list[Reservation]:
    """The held units leave the warehouse: on_hand and reserved both fall by the quantity.

    `warehouse` (a Warehouse or its id) ships one parcel of a split order. Idempotent:
    returns the reservations shipped by this call, [] when they had shipped before.
    NotFound when `reference` holds nothing (in that warehouse); Conflict if it was released.
    """
    return _settle(
        reference=_reference(reference),
        warehouse=warehouse,
        to=Status.SHIPPED,
        reason=Reason.SHIPMENT,
        note="",
        actor=actor,
    )

"""Warehouses, stock and the stock ledger. Reservations build on these (issue 5).

Stock changes only here: each inside a transaction, rows locked in primary-key order,
and every change writes a StockMovement row with the before and after figures.
"""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from mercato.catalog.models import Sku
from mercato.catalog.signals import sku_availability_changed
from mercato.core.audit import acting_as
from mercato.core.db import execute_together, insert_statement
from mercato.core.errors import Conflict, NotFound, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.core.regions import mainland_provinces

from .allocation import forget_warehouses
from .models import Stock, StockMovement, Warehouse, WarehouseProvince

WAREHOUSE_FIELDS = {"name", "province", "city", "district", "address", "contact", "phone"}


def _clean_provinces(provinces) -> list[str]:
    cleaned = list(dict.fromkeys(str(p).strip() for p in provinces or []))
    unknown = [p for p in cleaned if p not in mainland_provinces()]
    if unknown:
        raise ValidationFailed(
            {"provinces": [f"Unknown province (use the full name, e.g. 四川省): {unknown[0]}"]}
        )
    return cleaned


@transaction.atomic
def create_warehouse(
    *, actor, code: str, name: str, provinces, priority: int = 100, **fields
) -> Warehouse:
    """A warehouse and the provinces it serves (actor None: system set-up, e.g. demo data)."""
    if actor is not None:
        require_perm(actor, "inventory.add_warehouse")
    unknown = set(fields) - WAREHOUSE_FIELDS
    if unknown:
        raise ValidationFailed({f: ["Unknown field"] for f in sorted(unknown)})
    served = _clean_provinces(provinces)
    if fields.get("province") and fields["province"] not in mainland_provinces():
        raise ValidationFailed({"province": [f"Unknown province: {fields['province']}"]})
    if Warehouse.objects.filter(code=code).exists():
        raise ValidationFailed({"code": ["A warehouse with this code exists"]})
    with acting_as(actor):
        warehouse = Warehouse(code=code, name=name, priority=priority, **fields)
        try:
            warehouse.full_clean()
        except ValidationError as exc:
            raise ValidationFailed(exc.message_dict) from exc
        warehouse.save()
        WarehouseProvince.objects.bulk_create(
            WarehouseProvince(warehouse=warehouse, province=p) for p in served
        )
    forget_warehouses()  # bulk_create sends no post_save
    return warehouse


@transaction.atomic
def set_served_provinces(*, actor, warehouse_id: int, provinces) -> Warehouse:
    """Replace the provinces a warehouse serves."""
    require_perm(actor, "inventory.change_warehouse")
    served = _clean_provinces(provinces)
    warehouse = Warehouse.objects.select_for_update().get(pk=warehouse_id)
    with acting_as(actor):
        WarehouseProvince.objects.filter(warehouse=warehouse).exclude(province__in=served).delete()
        have = set(warehouse.served.values_list("province", flat=True))
        WarehouseProvince.objects.bulk_create(
            WarehouseProvince(warehouse=warehouse, province=p) for p in served if p not in have
        )
    forget_warehouses()  # bulk_create and queryset delete send no per-row signals
    return warehouse


MAX_QUANTITY = 1_000_000


def _quantity(value, field: str = "quantity", *, allow_negative: bool = False) -> int:
    # int(1.5) would silently take 1 unit: only whole numbers, or their digits as text.
    number = None
    try:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and value.strip().lstrip("+-").isdigit():
            number = int(value)
        elif isinstance(value, float | Decimal) and value % 1 == 0:
            number = int(value)
    except ArithmeticError:  # Decimal("NaN") and the like
        pass
    if number is None:
        raise ValidationFailed({field: [_("Not a whole number: %(v)r") % {"v": value}]})
    if abs(number) > MAX_QUANTITY or (number <= 0 and not allow_negative) or number == 0:
        raise ValidationFailed(
            {field: [_("Enter a non-zero number of units up to %(n)s") % {"n": MAX_QUANTITY}]}
        )
    return number


def lock_stock(*, sku_id: int, warehouse_id: int) -> Stock:
    """The Stock row of (sku, warehouse), created at zero if missing, locked for update."""
    if not Sku.objects.filter(pk=sku_id).exists():
        raise NotFound(_("SKU not found"))
    if not Warehouse.objects.filter(pk=warehouse_id).exists():
        raise NotFound(_("Warehouse not found"))
    Stock.objects.get_or_create(sku_id=sku_id, warehouse_id=warehouse_id)
    return Stock.objects.select_for_update().get(sku_id=sku_id, warehouse_id=warehouse_id)


def _movement(
    *,
    stock: Stock,
    reason: str,
    actor=None,
    on_hand_delta: int = 0,
    reserved_delta: int = 0,
    reference: str = "",
    note: str = "",
) -> StockMovement:
    """The unsaved ledger row of one change, after checking it; `stock` is changed in memory.

    Refuses (Conflict, nothing written) what would break on_hand ≥ reserved ≥ 0, and
    (ValidationFailed) a movement that changes nothing.
    """
    if not on_hand_delta and not reserved_delta:
        raise ValidationFailed({"quantity": [_("A stock movement must change a quantity")]})
    on_hand = stock.on_hand + on_hand_delta
    reserved = stock.reserved + reserved_delta
    if reserved < 0:
        raise Conflict(
            _("Cannot release %(n)s units: only %(reserved)s reserved")
            % {"n": -reserved_delta, "reserved": stock.reserved},
            field="quantity",
            code="insufficient_reserved",
        )
    if on_hand < 0 or reserved > on_hand:
        raise Conflict(
            _("Not enough stock: %(available)s available, %(reserved)s reserved")
            % {"available": stock.available, "reserved": stock.reserved},
            field="quantity",
            code="insufficient_stock",
        )
    movement = StockMovement(
        stock=stock,
        reason=reason,
        on_hand_delta=on_hand_delta,
        reserved_delta=reserved_delta,
        on_hand_before=stock.on_hand,
        on_hand_after=on_hand,
        reserved_before=stock.reserved,
        reserved_after=reserved,
        reference=reference[:60],
        note=note[:200],
        actor=actor if getattr(actor, "pk", None) else None,
    )
    stock.on_hand, stock.reserved = on_hand, reserved
    return movement


def apply_movement(*, stock: Stock, **change) -> StockMovement:
    """Change a locked Stock row and write its ledger row. The caller holds the lock.

    `change` is reason, actor, on_hand_delta, reserved_delta, reference, note; see
    _movement for what is refused.
    """
    return apply_movements([{"stock": stock, **change}])[0]


def _stock_update(stocks: list[Stock], shipped: dict[int, int]) -> tuple[str, list]:
    """The UPDATE … FROM (VALUES …) saving on_hand and reserved of locked rows and adding
    `shipped` {stock id: units} to their recent_shipped, its names from the model's
    metadata.

    Written out because bulk_update's CASE WHEN per field cost more Python time than the
    rest of a reservation, and it runs in apply_movements' one round trip with the ledger
    rows (core.db.execute_together). The VALUES columns are column1… on PostgreSQL and
    SQLite alike.
    """
    now = timezone.now()
    for stock in stocks:
        stock.updated_at = now
    quote = connection.ops.quote_name
    table = quote(Stock._meta.db_table)
    column = {
        name: quote(Stock._meta.get_field(name).column)
        for name in ("id", "on_hand", "reserved", "updated_at", "recent_shipped")
    }
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(stocks))
    params = [
        value for s in stocks for value in (s.pk, s.on_hand, s.reserved, shipped.get(s.pk, 0))
    ]
    return (
        f"UPDATE {table} SET {column['on_hand']} = v.column2, "  # noqa: S608
        f"{column['reserved']} = v.column3, {column['updated_at']} = %s, "
        f"{column['recent_shipped']} = {table}.{column['recent_shipped']} + v.column4 "
        f"FROM (VALUES {rows}) AS v WHERE {table}.{column['id']} = v.column1",
        [connection.ops.adapt_datetimefield_value(now), *params],
    )


def apply_movements(changes, *, also_insert=()) -> list[StockMovement]:
    """apply_movement for many locked rows at once: one UPDATE and one INSERT in all.

    `changes` is a list of dicts of apply_movement's arguments; a row may be changed more
    than once (pass the same Stock object: one ledger row per change, one UPDATE).
    All are checked before anything is written; the first refusal writes nothing.
    `also_insert`: unsaved rows of another model written with them (a reservation's rows),
    all in one round trip on PostgreSQL (core.db.execute_together); their primary keys
    are not read back.
    """
    # A row changed twice must be the same object: its second ledger row then starts
    # from the first one's result, and the row is saved once with the last.
    stocks = list({id(change["stock"]): change["stock"] for change in changes}.values())
    if len({stock.pk for stock in stocks}) != len(stocks):
        raise ValueError("apply_movements: two objects for one stock row")
    was_available = [stock.available > 0 for stock in stocks]
    movements = [_movement(**change) for change in changes]
    if not movements:
        return []
    inserts = [insert_statement(movements)]
    if also_insert:
        inserts.append(insert_statement(list(also_insert)))
    shipped: dict[int, int] = {}
    for m in movements:
        if m.reason == StockMovement.Reason.SHIPMENT:
            shipped[m.stock.pk] = shipped.get(m.stock.pk, 0) - m.on_hand_delta
    # The UPDATE last: its row count is the one returned.
    if execute_together([*inserts, _stock_update(stocks, shipped)]) != len(stocks):
        raise RuntimeError("a locked stock row vanished during the update")
    changed = [
        s.sku_id
        for before, s in zip(was_available, stocks, strict=True)
        if before != (s.available > 0)
    ]
    if changed:
        sku_availability_changed.send(sender=Stock, sku_ids=changed)
    return movements


@transaction.atomic
def roll_recent_shipped(*, now=None) -> int:
    """Every stock row's recent_shipped set to the units it shipped in the velocity window
    ending `now`, and recent_since to the window's start (the nightly job; the overstock
    filter's kept figure). The rows are locked first, in primary-key order as shipments
    lock them, so no shipment falls between the sum and the write. Returns the rows."""
    from .selectors import velocity_days  # selectors read this module's model only

    now = now or timezone.now()
    since = now - timedelta(days=velocity_days())
    list(Stock.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    shipped = (
        StockMovement.objects.filter(
            stock=OuterRef("pk"), reason=StockMovement.Reason.SHIPMENT, created_at__gte=since
        )
        .order_by()
        .values("stock")
        .annotate(n=-Sum("on_hand_delta"))
        .values("n")[:1]
    )
    return Stock.objects.update(recent_shipped=Coalesce(Subquery(shipped), 0), recent_since=since)


@transaction.atomic
def receive_stock(
    *, actor, sku_id: int, warehouse_id: int, quantity, reference: str = "", note: str = ""
) -> Stock:
    """Add `quantity` units to a warehouse's stock of a SKU (goods received)."""
    if actor is not None:
        require_perm(actor, "inventory.change_stock")
    quantity = _quantity(quantity)
    stock = lock_stock(sku_id=sku_id, warehouse_id=warehouse_id)
    apply_movement(
        stock=stock,
        reason=StockMovement.Reason.RECEIPT,
        actor=actor,
        on_hand_delta=quantity,
        reference=reference,
        note=note,
    )
    return stock


@transaction.atomic
def adjust_stock(
    *, actor, sku_id: int, warehouse_id: int, delta, reason: str, reference: str = ""
) -> Stock:
    """Correct the on-hand count after a stock take (delta may be negative); `reason` is why.

    The count cannot fall below the units reserved for orders.
    """
    if actor is not None:
        require_perm(actor, "inventory.change_stock")
    delta = _quantity(delta, "delta", allow_negative=True)
    if not (reason or "").strip():
        raise ValidationFailed({"reason": [_("Say why the stock is adjusted")]})
    stock = lock_stock(sku_id=sku_id, warehouse_id=warehouse_id)
    apply_movement(
        stock=stock,
        reason=StockMovement.Reason.ADJUSTMENT,
        actor=actor,
        on_hand_delta=delta,
        reference=reference,
        note=reason.strip(),
    )
    return stock


@transaction.atomic
def receive_returned_goods(
    *, actor, sku_id: int, warehouse_id: int, quantity, reference: str, note: str = ""
) -> Stock:
    """Goods a customer sent back (or a refused parcel) go into stock again: a RETURN
    ledger row with `reference` (the return or shipment number)."""
    quantity = _quantity(quantity)
    if not str(reference or "").strip():
        raise ValidationFailed({"reference": [_("Give the return's reference")]})
    stock = lock_stock(sku_id=sku_id, warehouse_id=warehouse_id)
    apply_movement(
        stock=stock,
        reason=StockMovement.Reason.RETURN,
        actor=actor,
        on_hand_delta=quantity,
        reference=reference,
        note=note,
    )
    return stock


@transaction.atomic
def write_off_returned_goods(
    *, actor, sku_id: int, warehouse_id: int, quantity, reference: str, reason: str
) -> Stock:
    """Goods that came back damaged: received (RETURN) and written off (WRITE_OFF) in one
    transaction, two ledger rows, so the ledger shows both that they came back and why
    they are not for sale. On hand is unchanged in the end."""
    quantity = _quantity(quantity)
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("Say why the goods are written off")]})
    stock = lock_stock(sku_id=sku_id, warehouse_id=warehouse_id)
    apply_movements(
        [
            {
                "stock": stock,
                "reason": StockMovement.Reason.RETURN,
                "actor": actor,
                "on_hand_delta": quantity,
                "reference": reference,
                "note": reason,
            }
        ]
    )
    apply_movement(
        stock=stock,
        reason=StockMovement.Reason.WRITE_OFF,
        actor=actor,
        on_hand_delta=-quantity,
        reference=reference,
        note=reason,
    )
    return stock


@transaction.atomic
def transfer_stock(
    *,
    actor,
    sku_id: int,
    from_warehouse_id: int,
    to_warehouse_id: int,
    quantity,
    reference: str = "",
) -> tuple[Stock, Stock]:
    """Move units of a SKU between warehouses: TRANSFER_OUT and TRANSFER_IN ledger rows in
    one transaction; only available (unreserved) units may leave."""  # fmt: skip
    if actor is not None:
        require_perm(actor, "inventory.change_stock")
    quantity = _quantity(quantity)
    if from_warehouse_id == to_warehouse_id:
        raise ValidationFailed({"to_warehouse": [_("Choose another warehouse")]})
    # Locked in primary-key order (of the warehouses: one SKU), so two transfers cannot
    # deadlock.
    first, second = sorted([from_warehouse_id, to_warehouse_id])
    locked = {w: lock_stock(sku_id=sku_id, warehouse_id=w) for w in (first, second)}
    source, target = locked[from_warehouse_id], locked[to_warehouse_id]
    apply_movements(
        [
            {"stock": source, "reason": StockMovement.Reason.TRANSFER_OUT, "actor": actor,
             "on_hand_delta": -quantity, "reference": reference},
            {"stock": target, "reason": StockMovement.Reason.TRANSFER_IN, "actor": actor,
             "on_hand_delta": quantity, "reference": reference},
        ]
    )  # fmt: skip
    return source, target


def _lock_many(warehouse_id: int, lines) -> list[tuple[Stock, int]]:
    """Lock the (sku, warehouse) rows of `lines` (sku_id, quantity) in primary-key order."""
    quantities = {}
    for sku_id, quantity in lines:
        quantities[sku_id] = quantities.get(sku_id, 0) + _quantity(quantity)
    return [
        (lock_stock(sku_id=sku_id, warehouse_id=warehouse_id), quantities[sku_id])
        for sku_id in sorted(quantities)
    ]


@transaction.atomic
def dispatch_transfer(*, actor, warehouse_id: int, lines, reference: str) -> list[StockMovement]:
    """Units of a transfer leave `warehouse_id` (TRANSFER_OUT rows with `reference`, the
    transfer's number); only available (unreserved) units may leave. Either every line
    leaves or, on the first line short of stock, nothing does (Conflict naming the SKU)."""
    locked = _lock_many(warehouse_id, lines)
    for stock, quantity in locked:
        if stock.available < quantity:
            raise Conflict(
                _("Not enough stock of %(sku)s: %(available)s available, %(n)s to ship")
                % {"sku": stock.sku.code, "available": stock.available, "n": quantity},
                field="quantity",
                code="insufficient_stock",
            )
    return apply_movements(
        [
            {"stock": stock, "reason": StockMovement.Reason.TRANSFER_OUT, "actor": actor,
             "on_hand_delta": -quantity, "reference": reference}
            for stock, quantity in locked
        ]
    )  # fmt: skip


@transaction.atomic
def arrive_transfer(*, actor, warehouse_id: int, lines, reference: str) -> list[StockMovement]:
    """Units of a transfer enter `warehouse_id` (TRANSFER_IN rows with `reference`)."""
    locked = _lock_many(warehouse_id, lines)
    return apply_movements(
        [
            {"stock": stock, "reason": StockMovement.Reason.TRANSFER_IN, "actor": actor,
             "on_hand_delta": quantity, "reference": reference}
            for stock, quantity in locked
        ]
    )  # fmt: skip

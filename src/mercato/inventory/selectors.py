from django.conf import settings
from django.db.models import F, Q, QuerySet, Sum

from mercato.core.compiled import CompiledQuery

from .models import Reservation, Stock, StockMovement, Warehouse


def warehouses_serving(*, province: str) -> QuerySet[Warehouse]:
    """Active warehouses that deliver to `province`, the preferred one first."""
    return Warehouse.objects.filter(is_active=True, served__province=province).order_by(
        "priority", "code"
    )


def available_sku_ids(*, sku_ids, province: str | None) -> set[int]:
    """Which of these SKUs have stock to sell (on hand beyond reservations), in one query.

    With a province: only in the active warehouses that serve it. Without: in any.
    """
    stocks = Stock.objects.filter(
        sku_id__in=list(sku_ids), warehouse__is_active=True, on_hand__gt=F("reserved")
    )
    if province:
        stocks = stocks.filter(warehouse__served__province=province)
    # No ordering: Stock's default one would make DISTINCT run over (sku, warehouse) rows.
    return set(stocks.order_by().values_list("sku_id", flat=True).distinct())


def _available_of_product(product_id, province):
    stocks = Stock.objects.filter(
        sku__product_id=product_id,
        sku__is_active=True,
        warehouse__is_active=True,
        on_hand__gt=F("reserved"),
    )
    if province is not None:
        stocks = stocks.filter(warehouse__served__province=province)
    return stocks.order_by().values_list("sku_id").distinct()


# Compiled once (mercato.core.compiled): the uncached product page asks on every render.
_AVAILABLE_OF_PRODUCT = CompiledQuery("inventory.available_of_product", _available_of_product)


def available_skus_of_product(*, product_id: int, province: str | None) -> set[int]:
    """available_sku_ids() of a product's active SKUs, in one query."""
    rows = _AVAILABLE_OF_PRODUCT.rows(product_id=product_id, province=province or None)
    return {sku_id for (sku_id,) in rows}


def products_in_stock(*, product_ids) -> set[int]:
    """Which of these products have an active SKU with stock to sell in an active warehouse
    (product cards' stock state), in one query."""
    return set(
        Stock.objects.filter(
            sku__product_id__in=list(product_ids),
            sku__is_active=True,
            warehouse__is_active=True,
            on_hand__gt=F("reserved"),
        )
        .order_by()  # DISTINCT over product ids alone, not Stock's ordering columns
        .values_list("sku__product_id", flat=True)
        .distinct()
    )


def reservations_for(*, reference: str) -> QuerySet[Reservation]:
    """The reservations held for an order reference, by warehouse: its parcels, in one query."""
    return (
        Reservation.objects.filter(reference=reference)
        .select_related("warehouse", "sku")
        .order_by("warehouse__priority", "warehouse_id", "sku_id")
    )


def stock_disagreements(*, limit: int = 20) -> list[str]:
    """Stock rows whose figures disagree with what should add up to them: reserved ≠ the
    active reservations, reserved ≠ the ledger's reserved changes, on hand ≠ the ledger's
    on-hand changes. [] when all agree (what the fault suite and `mercato check_data`
    check after every fault). Two subqueries over the whole table: an operator's check,
    not a page."""
    from django.db.models import OuterRef, Subquery, Sum
    from django.db.models.functions import Coalesce

    held = Reservation.objects.filter(
        sku=OuterRef("sku"), warehouse=OuterRef("warehouse"), status=Reservation.Status.ACTIVE
    ).values("sku")
    ledger = StockMovement.objects.filter(stock=OuterRef("pk")).values("stock")
    rows = (
        Stock.objects.annotate(
            held=Coalesce(
                Subquery(held.annotate(n=Sum("quantity")).values("n")[:1]), 0
            ),
            ledger_on_hand=Coalesce(
                Subquery(ledger.annotate(n=Sum("on_hand_delta")).values("n")[:1]), 0
            ),
            ledger_reserved=Coalesce(
                Subquery(ledger.annotate(n=Sum("reserved_delta")).values("n")[:1]), 0
            ),
        )
        .exclude(
            reserved=F("held"), on_hand=F("ledger_on_hand"), reserved__exact=F("ledger_reserved")
        )
        .order_by("pk")
        .values_list("pk", "sku_id", "warehouse_id", "on_hand", "reserved", "held",
                     "ledger_on_hand", "ledger_reserved")[:limit]
    )  # fmt: skip
    return [
        f"stock {pk} (SKU {sku}, warehouse {wh}): on hand {on_hand}, reserved {reserved}; "
        f"active reservations {held}; ledger on hand {l_on_hand}, reserved {l_reserved}"
        for pk, sku, wh, on_hand, reserved, held, l_on_hand, l_reserved in rows
    ]


# The audit timeline (back office) reads the stock ledger through these two.
def stock_movements(*, reference: str = "") -> QuerySet[StockMovement]:
    """Every stock-ledger row, or those naming `reference` (an order number, a receipt) or
    of the SKU whose code it is."""
    movements = StockMovement.objects.all()
    if reference:
        movements = movements.filter(Q(reference=reference) | Q(stock__sku__code=reference))
    return movements


def stock_movements_by_id(ids) -> dict[int, StockMovement]:
    return StockMovement.objects.select_related("stock__sku", "stock__warehouse").in_bulk(list(ids))


# The stock workspace (back office) ------------------------------------------------------------
def low_stock_units() -> int:
    """Available units at or under which a SKU's stock in a warehouse is low (a setting,
    MERCATO_LOW_STOCK_UNITS, 5 by default)."""
    return int(getattr(settings, "MERCATO_LOW_STOCK_UNITS", 5))


def stock_rows() -> QuerySet:
    """Every stock row with its SKU, product, warehouse and bin, `available_units`
    annotated (on hand − reserved), the SKU's code then the warehouse's priority first."""
    return (
        Stock.objects.select_related("sku__product", "warehouse", "bin")
        .annotate(available_units=F("on_hand") - F("reserved"))
        .order_by("sku__code", "warehouse__priority", "warehouse_id")
    )


def sku_stock(*, sku_id: int) -> QuerySet:
    """One SKU's stock in each warehouse."""
    return stock_rows().filter(sku_id=sku_id)


def sku_ledger(*, sku_id: int) -> QuerySet[StockMovement]:
    """One SKU's stock-ledger rows in every warehouse, newest first, with the on-hand and
    reserved balances after each (the running balance the ledger keeps)."""
    return (
        StockMovement.objects.filter(stock__sku_id=sku_id)
        .select_related("stock__warehouse", "actor")
        .order_by("-id")
    )


def units_on_hand(*, sku_ids) -> dict[int, int]:
    """On-hand units of each SKU over all warehouses (for the moving-average cost)."""
    rows = (
        Stock.objects.filter(sku_id__in=list(sku_ids)).values("sku_id").annotate(n=Sum("on_hand"))
    )
    return {row["sku_id"]: row["n"] or 0 for row in rows}

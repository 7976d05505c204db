from django.db.models import Q, QuerySet

from .models import Reservation, StockMovement, Warehouse


def warehouses_serving(*, province: str) -> QuerySet[Warehouse]:
    """Active warehouses that deliver to `province`, the preferred one first."""
    return Warehouse.objects.filter(is_active=True, served__province=province).order_by(
        "priority", "code"
    )


def available_sku_ids(*, sku_ids, province: str | None) -> set[int]:
    """Which of these SKUs have stock to sell (on hand beyond reservations), in one query.

    With a province: only in the active warehouses that serve it. Without: in any.
    """
    from django.db.models import F

    from .models import Stock

    stocks = Stock.objects.filter(
        sku_id__in=list(sku_ids), warehouse__is_active=True, on_hand__gt=F("reserved")
    )
    if province:
        stocks = stocks.filter(warehouse__served__province=province)
    return set(stocks.values_list("sku_id", flat=True).distinct())


def products_in_stock(*, product_ids) -> set[int]:
    """Which of these products have an active SKU with stock to sell in an active warehouse
    (product cards' stock state), in one query."""
    from django.db.models import F

    from .models import Stock

    return set(
        Stock.objects.filter(
            sku__product_id__in=list(product_ids),
            sku__is_active=True,
            warehouse__is_active=True,
            on_hand__gt=F("reserved"),
        )
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

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Reservation, Stock, StockMovement, Warehouse


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


def sku_has_stock(*, province: str | None, sku=None) -> Exists:
    """available_sku_ids()' test for one SKU, as an expression of a Sku queryset (`sku`:
    the outer SKU, OuterRef("pk") by default): stock to sell (on hand beyond reservations)
    in an active warehouse, with a province one that serves it. The uncached product page
    asks it with its SKUs' row (storefront.page_data)."""
    sku = OuterRef("pk") if sku is None else sku
    stocks = Stock.objects.filter(sku=sku, warehouse__is_active=True, on_hand__gt=F("reserved"))
    if province is not None:
        stocks = stocks.filter(warehouse__served__province=province)
    return Exists(stocks)


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


def product_has_stock(product=None) -> Exists:
    """products_in_stock's test for one product, as an expression of a Product queryset
    (`product`: the outer product, OuterRef("pk") by default): an active SKU of it with
    stock to sell in an active warehouse."""
    product = OuterRef("pk") if product is None else product
    return Exists(
        Stock.objects.filter(
            sku__product=product,
            sku__is_active=True,
            warehouse__is_active=True,
            on_hand__gt=F("reserved"),
        )
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


def low_stock(rows: QuerySet) -> QuerySet:
    """The stock rows of `rows` whose available units are at or under low_stock_units()."""
    return rows.filter(on_hand__lte=F("reserved") + low_stock_units())


def low_stock_rows() -> QuerySet:
    return low_stock(Stock.objects.all())


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


# Sales velocity, cover, overstock and ABC classes ---------------------------------------------
def velocity_days() -> int:
    """The days of shipments a stock row's sales velocity is taken over (a setting,
    MERCATO_VELOCITY_DAYS, 30 by default)."""
    return int(getattr(settings, "MERCATO_VELOCITY_DAYS", 30))


def overstock_days() -> int:
    """Cover in days (available units ÷ units shipped a day) above which a stock row is
    overstocked (a setting, MERCATO_OVERSTOCK_DAYS, 90 by default)."""
    return int(getattr(settings, "MERCATO_OVERSTOCK_DAYS", 90))


def _shipments_since(days: int, now=None):
    now = now or timezone.now()
    return StockMovement.objects.filter(
        reason=StockMovement.Reason.SHIPMENT, created_at__gte=now - timedelta(days=days)
    )


def shipped_units(*, stock_ids, days: int | None = None, now=None) -> dict[int, int]:
    """Units each of these stock rows shipped in the last `days` (velocity_days()), in one
    query; rows that shipped nothing are left out."""
    rows = (
        _shipments_since(days or velocity_days(), now)
        .filter(stock_id__in=list(stock_ids))
        .values("stock_id")
        .annotate(n=Sum("on_hand_delta"))
        .order_by()
    )
    return {row["stock_id"]: -row["n"] for row in rows}


def cover_days(*, available: int, shipped: int, days: int) -> Decimal | None:
    """Days the available units last at the rate of `shipped` units in `days`; None when
    nothing shipped (no rate: the cover is endless)."""
    if shipped <= 0:
        return None
    return (Decimal(max(available, 0)) * days / shipped).quantize(Decimal("0.1"))


def is_overstocked(*, available: int, shipped: int, days: int, limit: int) -> bool:
    """More available units than `limit` days of sales at the rate of `shipped` in `days`
    (any units of a row that shipped nothing are overstock)."""
    return available > 0 and available * days > shipped * limit


def with_shipped_units(rows: QuerySet, *, days: int | None = None, now=None) -> QuerySet:
    """`rows` (stock rows) with `shipped_units`: units each shipped in the last `days`."""
    shipped = (
        _shipments_since(days or velocity_days(), now)
        .filter(stock=OuterRef("pk"))
        .order_by()
        .values("stock")
        .annotate(n=Sum("on_hand_delta"))
        .values("n")[:1]
    )
    return rows.annotate(shipped_units=-Coalesce(Subquery(shipped), 0))


def overstocked(rows: QuerySet, *, days: int | None = None, limit: int | None = None) -> QuerySet:
    """The stock rows of `rows` whose cover is above `limit` days (overstock_days()).

    A row whose kept recent_shipped (an upper bound of the window's shipments once
    rolled, see Stock) already leaves it overstocked is one without reading the ledger;
    only the others are summed from it, so the filter stays exact and the count over all
    warehouses no longer sums every row's shipments."""
    days, limit = days or velocity_days(), limit or overstock_days()
    window_start = timezone.now() - timedelta(days=days)
    return (
        with_shipped_units(rows, days=days)
        .annotate(
            _days_of_units=(F("on_hand") - F("reserved")) * days,
            _limit_units=F("shipped_units") * limit,
            _kept_limit_units=F("recent_shipped") * limit,
        )
        .filter(on_hand__gt=F("reserved"))
        .filter(
            Q(recent_since__lte=window_start, _days_of_units__gt=F("_kept_limit_units"))
            | Q(_days_of_units__gt=F("_limit_units"))
        )
    )


def sales_value_by_sku(*, days: int = 90, now=None) -> dict[int, Decimal]:
    """Units shipped in the last `days` times the SKU's list price, per SKU, in one query
    (the ABC classes' sales value; SKUs that shipped nothing are left out)."""
    value = ExpressionWrapper(
        -F("on_hand_delta") * F("stock__sku__list_price"),
        output_field=DecimalField(max_digits=18, decimal_places=2),
    )
    rows = _shipments_since(days, now).values("stock__sku_id").annotate(value=Sum(value)).order_by()
    return {row["stock__sku_id"]: Decimal(row["value"]) for row in rows}


ABC_SHARES = (("A", Decimal("0.80")), ("B", Decimal("0.95")))


def abc_classes(*, days: int = 90, now=None) -> dict[int, str]:
    """Each SKU that sold in the last `days` with its ABC class by sales value: the best
    sellers that make up the first 80 % of the value are A, the next 15 % B, the rest C.
    SKUs missing from the result sold nothing: C."""
    values = sales_value_by_sku(days=days, now=now)
    total = sum(values.values(), Decimal(0))
    classes, before = {}, Decimal(0)
    for sku_id, value in sorted(values.items(), key=lambda kv: (-kv[1], kv[0])):
        # A SKU belongs to the class where its value starts: the one that crosses 80 % is A.
        share = before / total if total else Decimal(1)
        classes[sku_id] = next((name for name, top in ABC_SHARES if share < top), "C")
        before += value
    return classes


# Supply-chain KPIs (analytics.supply) -------------------------------------------------------
_COST = DecimalField(max_digits=18, decimal_places=2)


def stock_at_cost(*, by: str) -> list[dict]:
    """On-hand units and their value at the SKUs' moving-average cost, per warehouse
    (`by`="warehouse") or per category ("category"), in one query: rows of key, name,
    units, value."""
    key, name = {
        "warehouse": ("warehouse_id", "warehouse__name"),
        "category": ("sku__product__category_id", "sku__product__category__name"),
    }[by]
    rows = (
        Stock.objects.filter(on_hand__gt=0)
        .values(key, name)
        .annotate(
            units=Sum("on_hand"),
            value=Sum(ExpressionWrapper(F("on_hand") * F("sku__cost_price"), output_field=_COST)),
        )
        .order_by(name)
    )
    return [{"key": r[key], "name": r[name], "units": r["units"], "value": Decimal(r["value"])}
            for r in rows]  # fmt: skip


def shipped_at_cost(*, by: str, days: int, now=None) -> dict:
    """Units shipped in the last `days` and their value at the SKUs' moving-average cost
    (the cost of goods sold), per warehouse or category key, in one query."""
    key = {"warehouse": "stock__warehouse_id", "category": "stock__sku__product__category_id"}[by]
    rows = (
        _shipments_since(days, now)
        .values(key)
        .annotate(
            units=-Sum("on_hand_delta"),
            value=Sum(ExpressionWrapper(
                -F("on_hand_delta") * F("stock__sku__cost_price"), output_field=_COST)),
        )
        .order_by()
    )  # fmt: skip
    return {r[key]: {"units": r["units"], "value": Decimal(r["value"])} for r in rows}


def bin_usage() -> list[dict]:
    """Per active warehouse: its bins and the bins holding stock (on hand above 0), in
    one query: rows of name, bins, used."""
    used = (
        Stock.objects.filter(warehouse=OuterRef("pk"), on_hand__gt=0, bin__isnull=False)
        .order_by()
        .values("warehouse")
        .annotate(n=Count("bin", distinct=True))
        .values("n")[:1]
    )
    rows = (
        Warehouse.objects.filter(is_active=True)
        .annotate(bins_total=Count("bins"), bins_used=Coalesce(Subquery(used), 0))
        .order_by("priority", "code")
        .values("name", "bins_total", "bins_used")
    )
    return [{"name": r["name"], "bins": r["bins_total"], "used": r["bins_used"]} for r in rows]


def slow_movers(*, days: int, cover_limit: int, limit: int = 20, now=None) -> list[dict]:
    """SKUs with stock whose units on hand (all warehouses) last longer than `cover_limit`
    days at the rate shipped in the last `days`, or that shipped nothing; the most capital
    tied up first. Rows of sku_id, code, name, units, shipped, value."""
    shipped = (
        _shipments_since(days, now)
        .filter(stock__sku_id=OuterRef("sku_id"))
        .order_by()
        .values("stock__sku_id")
        .annotate(n=Sum("on_hand_delta"))
        .values("n")[:1]
    )
    rows = (
        Stock.objects.filter(on_hand__gt=0)
        .values("sku_id", "sku__code", "sku__product__name")
        .annotate(
            units=Sum("on_hand"),
            value=Sum(ExpressionWrapper(F("on_hand") * F("sku__cost_price"), output_field=_COST)),
        )
        .annotate(shipped=-Coalesce(Subquery(shipped), 0))
        .filter(units__gt=F("shipped") * cover_limit / days)
        .order_by("-value", "sku__code")[:limit]
    )
    return [{"sku_id": r["sku_id"], "code": r["sku__code"], "name": r["sku__product__name"],
             "units": r["units"], "shipped": r["shipped"], "value": Decimal(r["value"])}
            for r in rows]  # fmt: skip


def reserved_warehouses(*, references) -> dict[tuple[str, int], list[tuple[str, int]]]:
    """Per (reference, SKU id) of `references` (a queryset of order numbers or a list):
    the warehouses its units were reserved in or shipped from, as (warehouse name, units),
    in one query. Released reservations do not count."""
    rows = (
        Reservation.objects.filter(reference__in=references)
        .exclude(status=Reservation.Status.RELEASED)
        .order_by("warehouse__priority", "warehouse__code")
        .values_list("reference", "sku_id", "warehouse__name", "quantity")
    )
    split: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for reference, sku_id, name, units in rows:
        split.setdefault((reference, sku_id), []).append((name, units))
    return split

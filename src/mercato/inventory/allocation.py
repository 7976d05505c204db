"""Which warehouse ships which units of an order (the allocation rule of docs/inventory.md).

`plan_allocation` is pure: it gets the order lines, the delivery province, the warehouses
and the units available per (SKU, warehouse), and returns parcels. `plan_parcels` loads
those figures (read only, no locks) so checkout can show the parcels before payment;
`reservations.reserve_stock` runs the same planner again on locked rows.

The rule:
1. Warehouses are ranked by nearness to the delivery province: those that serve it come
   first, by their priority; then the others by the great-circle distance between the
   capital of the delivery province and the capital of the warehouse's own province
   (CAPITALS below), then priority, then code.
2. The order ships in as few parcels as possible: one warehouse that can fill the whole
   order (the nearest such), else the smallest set of warehouses that together can. Sets
   of one size are compared by nearness: the set whose nearest member is nearer wins, then
   the second nearest, and so on. Within a set, each SKU is taken from the nearest member
   first (a line may be split between two parcels when no member holds all of it).
3. With more than EXACT_LIMIT candidate warehouses, the search is greedy instead of exact:
   repeatedly the warehouse that can supply the most missing units (nearest on ties).
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache as once
from itertools import combinations

from django.core.cache import cache
from django.db import connection, transaction
from django.utils.translation import gettext as _

from mercato.catalog.versions import named_version, renew_named_version
from mercato.core.errors import DomainError, ValidationFailed
from mercato.core.versioned import UNREAD, KeptUnderVersion

# Capital of each mainland province-level region (latitude, longitude), cpca's spelling.
CAPITALS: dict[str, tuple[float, float]] = {
    "北京市": (39.90, 116.40),
    "天津市": (39.13, 117.20),
    "河北省": (38.04, 114.51),  # 石家庄
    "山西省": (37.87, 112.55),  # 太原
    "内蒙古自治区": (40.84, 111.75),  # 呼和浩特
    "辽宁省": (41.80, 123.43),  # 沈阳
    "吉林省": (43.82, 125.32),  # 长春
    "黑龙江省": (45.80, 126.53),  # 哈尔滨
    "上海市": (31.23, 121.47),
    "江苏省": (32.06, 118.80),  # 南京
    "浙江省": (30.27, 120.16),  # 杭州
    "安徽省": (31.82, 117.23),  # 合肥
    "福建省": (26.07, 119.30),  # 福州
    "江西省": (28.68, 115.86),  # 南昌
    "山东省": (36.65, 117.12),  # 济南
    "河南省": (34.75, 113.62),  # 郑州
    "湖北省": (30.59, 114.31),  # 武汉
    "湖南省": (28.23, 112.94),  # 长沙
    "广东省": (23.13, 113.26),  # 广州
    "广西壮族自治区": (22.82, 108.37),  # 南宁
    "海南省": (20.04, 110.34),  # 海口
    "重庆市": (29.56, 106.55),
    "四川省": (30.57, 104.07),  # 成都
    "贵州省": (26.65, 106.63),  # 贵阳
    "云南省": (25.04, 102.71),  # 昆明
    "西藏自治区": (29.65, 91.14),  # 拉萨
    "陕西省": (34.34, 108.94),  # 西安
    "甘肃省": (36.06, 103.83),  # 兰州
    "青海省": (36.62, 101.78),  # 西宁
    "宁夏回族自治区": (38.49, 106.23),  # 银川
    "新疆维吾尔自治区": (43.83, 87.62),  # 乌鲁木齐
}

# 2^8 - 1 = 255 subsets at most: exact search stays cheap.
EXACT_LIMIT = 8


class OutOfStock(DomainError):
    """The order cannot be filled from all warehouses together; `sku_ids` are the SKUs short."""

    code = "out_of_stock"
    status = 409

    def __init__(self, *, sku_ids, labels=None):
        self.sku_ids = sorted(sku_ids)
        self.labels = list(labels) if labels else [str(pk) for pk in self.sku_ids]
        super().__init__(
            _("Sold out, not enough stock for: %(skus)s") % {"skus": ", ".join(self.labels)},
            field="lines",
            code=self.code,
        )


@dataclass(frozen=True)
class WarehouseInfo:
    id: int
    code: str
    name: str
    province: str
    priority: int = 100
    serves: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Parcel:
    warehouse: WarehouseInfo
    lines: tuple[tuple[int, int], ...]  # (sku_id, quantity), by sku_id


def distance_km(province_a: str, province_b: str) -> float:
    """Great-circle distance between two provinces' capitals (inf for an unknown one)."""
    if province_a not in CAPITALS or province_b not in CAPITALS:
        return math.inf
    (lat1, lon1), (lat2, lon2) = CAPITALS[province_a], CAPITALS[province_b]
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def rank_warehouses(*, warehouses, province: str) -> list[WarehouseInfo]:
    """Warehouses nearest to the delivery province first (rule 1 of the module docstring)."""

    def key(w: WarehouseInfo):
        if province in w.serves:
            return (0, w.priority, 0.0, w.code)
        return (1, 0, distance_km(province, w.province), w.priority, w.code)

    return sorted(warehouses, key=key)


def check_province(province) -> str:
    """The delivery province in cpca's spelling, or ValidationFailed naming `province`."""
    from mercato.core.regions import mainland_provinces

    if province not in mainland_provinces():
        raise ValidationFailed(
            {
                "province": [
                    _("Unknown province (use the full name, e.g. 四川省): %(p)s") % {"p": province}
                ]
            }
        )
    return province


def merge_lines(lines) -> dict[int, int]:
    """{sku_id: quantity} with repeated SKUs added up; refuses non-positive quantities."""
    wanted: dict[int, int] = defaultdict(int)
    for sku_id, quantity in lines:
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise ValidationFailed({"lines": [_("Quantities must be whole numbers above 0")]})
        wanted[int(sku_id)] += quantity
    if not wanted:
        raise ValidationFailed({"lines": [_("Nothing to allocate")]})
    return dict(wanted)


def _fill(wanted, members, available) -> list[Parcel] | None:
    """Take each SKU from the members in their order; None when the members fall short."""
    taken: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for sku_id, quantity in sorted(wanted.items()):
        missing = quantity
        for w in members:
            take = min(missing, max(available.get((sku_id, w.id), 0), 0))
            if take:
                taken[w.id].append((sku_id, take))
                missing -= take
            if not missing:
                break
        if missing:
            return None
    return [Parcel(warehouse=w, lines=tuple(taken[w.id])) for w in members if taken[w.id]]


def plan_allocation(*, lines, province: str, warehouses, available) -> list[Parcel]:
    """Parcels for `lines` [(sku_id, qty)] delivered to `province`, nearest first.

    `available` maps (sku_id, warehouse_id) to units free to reserve. Raises OutOfStock
    naming the SKUs that all warehouses together cannot supply.
    """
    wanted = merge_lines(lines)
    ranked = rank_warehouses(warehouses=warehouses, province=province)
    totals: dict[int, int] = defaultdict(int)
    for w in ranked:
        for sku_id in wanted:
            totals[sku_id] += max(available.get((sku_id, w.id), 0), 0)
    short = [sku_id for sku_id, qty in wanted.items() if totals[sku_id] < qty]
    if short:
        raise OutOfStock(sku_ids=short)

    candidates = [w for w in ranked if any(available.get((s, w.id), 0) > 0 for s in wanted)]
    if len(candidates) <= EXACT_LIMIT:
        # combinations() yields index tuples in lexicographic order, which is the nearness
        # order of rule 2; the first set of the smallest size that fills the order wins.
        for size in range(1, len(candidates) + 1):
            for members in combinations(candidates, size):
                parcels = _fill(wanted, members, available)
                if parcels is not None:
                    return parcels
    return _plan_greedy(wanted, candidates, available)


def _plan_greedy(wanted, candidates, available) -> list[Parcel]:
    missing, chosen = dict(wanted), []
    while any(missing.values()):
        best = max(
            (w for w in candidates if w not in chosen),
            key=lambda w: sum(min(q, available.get((s, w.id), 0)) for s, q in missing.items()),
        )  # max() keeps the first (nearest) of equals
        chosen.append(best)
        for sku_id, q in missing.items():
            missing[sku_id] = q - min(q, max(available.get((sku_id, best.id), 0), 0))
    members = [w for w in candidates if w in chosen]
    return _fill(wanted, members, available)


WAREHOUSES_CACHE_KEY = "inventory:active-warehouses"
WAREHOUSES_CACHE_SECONDS = 300  # a safety net: every change forgets the list at once
WAREHOUSES_VERSION = "warehouses"  # catalog.versions' named version of the list


def warehouses_version():
    """An ORM expression for the warehouse list's version (NULL before the first change),
    for a caller that reads it in one of its own queries and hands it to load_warehouses
    (checkout: a column of the cart lines' query)."""
    return named_version(WAREHOUSES_VERSION)


_KEPT = KeptUnderVersion(WAREHOUSES_CACHE_SECONDS)


def load_warehouses(*, version=UNREAD) -> list[WarehouseInfo]:
    """Active warehouses with the provinces they serve.

    Read on every placement and quote but changed rarely, so the list is kept in the
    cache; every save or delete of a warehouse or a served province forgets it
    (forget_warehouses, connected in apps.py, and called by the services that write in
    bulk). Two queries when it is not cached. `version`: the list's version as the
    caller's query read it (warehouses_version): while this process kept the list under
    it, no cache call either (core.versioned).
    """
    return _KEPT.get(version, _cached_warehouses)


def _cached_warehouses() -> list[WarehouseInfo]:
    cached = cache.get(WAREHOUSES_CACHE_KEY)
    if cached is not None:
        return cached
    from .models import Warehouse, WarehouseProvince

    serves: dict[int, set[str]] = defaultdict(set)
    for warehouse_id, prov in WarehouseProvince.objects.filter(
        warehouse__is_active=True
    ).values_list("warehouse_id", "province"):
        serves[warehouse_id].add(prov)
    warehouses = [
        WarehouseInfo(
            id=pk, code=code, name=name, province=prov, priority=prio, serves=frozenset(serves[pk])
        )
        for pk, code, name, prov, prio in Warehouse.objects.filter(is_active=True).values_list(
            "pk", "code", "name", "province", "priority"
        )
    ]
    cache.set(WAREHOUSES_CACHE_KEY, warehouses, WAREHOUSES_CACHE_SECONDS)
    return warehouses


def forget_warehouses(**_signal_kwargs) -> None:
    """Drop the cached warehouse list now and again at commit, so a request that read the
    old rows while the change was uncommitted cannot leave a stale list behind, and renew
    its version with the change (lists processes keep under the old one are not used)."""
    renew_named_version(WAREHOUSES_VERSION)
    cache.delete(WAREHOUSES_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(WAREHOUSES_CACHE_KEY))


def sku_labels(sku_ids) -> list[str]:
    """SKU codes for an OutOfStock message, in the order of `sku_ids`."""
    from mercato.catalog.models import Sku

    codes = dict(Sku.objects.filter(pk__in=list(sku_ids)).values_list("pk", "code"))
    return [codes.get(pk, str(pk)) for pk in sku_ids]


SNAPSHOT_FIELDS = ("id", "sku_id", "warehouse_id", "on_hand", "reserved")


@once
def _snapshot_select() -> str:
    """SELECT id, sku_id, warehouse_id, on_hand - reserved FROM the stock table, its
    names from the model's metadata."""
    from .models import Stock

    column = {
        name: connection.ops.quote_name(Stock._meta.get_field(name).column)
        for name in SNAPSHOT_FIELDS
    }
    return (
        f"SELECT {column['id']}, {column['sku_id']}, {column['warehouse_id']}, "  # noqa: S608
        f"{column['on_hand']} - {column['reserved']} "
        f"FROM {connection.ops.quote_name(Stock._meta.db_table)} WHERE "
        f"{column['sku_id']} IN (%s) AND {column['warehouse_id']} IN (%s)"
    )


def stock_snapshot(sku_ids, warehouse_ids) -> dict[tuple[int, int], tuple[int, int]]:
    """(stock id, units available) by (sku_id, warehouse_id) of these SKUs in these
    warehouses, read without locks: what a plan is made on (plan_parcels, and placement's
    first plan in reservations).

    Written out (placement's hot path, once or twice per order): the ORM took more Python
    time to build this than the database took to answer it, and a 3-line order reads 18
    rows (3 SKUs in 6 warehouses) whose model instances cost more again. Plain numbers."""
    if not sku_ids or not warehouse_ids:
        return {}
    sql = _snapshot_select() % (_placeholders(sku_ids), _placeholders(warehouse_ids))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*sku_ids, *warehouse_ids])
        return {(sku, warehouse): (pk, free) for pk, sku, warehouse, free in cursor.fetchall()}


def _placeholders(values) -> str:
    return ", ".join(["%s"] * len(values))


@dataclass(frozen=True)
class StockSnapshot:
    """What stock_snapshot read, for which SKUs in which warehouses: a caller that planned
    on it (checkout's gift check) hands it to reserve_stock_for_new_reference, whose first
    plan then reads no stock and no warehouses again."""

    sku_ids: frozenset[int]
    warehouses: tuple[WarehouseInfo, ...]  # the active ones, as load_warehouses gave them
    rows: dict[tuple[int, int], tuple[int, int]]  # as stock_snapshot returns them

    @property
    def warehouse_ids(self) -> tuple[int, ...]:
        return tuple(w.id for w in self.warehouses)

    def has(self, sku_ids) -> bool:
        """Read for these SKUs (or more: the rows of the others are not looked at)."""
        return frozenset(sku_ids) <= self.sku_ids

    def covers(self, sku_ids, warehouse_ids) -> bool:
        """Read for these SKUs (or more) in these warehouses."""
        return self.has(sku_ids) and self.warehouse_ids == tuple(warehouse_ids)


def stock_column(*, sku_id=None, sku_ids=None):
    """The stock of one SKU (`sku_id`: an OuterRef into the caller's query) or of several
    (`sku_ids`: a subquery of ids) in every warehouse, as one column of [stock id, sku id,
    warehouse id, units free] rows: for a caller that reads them with its own rows instead
    of in a query of their own (PostgreSQL: checkout's lines query); snapshot_of_columns
    keeps the active warehouses' rows.

    The rows are those stock_snapshot reads, found by the same index ((sku, warehouse) is
    unique) without an IN list of values: the statement's plan does not depend on them,
    so a prepared one fits every cart (stock_snapshot is planned per IN list)."""
    from django.contrib.postgres.expressions import ArraySubquery
    from django.contrib.postgres.fields import ArrayField
    from django.db.models import BigIntegerField, F, Func

    from .models import Stock

    row = Func(
        F("id"),
        F("sku_id"),
        F("warehouse_id"),
        F("on_hand") - F("reserved"),
        template="ARRAY[%(expressions)s]",
        output_field=ArrayField(BigIntegerField()),
    )
    stocks = (
        Stock.objects.filter(sku_id=sku_id)
        if sku_ids is None
        else Stock.objects.filter(sku_id__in=sku_ids)
    )
    return ArraySubquery(stocks.order_by().values(row=row))


def snapshot_of_columns(*, sku_ids, columns, warehouses_version=UNREAD) -> StockSnapshot:
    """The StockSnapshot of `sku_ids` in the active warehouses (load_warehouses, as kept
    under `warehouses_version`) from `columns`, what stock_column read for them (one list
    of rows each): what read_stock would have read, without its query."""
    warehouses = tuple(load_warehouses(version=warehouses_version))
    active = {w.id for w in warehouses}
    rows = {
        (sku_id, warehouse_id): (pk, free)
        for column in columns
        for pk, sku_id, warehouse_id, free in column or ()
        if warehouse_id in active
    }
    return StockSnapshot(frozenset(sku_ids), warehouses, rows)


def read_stock(*, sku_ids, warehouses_version=UNREAD) -> StockSnapshot:
    """The units free of `sku_ids` in the active warehouses, read without locks (one
    query; the warehouses from the cache, or as kept under `warehouses_version`:
    load_warehouses)."""
    sku_ids = list(dict.fromkeys(sku_ids))
    warehouses = tuple(load_warehouses(version=warehouses_version))
    rows = stock_snapshot(sku_ids, [w.id for w in warehouses])
    return StockSnapshot(frozenset(sku_ids), warehouses, rows)


def plan_with_snapshot(
    *, lines, province: str, snapshot: StockSnapshot | None = None, name_short: bool = True
) -> tuple[list[Parcel], StockSnapshot]:
    """plan_parcels, and the snapshot it planned on.

    `snapshot`: one read_stock gave for these SKUs or more, planned on instead of reading
    again (checkout's gift check plans on one snapshot until the gifts short are left
    out). `name_short=False`: an OutOfStock names the SKUs by id, without the query for
    their codes, for a caller that decides itself what a shortage means."""
    wanted = merge_lines(lines)
    province = check_province(province)
    if snapshot is None or not snapshot.has(wanted):
        snapshot = read_stock(sku_ids=list(wanted))
    try:
        parcels = plan_allocation(
            lines=wanted.items(),
            province=province,
            warehouses=snapshot.warehouses,
            available={key: free for key, (_pk, free) in snapshot.rows.items()},
        )
    except OutOfStock as exc:
        if not name_short:
            raise
        raise OutOfStock(sku_ids=exc.sku_ids, labels=sku_labels(exc.sku_ids)) from None
    return parcels, snapshot


def plan_parcels(*, lines, province: str) -> list[Parcel]:
    """The parcels an order would ship in if placed now (read only: nothing is locked).

    For checkout to show before payment; reserve_stock plans again on locked rows, so
    the parcels can still change (or run out) between this and placement.
    """
    return plan_with_snapshot(lines=lines, province=province)[0]

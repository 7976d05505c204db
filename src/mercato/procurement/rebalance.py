"""Rebalancing suggestions (调配建议): per SKU, moves between warehouses that bring each
warehouse's cover (days of demand its stock lasts) close to the target at the lowest cost.

Per SKU and warehouse: demand is the daily rate of the last DEMAND_DAYS days' orders from
the provinces the warehouse serves (a province served by several: the first tried, lowest
priority); the position is available stock (on hand − reserved) plus stock in transit to
it, plus draft transfers in, minus draft transfers out; the target is
ceil(rate × MERCATO_REBALANCE_COVER_DAYS). A warehouse above its target may give down to
it (surplus), one below may receive up to it (deficit).

The moves solve a transportation problem — minimise Σ unit cost × units moved + penalty ×
units of deficit left — as a linear programme with HiGHS (scipy.optimize.linprog). The
problem separates by SKU, so many SKUs go into one block LP (a batch), one variable per
(SKU, surplus warehouse, deficit warehouse) pair worth moving (unit cost < penalty). The
constraint matrix is totally unimodular, so the simplex vertex is whole units.

Unit cost between two warehouses: a TransferCost row if set, else a distance-based default
from the warehouses' provinces (capital to capital, great-circle), see unit_costs().
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from mercato.catalog.models import Sku
from mercato.inventory.allocation import distance_km
from mercato.inventory.models import Stock, Warehouse
from mercato.orders.models import OrderLine, OrderStatus

from . import transfers
from .models import TransferCost, TransferOrderLine, TransferStatus
from .selectors import in_transit

DEMAND_DAYS = 30
BATCH = 2_000  # SKUs per block LP
NOT_DEMAND = [OrderStatus.CANCELLED]


def cover_days() -> int:
    return int(getattr(settings, "MERCATO_REBALANCE_COVER_DAYS", 14))


def shortfall_penalty() -> float:
    return float(getattr(settings, "MERCATO_REBALANCE_PENALTY", 20))


def default_unit_cost(a: str, b: str) -> float:
    """¥ per unit: a handling base plus a rate per 1,000 km (settings); the base alone
    within a province or for one without a known capital."""
    base = float(getattr(settings, "MERCATO_TRANSFER_COST_BASE", 0.5))
    per_1000 = float(getattr(settings, "MERCATO_TRANSFER_COST_PER_1000KM", 2.0))
    km = 0.0 if a == b else distance_km(a, b)
    return round(base + per_1000 * (0.0 if math.isinf(km) else km) / 1000, 2)


def unit_costs(warehouses: list[Warehouse]) -> np.ndarray:
    index = {w.pk: n for n, w in enumerate(warehouses)}
    cost = np.array(
        [[default_unit_cost(a.province, b.province) for b in warehouses] for a in warehouses]
    )
    for row in TransferCost.objects.filter(from_warehouse__in=index, to_warehouse__in=index):
        cost[index[row.from_warehouse_id], index[row.to_warehouse_id]] = float(row.unit_cost)
    np.fill_diagonal(cost, 0)
    return cost


# --- The solver ------------------------------------------------------------------------


def solve(position: np.ndarray, target: np.ndarray, cost: np.ndarray, penalty: float):
    """Optimal moves for K SKUs × W warehouses: an int array moves[K, W, W] (from, to).

    position, target: int arrays [K, W]; cost: [W, W] per unit; penalty per unit of
    deficit left. Each warehouse gives at most its surplus and receives at most its deficit.
    """
    position = np.asarray(position, dtype=np.int64)
    target = np.asarray(target, dtype=np.int64)
    k_count, w_count = position.shape
    moves = np.zeros((k_count, w_count, w_count), dtype=np.int64)
    for start in range(0, k_count, BATCH):
        stop = min(start + BATCH, k_count)
        moves[start:stop] = _solve_block(
            position[start:stop], target[start:stop], np.asarray(cost, float), penalty
        )
    return moves


def _solve_block(position, target, cost, penalty):
    k_count, w_count = position.shape
    surplus = np.maximum(position - target, 0)
    deficit = np.maximum(target - position, 0)
    worth = cost < penalty
    np.fill_diagonal(worth, False)
    mask = (surplus[:, :, None] > 0) & (deficit[:, None, :] > 0) & worth[None]
    k, i, j = np.nonzero(mask)
    moves = np.zeros((k_count, w_count, w_count), dtype=np.int64)
    if not len(k):
        return moves
    n = len(k)
    rows = np.concatenate([k * w_count + i, k_count * w_count + k * w_count + j])
    cols = np.concatenate([np.arange(n), np.arange(n)])
    a_ub = csr_matrix((np.ones(2 * n), (rows, cols)), shape=(2 * k_count * w_count, n))
    b_ub = np.concatenate([surplus.ravel(), deficit.ravel()]).astype(float)
    result = linprog(
        cost[i, j] - penalty, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs-ds"
    )
    if result.status != 0:  # pragma: no cover - bounded and feasible by construction
        raise RuntimeError(f"rebalancing LP failed: {result.message}")
    moves[k, i, j] = np.rint(result.x).astype(np.int64)
    return moves


def objective(moves, position, target, cost, penalty) -> float:
    """Transport cost plus penalty × deficit left, of moves[W, W] for one SKU."""
    after = position - moves.sum(axis=1) + moves.sum(axis=0)
    left = np.maximum(target - after, 0)
    return float((moves * cost).sum() + penalty * left.sum())


# --- Suggestions from the data ---------------------------------------------------------


@dataclass
class Move:
    from_warehouse: Warehouse
    to_warehouse: Warehouse
    units: int
    unit_cost: float

    @property
    def cost(self) -> float:
        return round(self.units * self.unit_cost, 2)


@dataclass
class Suggestion:
    sku_id: int
    sku_code: str
    moves: list[Move] = field(default_factory=list)
    # Per warehouse (in `warehouses` order): daily demand and cover in days (None: no demand).
    rates: list[float] = field(default_factory=list)
    cover_before: list[float | None] = field(default_factory=list)
    cover_after: list[float | None] = field(default_factory=list)

    @property
    def cost(self) -> float:
        return round(sum(m.cost for m in self.moves), 2)


@dataclass
class Plan:
    warehouses: list[Warehouse]
    suggestions: list[Suggestion]
    cover_days: int

    @property
    def cost(self) -> float:
        return round(sum(s.cost for s in self.suggestions), 2)


def _cover(units, rate):
    return None if rate <= 0 else round(units / rate, 1)


def demand_units(warehouses, *, sku_ids=None, now=None) -> dict[tuple[int, int], int]:
    """Units ordered in the last DEMAND_DAYS days as {(sku_id, warehouse_id): units}."""
    now = now or timezone.now()
    first = {}
    for w in warehouses:  # ordered by priority: the first tried serves the province
        for province in w.served_provinces:
            first.setdefault(province, w.pk)
    lines = OrderLine.objects.filter(
        order__placed_at__gte=now - timezone.timedelta(days=DEMAND_DAYS),
        order__placed_at__lte=now,
        sku__isnull=False,
    ).exclude(order__status__in=NOT_DEMAND)
    if sku_ids is not None:
        lines = lines.filter(sku_id__in=list(sku_ids))
    totals = defaultdict(int)
    for row in lines.values("sku_id", "order__province").annotate(units=Sum("quantity")):
        warehouse_id = first.get(row["order__province"])
        if warehouse_id is not None:
            totals[row["sku_id"], warehouse_id] += row["units"]
    return totals


def suggest(*, sku_ids=None, now=None) -> Plan:
    """The rebalancing plan: one Suggestion per SKU that has a move worth making."""
    warehouses = list(
        Warehouse.objects.filter(is_active=True)
        .prefetch_related("served")
        .order_by("priority", "id")
    )
    days = cover_days()
    if len(warehouses) < 2:
        return Plan(warehouses, [], days)
    index = {w.pk: n for n, w in enumerate(warehouses)}
    demand = demand_units(warehouses, sku_ids=sku_ids, now=now)
    stock = Stock.objects.filter(warehouse__in=index)
    if sku_ids is not None:
        stock = stock.filter(sku_id__in=list(sku_ids))
    available = {}
    for sku_id, warehouse_id, on_hand, reserved in stock.values_list(
        "sku_id", "warehouse_id", "on_hand", "reserved"
    ):
        available[sku_id, warehouse_id] = max(on_hand - reserved, 0)
    coming = in_transit(sku_ids=sku_ids, warehouse_ids=list(index))
    # Draft transfers count as if done: a second click does not suggest the same moves.
    drafts = TransferOrderLine.objects.filter(order__status=TransferStatus.DRAFT)
    if sku_ids is not None:
        drafts = drafts.filter(sku_id__in=list(sku_ids))
    planned = list(
        drafts.values_list("sku_id", "order__from_warehouse_id", "order__to_warehouse_id").annotate(
            units=Sum("quantity")
        )
    )
    skus = sorted(
        {s for s, _ in demand}
        | {s for s, _ in available}
        | {s for s, _ in coming}
        | {p[0] for p in planned}
    )
    if not skus:
        return Plan(warehouses, [], days)
    row = {s: n for n, s in enumerate(skus)}
    position = np.zeros((len(skus), len(warehouses)), dtype=np.int64)
    rate = np.zeros((len(skus), len(warehouses)))
    for (s, w), units in available.items():
        position[row[s], index[w]] += units
    for (s, w), units in coming.items():
        position[row[s], index[w]] += units
    for s, source, target_w, units in planned:
        if source in index:
            position[row[s], index[source]] -= units
        if target_w in index:
            position[row[s], index[target_w]] += units
    position = np.maximum(position, 0)
    for (s, w), units in demand.items():
        rate[row[s], index[w]] = units / DEMAND_DAYS
    target = np.ceil(rate * days - 1e-9).astype(np.int64)
    cost = unit_costs(warehouses)
    moves = solve(position, target, cost, shortfall_penalty())
    moving = np.nonzero(moves.sum(axis=(1, 2)))[0]
    codes = dict(Sku.objects.filter(pk__in=[skus[r] for r in moving]).values_list("pk", "code"))
    suggestions = []
    for r in moving:
        after = position[r] - moves[r].sum(axis=1) + moves[r].sum(axis=0)
        suggestion = Suggestion(
            sku_id=skus[r],
            sku_code=codes.get(skus[r], ""),
            rates=[round(x, 2) for x in rate[r]],
            cover_before=[_cover(u, x) for u, x in zip(position[r], rate[r], strict=True)],
            cover_after=[_cover(u, x) for u, x in zip(after, rate[r], strict=True)],
        )
        for i, j in zip(*np.nonzero(moves[r]), strict=True):
            suggestion.moves.append(
                Move(warehouses[i], warehouses[j], int(moves[r, i, j]), float(cost[i, j]))
            )
        suggestions.append(suggestion)
    return Plan(warehouses, suggestions, days)


def create_transfers(*, actor, sku_ids=None, now=None) -> list:
    """Turn the plan (for `sku_ids`, or all) into draft transfer orders: one per
    (from, to) pair, a line per SKU. Recomputed from the data now, so it matches what
    the page would show at this moment."""
    plan = suggest(sku_ids=sku_ids, now=now)
    grouped = defaultdict(list)
    for suggestion in plan.suggestions:
        for move in suggestion.moves:
            grouped[move.from_warehouse.pk, move.to_warehouse.pk].append(
                {"sku_id": suggestion.sku_id, "quantity": move.units}
            )
    return [
        transfers.create_transfer(
            actor=actor,
            from_warehouse_id=source,
            to_warehouse_id=target,
            lines=lines,
            note="调配建议",
        )  # fmt: skip
        for (source, target), lines in sorted(grouped.items())
    ]

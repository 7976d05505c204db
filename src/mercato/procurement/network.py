"""Warehouse network planning (仓储中心规划): which warehouse should serve which province,
what a change does to shipping cost and delivery days, and where a new warehouse would
help most.

It lives in procurement, not inventory: it reads orders (the demand) and fulfillment's
carriers (rates and promised days), which sit above inventory in the app layers. The
answer is written back through inventory.serving.assign_provinces, the assignment the
reservation step reads (inventory.allocation.rank_warehouses).

**Demand**: orders placed in the period (not cancelled) per delivery province, and their
mean weight (orders.selectors.demand_by_province).

**Lane** (warehouse → province): the carrier the shop's rules choose for a parcel of the
province's mean weight (fulfillment.carriers.CarrierBook.choose: the cheapest meeting the
promise unless a rule says otherwise), its fee and promised days. A rate card or service
level row for that origin warehouse is the carrier's own quote and used as it is. Rows for
any origin are the carrier's national price to the province; for them the distance
between the origin's and the province's capitals picks a zone (ZONES, setting
MERCATO_NETWORK_ZONES) that scales the fee and adds or takes days (at least 1). A planned
site (a province capital without a warehouse) has no rows of its own, so always zones.

**Assignment**: every province to exactly one warehouse, minimising
Σ orders × (fee + day weight × days) with the day weight in ¥ per order and day (setting
MERCATO_NETWORK_DAY_WEIGHT, changeable on the page), optionally with a cap on the share
of orders a warehouse may take. A mixed-integer programme (scipy.optimize.milp, HiGHS),
one binary per (warehouse, province) lane.
"""

import math
import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from scipy.optimize import LinearConstraint, milp
from scipy.sparse import csr_matrix, vstack

from mercato.core.errors import DomainError, ValidationFailed
from mercato.core.money import to_fen
from mercato.core.regions import mainland_provinces
from mercato.fulfillment.carriers import CarrierBook
from mercato.inventory.allocation import (
    CAPITALS,
    WarehouseInfo,
    distance_km,
    load_warehouses,
    rank_warehouses,
)
from mercato.inventory.serving import served_version
from mercato.orders.selectors import demand_by_province

DEFAULT_DAYS = 90
DEFAULT_WEIGHT_G = 1000  # a province without orders: a parcel of the first weight
# (up to km, fee factor, days added); same province is the first row, distance 0.
ZONES = ((0, 0.75, -1), (800, 0.9, 0), (1600, 1.0, 0), (math.inf, 1.15, 1))
# Provinces without orders still need a warehouse: a tiny weight ranks their lanes.
TIE_WEIGHT = 1e-3


class NoWarehouse(DomainError):
    code = "no_warehouse"
    status = 409


def day_weight() -> float:
    return float(getattr(settings, "MERCATO_NETWORK_DAY_WEIGHT", 2.0))


def zones():
    return tuple(getattr(settings, "MERCATO_NETWORK_ZONES", ZONES))


def zone_for(origin: str, province: str):
    """(fee factor, days added) of the zone between two provinces' capitals."""
    km = 0.0 if origin == province else distance_km(origin, province)
    for upto, factor, days in zones():
        if km <= upto:
            return factor, days
    return zones()[-1][1:]


@dataclass(frozen=True)
class Lane:
    cost: float  # ¥ per order
    days: int
    carrier: str  # carrier code, "" when no carrier delivers
    estimated: bool  # True: from a national rate and the zone


NO_LANE = Lane(math.inf, 99, "", True)


def lane(book: CarrierBook, *, warehouse_id, origin: str, province: str, weight_g: int) -> Lane:
    choice = book.choose(warehouse_id=warehouse_id, province=province, weight_g=weight_g,
                         cod=False)  # fmt: skip
    if choice is None:
        return NO_LANE
    own_rate = (
        warehouse_id is not None and (choice.carrier.pk, warehouse_id, province) in book.rates
    )
    own_days = (
        warehouse_id is not None and (choice.carrier.pk, warehouse_id, province) in book.levels
    )
    factor, extra = zone_for(origin, province)
    fee = choice.fee if own_rate else to_fen(choice.fee * Decimal(str(factor)))
    days = choice.days or 7
    if not own_days:
        days = max(1, days + extra)
    return Lane(float(fee), int(days), choice.carrier.code, not (own_rate and own_days))


# --- The solver ------------------------------------------------------------------------


def solve(orders, cost, days, *, weight: float, caps=None, km=None) -> np.ndarray:
    """The warehouse index per province minimising Σ orders × (cost + weight × days).

    orders: [P] orders per province; cost, days: [W, P] per order (inf cost: no lane);
    caps: [W] most orders a warehouse may take (inf or None: no limit); km: [W, P]
    distances that break ties (equal lanes: the nearer warehouse, so a province without
    orders goes to a neighbour, not to any of the equally priced far ones). Raises
    NoWarehouse when some province has no lane or the caps leave no assignment.
    """
    orders = np.asarray(orders, dtype=float)
    cost = np.asarray(cost, dtype=float)
    w_count, p_count = cost.shape
    allowed = np.isfinite(cost)
    if w_count == 0 or not allowed.any(axis=0).all():
        raise NoWarehouse(_("A province has no warehouse that can deliver to it."))
    wi, pi = np.nonzero(allowed)
    c = (orders[pi] + TIE_WEIGHT) * (cost[wi, pi] + weight * np.asarray(days, float)[wi, pi])
    if km is not None:
        c = c + TIE_WEIGHT * 1e-6 * np.asarray(km, float)[wi, pi]
    n = len(wi)
    rows = [csr_matrix((np.ones(n), (pi, np.arange(n))), shape=(p_count, n))]
    lower, upper = [np.ones(p_count)], [np.ones(p_count)]
    caps = np.full(w_count, np.inf) if caps is None else np.asarray(caps, dtype=float)
    capped = np.nonzero(np.isfinite(caps))[0]
    if len(capped):
        pick = np.isin(wi, capped)
        row_of = {w: r for r, w in enumerate(capped)}
        rows.append(
            csr_matrix(
                (orders[pi[pick]], ([row_of[w] for w in wi[pick]], np.nonzero(pick)[0])),
                shape=(len(capped), n),
            )
        )
        lower.append(np.full(len(capped), -np.inf))
        upper.append(caps[capped])

    constraint = LinearConstraint(
        vstack(rows).tocsr(), np.concatenate(lower), np.concatenate(upper)
    )
    # A gap of 0: the proven optimum, not one within HiGHS's default 0.01 %.
    result = milp(
        c, constraints=constraint, integrality=np.ones(n), bounds=(0, 1),
        options={"mip_rel_gap": 0},
    )  # fmt: skip
    if result.status != 0 or result.x is None:
        raise NoWarehouse(
            _("No assignment fits the warehouses' limits: raise a limit or add a warehouse.")
        )
    chosen = np.rint(result.x).astype(bool)
    assignment = np.full(p_count, -1, dtype=np.int64)
    assignment[pi[chosen]] = wi[chosen]
    return assignment


def objective(assignment, orders, cost, days, *, weight: float) -> float:
    """Σ orders × (cost + weight × days) of an assignment (inf when a lane is missing)."""
    p = np.arange(len(orders))
    lane_cost = (
        np.asarray(cost, float)[assignment, p] + weight * np.asarray(days, float)[assignment, p]
    )
    return float(((np.asarray(orders, float) + TIE_WEIGHT) * lane_cost).sum())


# --- Plans from the data ---------------------------------------------------------------


@dataclass
class Figures:
    cost: float  # ¥ over the period
    mean_days: float | None  # per order
    orders: int


@dataclass
class Row:
    province: str
    orders: int
    current: WarehouseInfo | None
    proposed: WarehouseInfo
    current_lane: Lane | None
    proposed_lane: Lane

    @property
    def changed(self) -> bool:
        return self.current is None or self.current.id != self.proposed.id

    @property
    def saving(self) -> float:
        if self.current_lane is None:
            return 0.0
        return round(self.orders * (self.current_lane.cost - self.proposed_lane.cost), 2)


@dataclass
class Candidate:
    province: str  # the new site is this province's capital
    figures: Figures
    cost_saving: float
    days_saving: float | None
    takes: list[str]  # provinces it would serve


@dataclass
class Plan:
    since: object
    until: object
    weight: float
    warehouses: list[WarehouseInfo]
    caps: dict[int, float]  # warehouse id → most share of orders (0..1)
    rows: list[Row]
    current: Figures
    proposed: Figures
    candidates: list[Candidate] = field(default_factory=list)
    version: str = ""
    seconds: float = 0.0  # solver time, all MILPs

    @property
    def changes(self) -> list[Row]:
        return [r for r in self.rows if r.changed]


def figures(orders, lanes: list[Lane]) -> Figures:
    total = sum(orders)
    cost = sum(n * ln.cost for n, ln in zip(orders, lanes, strict=True))
    day_sum = sum(n * ln.days for n, ln in zip(orders, lanes, strict=True))
    return Figures(round(cost, 2), round(day_sum / total, 2) if total else None, total)


def check_period(days) -> int:
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 7 <= days <= 730:
        raise ValidationFailed({"days": [_("Choose a period of 7 to 730 days.")]})
    return days


def plan_network(
    *, days: int = DEFAULT_DAYS, weight: float | None = None, caps=None, candidates=True,
    now=None,
) -> Plan:  # fmt: skip
    """The current assignment (the warehouse the reservation step tries first for each
    province), the optimal one, both costed, and each province capital without a
    warehouse evaluated as a new site. `caps`: {warehouse id: most share of orders}."""
    days = check_period(days)
    weight = day_weight() if weight is None else float(weight)
    if not 0 <= weight <= 1000:
        raise ValidationFailed({"weight": [_("The weight of a day is ¥0 to ¥1,000 per order.")]})
    caps = dict(caps or {})
    if any(not 0 < share <= 1 for share in caps.values()):
        raise ValidationFailed(
            {"caps": [_("A warehouse's share is above 0 and at most 100 percent.")]}
        )
    warehouses = load_warehouses()
    if not warehouses:
        raise NoWarehouse(_("There is no active warehouse: add one first."))
    until = now or timezone.now()
    since = until - timedelta(days=days)
    provinces = list(mainland_provinces())
    demand = demand_by_province(since=since, until=until)
    orders = [demand.get(p, (0, 0))[0] for p in provinces]
    grams = [
        round(g / n) if n else DEFAULT_WEIGHT_G
        for n, g in (demand.get(p, (0, 0)) for p in provinces)
    ]
    book = CarrierBook.load()
    lanes = [
        [lane(book, warehouse_id=w.id, origin=w.province, province=p, weight_g=g)
         for p, g in zip(provinces, grams, strict=True)]
        for w in warehouses
    ]  # fmt: skip
    cost = np.array([[ln.cost for ln in row] for row in lanes])
    day_m = np.array([[ln.days for ln in row] for row in lanes])
    total = sum(orders)
    cap_arr = np.array([caps.get(w.id, math.inf) * total for w in warehouses], dtype=float)
    started = time.perf_counter()
    km = distances([w.province for w in warehouses], provinces)
    proposed = solve(orders, cost, day_m, weight=weight, caps=cap_arr, km=km)
    seconds = time.perf_counter() - started
    index = {w.id: i for i, w in enumerate(warehouses)}
    rows, current_lanes = [], []
    for j, p in enumerate(provinces):
        first = rank_warehouses(warehouses=warehouses, province=p)[0]
        current = first if p in first.serves else None
        cur_lane = lanes[index[current.id]][j] if current else None
        current_lanes.append(cur_lane or NO_LANE)
        rows.append(
            Row(p, orders[j], current, warehouses[proposed[j]], cur_lane, lanes[proposed[j]][j])
        )
    plan = Plan(
        since=since, until=until, weight=weight, warehouses=warehouses, caps=caps, rows=rows,
        current=_current_figures(rows, orders, warehouses, lanes, index),
        proposed=figures(orders, [r.proposed_lane for r in rows]),
        version=served_version(),
    )  # fmt: skip
    if candidates:
        extra, spent = evaluate_sites(
            book, warehouses, provinces, orders, grams, cost, day_m, weight=weight, caps=cap_arr,
            base=plan.proposed,
        )  # fmt: skip
        plan.candidates = extra
        seconds += spent
    plan.seconds = seconds
    return plan


def _current_figures(rows, orders, warehouses, lanes, index) -> Figures:
    """Today's cost: a province nobody serves ships from the nearest warehouse (what the
    reservation step does), so it is costed from there."""
    used = []
    for j, r in enumerate(rows):
        if r.current_lane is not None:
            used.append(r.current_lane)
        else:
            nearest = rank_warehouses(warehouses=warehouses, province=r.province)[0]
            used.append(lanes[index[nearest.id]][j])
    return figures(orders, used)


def evaluate_sites(book, warehouses, provinces, orders, grams, cost, day_m, *, weight, caps, base):
    """Each province capital without an active warehouse, as one more warehouse (no
    limit): the optimal plan with it, its cost and mean days against `base`."""
    have = {w.province for w in warehouses}
    result, spent = [], 0.0
    for site in provinces:
        if site in have or site not in CAPITALS:
            continue
        row = [lane(book, warehouse_id=None, origin=site, province=p, weight_g=g)
               for p, g in zip(provinces, grams, strict=True)]  # fmt: skip
        c = np.vstack([cost, [ln.cost for ln in row]])
        d = np.vstack([day_m, [ln.days for ln in row]])
        started = time.perf_counter()
        km = distances([*(w.province for w in warehouses), site], provinces)
        assignment = solve(orders, c, d, weight=weight, caps=np.append(caps, math.inf), km=km)
        spent += time.perf_counter() - started
        new = len(warehouses)
        lanes = [
            row[j] if assignment[j] == new else _lane_of(c, d, assignment[j], j)
            for j in range(len(provinces))
        ]
        fig = figures(orders, lanes)
        days_saving = (
            round(base.mean_days - fig.mean_days, 2)
            if base.mean_days is not None and fig.mean_days is not None
            else None
        )
        result.append(
            Candidate(
                province=site,
                figures=fig,
                cost_saving=round(base.cost - fig.cost, 2),
                days_saving=days_saving,
                takes=[p for j, p in enumerate(provinces) if assignment[j] == new],
            )  # fmt: skip
        )
    result.sort(key=lambda c: (-(c.cost_saving + weight * (c.days_saving or 0) * base.orders),
                               c.province))  # fmt: skip
    return result, spent


def distances(origins, provinces) -> np.ndarray:
    return np.array(
        [[0.0 if o == p else min(distance_km(o, p), 5000.0) for p in provinces] for o in origins]
    )


def _lane_of(cost, days, w, j) -> Lane:
    return Lane(float(cost[w, j]), int(days[w, j]), "", False)

"""Supply-chain KPIs (供应链指标, issue 14 part 9), computed from what the other apps
record, read through their selectors (no tables of its own):

- days of inventory and stock turnover per warehouse and per category: stock on hand at
  moving-average cost against the cost of the units shipped in the period;
- order cycle time per stage (placed → approved → picked → packed → shipped →
  delivered) from the orders' status events, p50 and p90 in hours;
- fill rate: units shipped ÷ units ordered on paid orders that left the warehouse's hands;
- supplier lead time: purchase order sent → last receipt, in days;
- warehouse utilisation: bins holding stock ÷ bins;
- capital tied up in stock at cost; slow movers.

docs/inventory.md ("Supply-chain KPIs") defines each figure.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mercato.inventory import selectors as stock
from mercato.orders import selectors as orders
from mercato.orders.models import OrderStatus
from mercato.procurement import selectors as procurement

# Stages of the order cycle: (name, from status, to status); "placed" is the order's time.
STAGES = (
    (_("Placed → approved"), "placed", OrderStatus.APPROVED),
    (_("Approved → picked"), OrderStatus.APPROVED, OrderStatus.PICKING),
    (_("Picked → packed"), OrderStatus.PICKING, OrderStatus.PACKED),
    (_("Packed → shipped"), OrderStatus.PACKED, OrderStatus.SHIPPED),
    (_("Shipped → delivered"), OrderStatus.SHIPPED, OrderStatus.DELIVERED),
    (_("Placed → delivered"), "placed", OrderStatus.DELIVERED),
)
PERIODS = (30, 90, 180, 365)
SLOW_COVER_DAYS = 180
ONE = Decimal("0.1")


def percentile(values, q: float) -> float | None:
    """The q-th percentile (0–100) with linear interpolation between the sorted values
    (numpy's default): p50 of [1, 2, 3, 10] is 2.5. None for no values."""
    if not values:
        return None
    return float(np.percentile(np.asarray(values, dtype=float), q))


def _round(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(ONE, ROUND_HALF_UP)


@dataclass
class Row:
    """One line of a KPI table: a name and its figures."""

    name: str
    figures: dict = field(default_factory=dict)


@dataclass
class SupplyKpis:
    days: int
    turnover_by_warehouse: list[Row]
    turnover_by_category: list[Row]
    cycle: list[Row]
    fill_rate: Decimal | None
    units_ordered: int
    units_shipped: int
    lead_times: list[Row]
    utilisation: list[Row]
    capital: Decimal
    slow: list[dict]


def turnover(*, by: str, days: int, now=None) -> list[Row]:
    """Per warehouse or category: value on hand at cost, cost of goods shipped in the
    last `days`, days of inventory (value ÷ cost shipped a day) and stock turnover a year
    (cost shipped a year ÷ value). Days and turns are None when nothing shipped or nothing
    is held."""
    shipped = stock.shipped_at_cost(by=by, days=days, now=now)
    rows = []
    for held in stock.stock_at_cost(by=by):
        cogs = shipped.get(held["key"], {}).get("value", Decimal(0))
        value = held["value"]
        rows.append(
            Row(
                str(held["name"]),
                {
                    "units": held["units"],
                    "value": value,
                    "cogs": cogs,
                    "days_of_inventory": _round(value * days / cogs) if cogs else None,
                    "turns": _round(cogs * 365 / days / value) if value else None,
                },
            )
        )
    return rows


def cycle_times(*, since, until) -> list[Row]:
    """Per stage: the orders that went through it, p50 and p90 of its duration in hours."""
    wanted = {s for _n, a, b in STAGES for s in (a, b) if s != "placed"}
    times = orders.first_status_times(since=since, until=until, statuses=wanted)
    rows = []
    for name, start, end in STAGES:
        hours = [
            (t[end] - t[start]).total_seconds() / 3600
            for t in times.values()
            if start in t and end in t and t[end] >= t[start]
        ]
        rows.append(
            Row(
                str(name),
                {
                    "orders": len(hours),
                    "p50": _round(percentile(hours, 50)),
                    "p90": _round(percentile(hours, 90)),
                },
            )  # fmt: skip
        )
    return rows


def lead_times(*, since) -> list[Row]:
    """Per supplier: purchase orders received in full, mean, p50 and p90 of the days from
    sending to the last receipt."""
    by_supplier: dict[str, list[float]] = {}
    for name, days in procurement.supplier_lead_times(since=since):
        by_supplier.setdefault(name, []).append(days)
    return [
        Row(name, {"orders": len(d), "mean": _round(sum(d) / len(d)),
                   "p50": _round(percentile(d, 50)), "p90": _round(percentile(d, 90))})
        for name, d in sorted(by_supplier.items())
    ]  # fmt: skip


def utilisation() -> list[Row]:
    rows = []
    for r in stock.bin_usage():
        share = _round(Decimal(r["used"]) * 100 / r["bins"]) if r["bins"] else None
        rows.append(Row(r["name"], {"bins": r["bins"], "used": r["used"], "share": share}))
    return rows


def supply_kpis(*, days: int = 90, now=None) -> SupplyKpis:
    """Every supply-chain KPI over the last `days` (stock figures as they are now)."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    by_warehouse = turnover(by="warehouse", days=days, now=now)
    ordered, shipped = orders.units_filled(since=since, until=now)
    return SupplyKpis(
        days=days,
        turnover_by_warehouse=by_warehouse,
        turnover_by_category=turnover(by="category", days=days, now=now),
        cycle=cycle_times(since=since, until=now),
        fill_rate=_round(Decimal(shipped) * 100 / ordered) if ordered else None,
        units_ordered=ordered,
        units_shipped=shipped,
        lead_times=lead_times(since=since),
        utilisation=utilisation(),
        capital=sum((r.figures["value"] for r in by_warehouse), Decimal("0.00")),
        slow=stock.slow_movers(days=days, cover_limit=SLOW_COVER_DAYS, now=now),
    )


def table(kpis: SupplyKpis) -> list[list]:
    """Every figure as rows of (section, name, measure, value): the CSV/XLSX download."""
    rows: list[list] = [[str(_("Header")), str(_("Period (days)")), "", kpis.days]]
    sections = (
        (_("Turnover by warehouse"), kpis.turnover_by_warehouse),
        (_("Turnover by category"), kpis.turnover_by_category),
        (_("Order cycle time (hours)"), kpis.cycle),
        (_("Supplier lead time (days)"), kpis.lead_times),
        (_("Warehouse utilisation"), kpis.utilisation),
    )
    for section, items in sections:
        for row in items:
            for measure, value in row.figures.items():
                rows.append([str(section), row.name, measure, "" if value is None else value])
    rows.append(
        [str(_("Fill rate")), "", "percent", "" if kpis.fill_rate is None else kpis.fill_rate]
    )
    rows.append([str(_("Capital tied up at cost")), "", "value", kpis.capital])
    for s in kpis.slow:
        rows.append([str(_("Slow movers")), s["code"], "value", s["value"]])
    return rows

"""The margin report (毛利报表, issue 14 part 5): revenue, cost of goods at moving-average
cost, gross margin and margin % over a date range, per day or month, category, brand,
SKU and warehouse, with refunds netted. Read from the other apps' selectors (no tables).

How a sold line is costed (docs/finance.md, "Margin report"):
- revenue is the line total less its share of the order's discounts, less what refunds
  of the line took back (every refund but a failed one); shipping fees are not goods;
- its cost is the units that left for good × the SKU's moving-average cost recorded on
  the line when the order was placed (`OrderLine.unit_cost`). Units refunded with a
  restock, or returned and found resaleable, came back and cost nothing; damaged returns
  and refunds without the goods stay a cost;
- a line placed before costs were recorded (or recorded at 0) is costed at the SKU's
  moving-average cost today and counted as *estimated*; when that is 0 too the units are
  *uncosted*: the report flags them rather than counting them as free.
- the sale belongs to the day it was placed (Asia/Shanghai), refunds included: a refund
  later corrects the period of the sale, not the period it was paid back in.
- a line's warehouse is where its units were reserved (and shipped); a line split
  between warehouses is shared in proportion to the units; lines with no reservation
  (imported history) fall under "No warehouse recorded".
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from mercato.aftersales import selectors as returns
from mercato.core.days import days_bounds
from mercato.inventory import selectors as stock
from mercato.orders import selectors as orders
from mercato.payments import selectors as payments

ZERO = Decimal("0.00")
FEN = Decimal("0.01")
MAX_DAYS = 366
DAILY_UP_TO = 62  # longer ranges are charted per month
GROUPINGS = {
    "category": pgettext_lazy("margin report", "Category"),
    "brand": pgettext_lazy("margin report", "Brand"),
    "sku": pgettext_lazy("margin report", "SKU"),
    "warehouse": pgettext_lazy("margin report", "Warehouse"),
    "period": pgettext_lazy("margin report", "Day or month"),
}


@dataclass
class Figures:
    units: int = 0  # sold, less units refunded
    revenue: Decimal = ZERO
    cost: Decimal = ZERO
    estimated_units: int = 0  # costed at today's moving average (no cost recorded at sale)
    uncosted_units: int = 0  # no cost known at all: counted as 0, flagged

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost

    @property
    def margin_pct(self) -> Decimal | None:
        if not self.revenue:
            return None
        return (self.margin * 100 / self.revenue).quantize(Decimal("0.1"), ROUND_HALF_UP)

    def add(self, other: "Figures") -> None:
        self.units += other.units
        self.revenue += other.revenue
        self.cost += other.cost
        self.estimated_units += other.estimated_units
        self.uncosted_units += other.uncosted_units


@dataclass
class Row:
    key: object
    name: str
    figures: Figures = field(default_factory=Figures)
    code: str = ""  # the SKU code on SKU rows


@dataclass
class MarginReport:
    start: date
    end: date
    monthly: bool
    total: Figures
    groups: dict[str, list[Row]]  # grouping -> rows, the largest revenue first
    uncosted: list[Row]  # SKUs with units that have no cost


def check_range(start: date | None, end: date | None) -> dict[str, str]:
    """Errors of a date range by field name: both needed, start not after end, at most
    MAX_DAYS days. Empty when it is fine."""
    if start is None or end is None:
        return {}
    if start > end:
        return {"end": _("The end date is before the start date.")}
    if (end - start).days + 1 > MAX_DAYS:
        return {"end": _("Choose a range of at most %(days)s days.") % {"days": MAX_DAYS}}
    return {}


def _line_figures(line: dict, refunded: dict, resaleable: int) -> Figures:
    quantity = line["quantity"]
    back = min(quantity, refunded.get("restocked", 0) + resaleable)
    kept = quantity - back
    unit_cost, estimated = line["unit_cost"], False
    if not unit_cost:
        unit_cost, estimated = line["current_cost"] or ZERO, True
    return Figures(
        units=quantity - refunded.get("units", 0),
        revenue=line["revenue"] - refunded.get("amount", ZERO),
        cost=unit_cost * kept,
        estimated_units=kept if estimated and unit_cost else 0,
        uncosted_units=kept if not unit_cost else 0,
    )


def _shares(figures: Figures, weights: list[int]) -> list[Figures]:
    """`figures` split in proportion to `weights`, to the fen and the unit; the last share
    takes what rounding left, so the shares add up exactly."""
    total = sum(weights)
    out, left = [], Figures()
    left.add(figures)
    for w in weights[:-1]:
        part = Figures(
            units=figures.units * w // total,
            revenue=(figures.revenue * w / total).quantize(FEN, ROUND_HALF_UP),
            cost=(figures.cost * w / total).quantize(FEN, ROUND_HALF_UP),
            estimated_units=figures.estimated_units * w // total,
            uncosted_units=figures.uncosted_units * w // total,
        )
        out.append(part)
        left.units -= part.units
        left.revenue -= part.revenue
        left.cost -= part.cost
        left.estimated_units -= part.estimated_units
        left.uncosted_units -= part.uncosted_units
    return [*out, left]


def margin_report(*, start: date, end: date) -> MarginReport:
    """The report over the local days start..end inclusive, in four queries: the sold
    lines, their refunds, their resaleable returns and their warehouses."""
    since, until = days_bounds(start, end)
    lines = orders.sold_lines(since=since, until=until)
    refunded, back, split = {}, {}, {}
    if lines:  # the other three read the same lines and orders through subqueries
        ids = orders.sold_line_ids(since=since, until=until)
        refunded = payments.refunded_by_line(order_lines=ids)
        back = returns.resaleable_by_line(order_lines=ids)
        numbers = orders.sold_orders(since=since, until=until).values("number")
        split = stock.reserved_warehouses(references=numbers)
    monthly = (end - start).days + 1 > DAILY_UP_TO
    no_brand, no_category = _("No brand"), _("No category")
    no_warehouse = _("No warehouse recorded")
    groups: dict[str, dict] = {name: {} for name in GROUPINGS}
    total = Figures()

    def add(grouping: str, key, name: str, figures: Figures, code: str = "") -> None:
        row = groups[grouping].get(key)
        if row is None:
            row = groups[grouping][key] = Row(key, name, code=code)
        row.figures.add(figures)

    for line in lines:
        figures = _line_figures(line, refunded.get(line["id"], {}), back.get(line["id"], 0))
        total.add(figures)
        day = timezone.localtime(line["placed_at"]).date()
        period = day.replace(day=1) if monthly else day
        add("period", period, period.strftime("%Y-%m" if monthly else "%Y-%m-%d"), figures)
        add("category", line["category_id"], line["category"] or no_category, figures)
        add("brand", line["brand_id"], line["brand"] or no_brand, figures)
        add("sku", line["sku_code"], line["product_name"], figures, code=line["sku_code"])
        where = split.get((line["number"], line["sku_id"]), [])
        if not where:
            add("warehouse", None, no_warehouse, figures)
            continue
        parts = _shares(figures, [units for _name, units in where])
        for (name, _units), part in zip(where, parts, strict=True):
            add("warehouse", name, name, part)
    ordered = {
        name: sorted(rows.values(), key=lambda r: (-r.figures.revenue, r.name, r.code))
        for name, rows in groups.items()
    }
    ordered["period"] = sorted(groups["period"].values(), key=lambda r: r.key)
    uncosted = [r for r in ordered["sku"] if r.figures.uncosted_units]
    return MarginReport(start, end, monthly, total, ordered, uncosted)


def table(report: MarginReport) -> list[list]:
    """Every grouping's rows: grouping, code, name, units, revenue, cost, margin,
    margin %, units costed at today's average, units without a cost (the download)."""
    rows = []
    for grouping, label in GROUPINGS.items():
        for r in report.groups[grouping]:
            f = r.figures
            rows.append([str(label), r.code, r.name, f.units, f.revenue, f.cost, f.margin,
                         "" if f.margin_pct is None else f.margin_pct, f.estimated_units,
                         f.uncosted_units])  # fmt: skip
    f = report.total
    rows.append([pgettext("margin report", "Total"), "", "", f.units, f.revenue, f.cost, f.margin,
                 "" if f.margin_pct is None else f.margin_pct, f.estimated_units,
                 f.uncosted_units])  # fmt: skip
    return rows

"""The supply-chain KPI dashboard (供应链指标, analytics.supply): turnover and days of
inventory, order cycle time per stage, fill rate, supplier lead time, warehouse
utilisation, capital tied up and slow movers, with bar charts and a CSV/XLSX download."""

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from mercato.analytics import supply

from .access import staff_view
from .charts import bar_chart
from .downloads import table_download

VIEW = "inventory.view_stock"


def _days(request) -> int:
    value = request.GET.get("days", "")
    return int(value) if value.isdigit() and int(value) in supply.PERIODS else 90


def _download(kpis, fmt: str):
    return table_download(
        fmt=fmt, header=[_("Section"), _("Name"), _("Measure"), _("Value")],
        rows=supply.table(kpis), sheet=_("Supply-chain KPIs"),
        name=f"supply-kpis-{timezone.localdate():%Y%m%d}",
    )  # fmt: skip


@staff_view(VIEW)
def supply_kpis(request):
    kpis = supply.supply_kpis(days=_days(request))
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        return _download(kpis, fmt)
    charts = {
        "doi": bar_chart(
            rows=[(r.name, [r.figures["days_of_inventory"]]) for r in kpis.turnover_by_warehouse],
            series=[_("Days of inventory")],
        ),
        "cycle": bar_chart(
            rows=[(r.name, [r.figures["p50"], r.figures["p90"]]) for r in kpis.cycle],
            series=[_("Median"), _("90th percentile")],
        ),  # fmt: skip
        "bins": bar_chart(
            rows=[(r.name, [r.figures["share"]]) for r in kpis.utilisation],
            series=[_("Bins used")],
            suffix="%",
        ),  # fmt: skip
    }
    context = {"kpis": kpis, "charts": charts, "periods": supply.PERIODS}
    return render(request, "backoffice/analytics/supply.html", context)

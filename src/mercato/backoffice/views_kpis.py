"""The supply-chain KPI dashboard (供应链指标, analytics.supply): turnover and days of
inventory, order cycle time per stage, fill rate, supplier lead time, warehouse
utilisation, capital tied up and slow movers, with bar charts and a CSV/XLSX download."""

import io

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from mercato.analytics import supply
from mercato.core.tables import write_table

from .access import staff_view
from .charts import bar_chart

VIEW = "inventory.view_stock"


def _days(request) -> int:
    value = request.GET.get("days", "")
    return int(value) if value.isdigit() and int(value) in supply.PERIODS else 90


def _download(kpis, fmt: str) -> HttpResponse:
    rows = supply.table(kpis)
    if fmt == "xlsx":  # numbers as numbers in the sheet
        rows = [[v if isinstance(v, int | str) else float(v) for v in row] for row in rows]
    body = io.BytesIO()
    write_table(
        body, fmt=fmt, header=[_("Section"), _("Name"), _("Measure"), _("Value")], rows=rows,
        sheet=_("Supply-chain KPIs")[:31],
    )  # fmt: skip
    content_type = {
        "csv": "text/csv",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }[fmt]
    response = HttpResponse(body.getvalue(), content_type=content_type)
    name = f"supply-kpis-{timezone.localdate():%Y%m%d}"
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


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

"""The margin report (毛利报表, analytics.margins): revenue, cost of goods at moving-average
cost and gross margin over a date range, per category, brand, SKU, warehouse and day or
month, with a chart and a CSV/XLSX download. Finance, operations and procurement leads."""

from datetime import timedelta

from django import forms
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mercato.analytics import margins

from .access import staff_view
from .charts import line_chart
from .downloads import table_download

VIEW = "orders.view_margin"
DEFAULT_DAYS = 30
PAGE_ROWS = 200  # rows of a grouping on the page; the download has all


class RangeForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    by = forms.ChoiceField(
        label=gettext_lazy("Group by"), required=False,
        choices=[(k, v) for k, v in margins.GROUPINGS.items()],
    )  # fmt: skip

    def clean(self):
        data = super().clean()
        for name, message in margins.check_range(data.get("start"), data.get("end")).items():
            self.add_error(name, message)
        return data

    def period(self):
        """(start, end, grouping): the last DEFAULT_DAYS days and categories by default."""
        data = self.cleaned_data
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:  # only a start given, after today
            end = start
        return start, end, data.get("by") or "category"


def _download(report, fmt: str):
    header = [_("Grouping"), _("SKU code"), _("Name"), _("Units"), _("Revenue"),
              _("Cost of goods"), _("Gross margin"), _("Margin %"),
              _("Units costed at today's average"), _("Units without a cost")]  # fmt: skip
    return table_download(
        fmt=fmt, header=header, rows=margins.table(report), sheet=_("Margin report"),
        name=f"margins-{report.start:%Y%m%d}-{report.end:%Y%m%d}",
    )  # fmt: skip


def _chart(report) -> dict | None:
    rows = report.groups["period"]
    points = {
        _("Revenue"): [(r.key, r.figures.revenue, f"{r.name}: ¥{r.figures.revenue}") for r in rows],
        # Cost rather than margin, which can go below the chart's zero: the gap is the margin.
        _("Cost of goods"): [(r.key, r.figures.cost, f"{r.name}: ¥{r.figures.cost}") for r in rows],
    }
    return line_chart(x_values=[r.key for r in rows], series=list(points.items()), suffix="")


@staff_view(VIEW)
def margin_report(request):
    form = RangeForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "report": None}
        return render(request, "backoffice/analytics/margins.html", context, status=400)
    start, end, by = form.period()
    report = margins.margin_report(start=start, end=end)
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        return _download(report, fmt)
    rows = report.groups[by]
    context = {
        "form": form, "report": report, "by": by, "by_label": margins.GROUPINGS[by],
        "rows": rows[:PAGE_ROWS], "more": max(len(rows) - PAGE_ROWS, 0),
        "chart": _chart(report),
        "query": f"start={start:%Y-%m-%d}&end={end:%Y-%m-%d}&by={by}",
    }  # fmt: skip
    return render(request, "backoffice/analytics/margins.html", context)

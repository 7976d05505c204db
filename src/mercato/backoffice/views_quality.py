"""Quality review (质检) and agents' KPIs (客服绩效) in the back office (客服部): the QA queue
with its weekly sampling, the scoring form beside the contact's conversation, and the KPI
page (charts per agent and the team over time, and the numbers). Changes go through
mercato.service.qa; figures come from mercato.service.kpis."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from mercato.core.errors import DomainError
from mercato.service import kpis, qa
from mercato.service.models import QA_RUBRIC, QaReview, QaStatus

from .access import staff_view
from .charts import line_chart
from .forms_range import DateRangeForm
from .messages_i18n import add_errors_to_form
from .views_service import agents

REVIEW, KPIS = "service.review_quality", "service.view_agent_kpis"
PAGE_SIZE = 30
MAX_DAYS = 366
CRITERIA = {
    "greeting": gettext_lazy("Greeting"),
    "accuracy": gettext_lazy("Accuracy"),
    "policy": gettext_lazy("Policy"),
    "tone": gettext_lazy("Tone"),
    "resolution": gettext_lazy("Resolution"),
}


class QaFilterForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    agent = forms.ChoiceField(label=gettext_lazy("Agent"), required=False)
    week = forms.DateField(
        label=gettext_lazy("Week of"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Any status")), *QaStatus.choices]
        self.fields["agent"].choices = [("", _("Anyone")), *[(str(u.pk), str(u)) for u in agents()]]


@staff_view(REVIEW)
def qa_queue(request):
    form = QaFilterForm(request.GET or {"status": QaStatus.SAMPLED})
    data = form.cleaned_data if form.is_valid() else {}
    rows = QaReview.objects.select_related("ticket", "agent", "reviewer")
    if data.get("status"):
        rows = rows.filter(status=data["status"])
    if data.get("agent"):
        rows = rows.filter(agent_id=data["agent"])
    if data.get("week"):
        rows = rows.filter(week=qa.monday(data["week"]))
    page = Paginator(rows.order_by("-week", "agent_id", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    this_week = qa.monday(timezone.localdate())
    return render(
        request,
        "backoffice/service/qa_queue.html",
        {"form": form, "page": page, "last_week": this_week - timedelta(days=7),
         "this_week": this_week, "share": round(qa.sample_share() * 100),
         "pass_mark": qa.pass_mark()},
    )  # fmt: skip


class SampleForm(forms.Form):
    week = forms.DateField()


@require_POST
@staff_view(REVIEW)
def qa_sample(request):
    form = SampleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the week to sample."))
    else:
        made = qa.sample_week(week=form.cleaned_data["week"])
        messages.success(request, _("%(n)s contacts sampled.") % {"n": made})
    return redirect("backoffice:qa_queue")


class ScoreForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Coaching note"), required=False, max_length=qa.MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 4}),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = {
            name: forms.IntegerField(
                label=f"{CRITERIA[name]} (0–{top})", min_value=0, max_value=top
            )
            for name, top in QA_RUBRIC
        }
        self.fields = {**fields, "note": self.fields["note"]}


@staff_view(REVIEW)
def qa_review(request, review_id: int):
    review = get_object_or_404(
        QaReview.objects.select_related("ticket", "agent", "reviewer"), pk=review_id
    )
    initial = {name: getattr(review, name) for name, _top in QA_RUBRIC}
    form = ScoreForm(request.POST or None, initial={**initial, "note": review.note})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                scored = qa.score_review(
                    actor=request.user, review_id=review.pk,
                    scores={name: data[name] for name, _top in QA_RUBRIC}, note=data["note"],
                )  # fmt: skip
            except DomainError as exc:
                add_errors_to_form(form, exc)
            else:
                verdict = _("passed") if scored.passed else _("failed")
                messages.success(
                    request,
                    _("Scored %(total)s: %(verdict)s.") % {"total": scored.total,
                                                           "verdict": verdict},
                )  # fmt: skip
                return redirect("backoffice:qa_queue")
        status = 400
    messages_ = review.ticket.messages.select_related("author").order_by("created_at", "pk")
    return render(
        request,
        "backoffice/service/qa_review.html",
        {"review": review, "form": form, "thread": messages_, "pass_mark": qa.pass_mark(),
         "own": review.agent_id == request.user.pk},
        status=status,
    )  # fmt: skip


# KPIs --------------------------------------------------------------------------------------
class KpiForm(DateRangeForm):
    period = forms.ChoiceField(
        label=gettext_lazy("Per"), required=False,
        choices=[(kpis.DAY, pgettext_lazy("kpi period", "day")),
                 (kpis.WEEK, pgettext_lazy("kpi period", "week"))],
    )  # fmt: skip

    def values(self):
        data = self.cleaned_data if self.is_valid() else {}
        period = data.get("period") or kpis.WEEK
        default_days = 84 if period == kpis.WEEK else 14
        since, until = self.dates(default_days=default_days, max_days=MAX_DAYS)
        return since, until, period


# The figures drawn, each a chart: (attribute of kpis.Figures, title, y suffix).
CHARTS = [
    ("contacts", gettext_lazy("Contacts"), ""),
    ("first_response_median", gettext_lazy("First response, median minutes"), ""),
    ("satisfaction", gettext_lazy("Satisfaction (callbacks, 1–5)"), ""),
    ("bad_rate", gettext_lazy("Bad-contact rate (%)"), "%"),
    ("phone_orders", gettext_lazy("Phone orders"), ""),
]


def kpi_charts(report, names: dict) -> list[dict]:
    keys = [(kpis.TEAM, _("Team"))] + [(a, names.get(a, str(a))) for a in report.agent_ids]
    charts = []
    for attribute, title, suffix in CHARTS:
        series = [
            (
                label,
                [
                    (b, value, f"{label} {b:%Y-%m-%d}: {value}")
                    for b in report.buckets
                    for value in [getattr(report.get(agent, b), attribute)]
                ],
            )
            for agent, label in keys
        ]
        chart = line_chart(x_values=report.buckets, series=series, suffix=suffix)
        charts.append({"id": f"kpi-{attribute.replace('_', '-')}", "title": title, "chart": chart})
    return charts


@staff_view(KPIS)
def kpi_page(request):
    form = KpiForm(request.GET or None)
    since, until, period = form.values()
    report = kpis.agent_kpis(since=since, until=until, period=period)
    names = {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=report.agent_ids)}
    rows = [(_("Team"), report.get(kpis.TEAM, kpis.ALL))] + [
        (names.get(a, a), report.get(a, kpis.ALL)) for a in report.agent_ids
    ]
    return render(
        request,
        "backoffice/service/kpis.html",
        {"form": form, "since": since, "until": until, "rows": rows,
         "charts": kpi_charts(report, names)},
    )  # fmt: skip

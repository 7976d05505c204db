"""Delivery audit (配送稽核) and cash-on-delivery remittance pages: carriers' scorecards with
a chart of on-time rates by week, the late-parcel list customer service calls from, the
penalty rules and penalties (CSV for finance), and the remittance files finance uploads
with what matched, was short-paid, missing or unexpected."""

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mercato.aftersales.models import ReturnRequest, ReturnStatus
from mercato.core.errors import DomainError, ValidationFailed
from mercato.fulfillment import audit, cod
from mercato.fulfillment.models import (
    Carrier,
    PenaltyKind,
    PenaltyRule,
    Remittance,
    RemittanceLine,
)
from mercato.fulfillment.selectors import queue_counts

from .access import forbidden, staff_view
from .charts import line_chart
from .forms_range import DateRangeForm
from .messages_i18n import add_errors_to_form, message_of

AUDIT = "fulfillment.view_delivery_audit"
PENALTIES = "fulfillment.manage_penalties"
EXPORT = "fulfillment.export_penalties"
COD = "fulfillment.reconcile_cod"
PAGE_SIZE = 50
MAX_DAYS = 366


class PeriodForm(DateRangeForm):
    carrier = forms.ModelChoiceField(
        label=gettext_lazy("Carrier"), queryset=Carrier.objects.all(), required=False,
        empty_label=gettext_lazy("Every carrier"),
    )  # fmt: skip

    def period(self, default_days: int = 84):
        since, until = self.dates(default_days=default_days, max_days=MAX_DAYS)
        return since, until, self.cleaned_data.get("carrier") if self.is_valid() else None


def on_time_chart(scores, carriers: dict) -> dict | None:
    """On-time rate (0-100 %) per week, one line per carrier."""
    scores = [s for s in scores if s.on_time_rate is not None]
    series = [
        (
            str(carriers.get(carrier_id, carrier_id)),
            [
                (
                    s.week,
                    s.on_time_rate,
                    f"{carriers.get(carrier_id, carrier_id)} "
                    f"{s.week:%Y-%m-%d}: {s.on_time_rate}% ({s.on_time}/{s.on_time + s.late})",
                )
                for s in scores
                if s.carrier_id == carrier_id
            ],
        )  # fmt: skip
        for carrier_id in sorted({s.carrier_id for s in scores})
    ]
    weeks = sorted({s.week for s in scores})
    return line_chart(x_values=weeks, series=series, grid=[0, 50, 80, 100], suffix="%")


@staff_view(AUDIT)
def delivery_audit(request):
    """Scorecards per carrier and per carrier and province for a period, with the weekly
    on-time chart."""
    form = PeriodForm(request.GET or None)
    since, until, carrier = form.period()
    carrier_id = carrier.pk if carrier else None
    carriers = audit.carrier_names()
    totals = audit.scorecard(since=since, until=until, carrier_id=carrier_id, by_province=False)
    regions = audit.scorecard(since=since, until=until, carrier_id=carrier_id)
    weekly = audit.scorecard(
        since=since, until=until, carrier_id=carrier_id, by_province=False, by_week=True
    )
    return render(
        request,
        "backoffice/logistics/audit.html",
        {
            "form": form, "since": since, "until": until, "carriers": carriers,
            "totals": [(carriers.get(s.carrier_id), s) for s in totals],
            "regions": [(carriers.get(s.carrier_id), s) for s in regions],
            "chart": on_time_chart(weekly, carriers),
        },
    )  # fmt: skip


class LateForm(forms.Form):
    carrier = forms.ModelChoiceField(
        label=gettext_lazy("Carrier"), queryset=Carrier.objects.all(), required=False,
        empty_label=gettext_lazy("Every carrier"),
    )  # fmt: skip
    province = forms.CharField(label=gettext_lazy("Province"), required=False, max_length=20)


@staff_view(AUDIT)
def late_parcels(request):
    """Parcels with the carrier past their promised day, the most overdue first."""
    form = LateForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    carrier = data.get("carrier")
    today = timezone.localdate()
    parcels = audit.late_parcels(
        today=today, carrier_id=carrier.pk if carrier else None, province=data.get("province", "")
    )
    page = Paginator(parcels, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(p, audit.days_late(p, today)) for p in page.object_list]
    return render(
        request, "backoffice/logistics/late.html", {"form": form, "page": page, "rows": rows}
    )


class PenaltyRuleForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=PenaltyKind.choices)
    min_days_late = forms.IntegerField(
        label=gettext_lazy("Late by more than (days)"), min_value=0, max_value=365, initial=0,
        required=False, help_text=gettext_lazy("Late rules only."),
    )  # fmt: skip
    fine = forms.DecimalField(
        label=gettext_lazy("Fine per parcel (¥)"), min_value=Decimal("0.01"), decimal_places=2
    )
    carrier = forms.ModelChoiceField(
        label=gettext_lazy("Carrier"), queryset=Carrier.objects.all(), required=False,
        empty_label=gettext_lazy("Every carrier"),
    )  # fmt: skip


@staff_view(AUDIT)
def penalties(request):
    """The penalty rules (the lead adds and switches them) and the penalties of a period,
    exported as CSV for finance."""
    may_edit = request.user.has_perm(PENALTIES)
    rule_form = PenaltyRuleForm(request.POST or None)
    if request.method == "POST":
        if not may_edit:
            return forbidden(request)
        if rule_form.is_valid():
            data = rule_form.cleaned_data
            try:
                audit.save_penalty_rule(
                    actor=request.user, kind=data["kind"], fine=data["fine"],
                    min_days_late=data["min_days_late"] or 0,
                    carrier_id=data["carrier"].pk if data["carrier"] else None,
                )  # fmt: skip
            except DomainError as exc:
                add_errors_to_form(rule_form, exc)
            else:
                messages.success(request, _("Penalty rule added."))
                return redirect("backoffice:penalties")
    period = PeriodForm(request.GET or None)
    since, until, carrier = period.period(default_days=31)
    carrier_id = carrier.pk if carrier else None
    if request.GET.get("export") == "csv":
        if not request.user.has_perm(EXPORT):
            return forbidden(request)
        data = audit.export_penalties_csv(
            actor=request.user, since=since, until=until, carrier_id=carrier_id
        )
        response = HttpResponse(data, content_type="text/csv; charset=utf-8")
        name = f"penalties-{since:%Y%m%d}-{until:%Y%m%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    rows = audit.penalties(since=since, until=until, carrier_id=carrier_id)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/logistics/penalties.html",
        {
            "rules": PenaltyRule.objects.select_related("carrier"),
            "rule_form": rule_form, "may_edit": may_edit, "period": period,
            "since": since, "until": until, "page": page,
            "may_export": request.user.has_perm(EXPORT),
        },
    )  # fmt: skip


@require_POST
@staff_view(PENALTIES)
def penalty_rule_toggle(request, rule_id: int):
    rule = get_object_or_404(PenaltyRule, pk=rule_id)
    try:
        audit.save_penalty_rule(
            actor=request.user, rule_id=rule.pk, kind=rule.kind, fine=rule.fine,
            min_days_late=rule.min_days_late, carrier_id=rule.carrier_id,
            is_active=not rule.is_active,
        )  # fmt: skip
    except DomainError as exc:
        messages.error(request, message_of(exc))
    return redirect("backoffice:penalties")


# Cash on delivery ------------------------------------------------------------------------
class RemittanceForm(forms.Form):
    carrier = forms.ModelChoiceField(
        label=gettext_lazy("Carrier"), queryset=Carrier.objects.filter(supports_cod=True)
    )
    file = forms.FileField(
        label=gettext_lazy("Remittance file (CSV)"),
        help_text=gettext_lazy("One row per parcel: its waybill number and the amount remitted."),
    )


@staff_view(COD)
def remittances(request):
    """Upload a carrier's remittance file; the files so far; delivered COD parcels no
    file has paid (missing)."""
    form = RemittanceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            remittance = cod.import_remittance(
                actor=request.user, carrier_code=form.cleaned_data["carrier"].code,
                file=upload, filename=upload.name,
            )  # fmt: skip
        except ValidationFailed as exc:
            # Each bad row named ("row 3.amount: ..."): the file is corrected and sent again.
            for field, problems in exc.field_errors.items():
                for problem in problems:
                    if field in form.fields:
                        form.add_error(field, problem)
                    else:
                        form.add_error(None, f"{field}: {problem}")
        except DomainError as exc:
            add_errors_to_form(form, exc)
        else:
            return redirect("backoffice:remittance_detail", remittance_id=remittance.pk)
    files = Paginator(
        Remittance.objects.select_related("carrier", "uploaded_by"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    missing = cod.missing_remittances()
    return render(
        request,
        "backoffice/logistics/remittances.html",
        {"form": form, "page": files, "missing": missing[:PAGE_SIZE],
         "missing_count": missing.count()},
    )  # fmt: skip


@staff_view(COD)
def remittance_detail(request, remittance_id: int):
    remittance = get_object_or_404(Remittance.objects.select_related("carrier"), pk=remittance_id)
    outcome = request.GET.get("outcome", "")
    lines = RemittanceLine.objects.filter(remittance=remittance).select_related("shipment__order")
    if outcome in RemittanceLine.Outcome.values:
        lines = lines.filter(outcome=outcome)
    counts = dict(
        RemittanceLine.objects.filter(remittance=remittance)
        .values_list("outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    page = Paginator(lines, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/logistics/remittance.html",
        {"remittance": remittance, "page": page, "outcome": outcome,
         "counts": [(value, label, counts.get(value, 0))
                    for value, label in RemittanceLine.Outcome.choices]},
    )  # fmt: skip


# The department's home: its queues -------------------------------------------------------
@dataclass(frozen=True)
class Queue:
    code: str
    label: str
    count: int
    url: str
    urgent: bool = False


def department_queues(user) -> list[Queue]:
    """The order-processing queues the user may work on, with their counts and links:
    to review, to put in a wave, to pack, to ship, late parcels, refused parcels on their
    way back, returns waiting (shown on the workspace's home)."""
    perms = {
        "review": user.has_perm("fulfillment.review_order"),
        "waves": user.has_perm("fulfillment.manage_waves"),
        "pack": user.has_perm("fulfillment.pack_parcel"),
        "ship": user.has_perm("fulfillment.ship_parcel"),
        "audit": user.has_perm(AUDIT),
        "returns": user.has_perm("aftersales.view_returnrequest"),
    }
    if not any(perms.values()):
        return []
    counts = queue_counts()
    queues = []
    if perms["review"]:
        queues.append(
            Queue(
                "to_review", _("To review"), counts["to_review"], reverse("backoffice:review_queue")
            )
        )
    if perms["waves"]:
        queues.append(
            Queue(
                "to_wave",
                _("To pick (no wave yet)"),
                counts["to_wave"],
                reverse("backoffice:wave_list"),
            )
        )
    if perms["pack"]:
        queues.append(
            Queue("to_pack", _("To pack"), counts["to_pack"], reverse("backoffice:pack_station"))
        )
    if perms["ship"]:
        queues.append(
            Queue(
                "to_ship",
                _("Packed, to ship"),
                counts["to_ship"],
                reverse("backoffice:pack_station"),
            )
        )
        queues.append(
            Queue(
                "refused",
                _("Refused, coming back"),
                counts["refused"],
                reverse("backoffice:refused_list"),
            )
        )
    if perms["audit"]:
        queues.append(
            Queue(
                "late", _("Late parcels"), counts["late"], reverse("backoffice:late_parcels"), True
            )
        )
    if perms["returns"]:
        waiting = ReturnRequest.objects.filter(
            status__in=(ReturnStatus.REQUESTED, ReturnStatus.RETURNING, ReturnStatus.RECEIVED)
        ).count()
        queues.append(
            Queue("returns", _("Returns waiting"), waiting, reverse("backoffice:return_list"))
        )
    return queues

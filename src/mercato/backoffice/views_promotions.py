"""Promotions in the website operations workspace (促销活动), beside coupons: the list,
create and edit every kind with a preview of what a sample cart pays, activate and end,
a campaign calendar with China's holidays and shopping festivals (and a promotion copied
onto the next occurrence of one), and each promotion's results with a daily chart."""

from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mercato.core.errors import DomainError, ValidationFailed
from mercato.orders.promotion_results import promotion_results
from mercato.orders.selectors import best_selling_sku_ids
from mercato.promotions import campaign_calendar, services
from mercato.promotions.models import Kind, Promotion, Status
from mercato.promotions.preview import SAMPLE_SIZE, offer_from, preview

from .access import staff_view
from .charts import line_chart
from .messages_i18n import add_errors_to_form, refused

VIEW = "promotions.view_promotion"
CHANGE = "promotions.change_promotion"
LISTED = 100
MAX_SAMPLE_LINES = 20
NUMBERS = (
    "percent", "amount", "min_amount", "nth", "buy_quantity", "get_quantity", "usage_limit",
    "per_customer_limit", "priority",
)  # fmt: skip


def _split(raw: str) -> list[str]:
    for sep in ("，", "、", "\n", ";"):
        raw = raw.replace(sep, ",")
    return [p.strip() for p in raw.split(",") if p.strip()]


class PromotionForm(forms.ModelForm):
    scope_ids = forms.CharField(
        label=gettext_lazy("Product, category or brand ids"),
        required=False,
        help_text=gettext_lazy("Separated by commas; empty for all products."),
    )
    tiers = forms.CharField(
        label=gettext_lazy("Tiers (spend:save)"),
        required=False,
        help_text=gettext_lazy("For spend and save: one tier a line, e.g. 300:40 and 600:90."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    provinces = forms.CharField(
        label=gettext_lazy("Provinces"),
        required=False,
        help_text=gettext_lazy("For free shipping: only to these (separated by 、); empty: all."),
    )
    get_sku_code = forms.CharField(
        label=gettext_lazy("SKU given (code)"),
        required=False,
        help_text=gettext_lazy(
            "For buy X get Y: empty gives the same SKU as bought. For a gift: the gift's SKU."
        ),
    )

    class Meta:
        model = Promotion
        fields = [
            "name", "kind", "percent", "amount", "tiers", "nth", "buy_quantity", "get_quantity",
            "min_amount", "provinces", "scope", "scope_ids", "starts_at", "ends_at", "channel",
            "target", "tier_code", "usage_limit", "per_customer_limit", "priority",
            "exclusive_group", "stackable",
        ]  # fmt: skip
        widgets = {
            "starts_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "ends_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Numbers go to the service as typed: it names what is wrong (negative, over 100%).
        for name in NUMBERS:
            old = self.fields[name]
            self.fields[name] = forms.CharField(
                label=old.label, required=False, help_text=old.help_text
            )
        promotion = self.instance
        if promotion.pk:
            self.initial["scope_ids"] = ", ".join(map(str, promotion.scope_ids or ()))
            self.initial["tiers"] = "\n".join(
                f"{t['threshold']}:{t['amount']}" for t in promotion.tiers or ()
            )
            self.initial["provinces"] = "、".join(promotion.provinces or ())
            if promotion.get_sku_id:
                self.initial["get_sku_code"] = promotion.get_sku.code

    def _post_clean(self):
        pass  # the service validates (and names the field); the model is not saved here

    def clean_scope_ids(self):
        parts = _split(self.cleaned_data.get("scope_ids") or "")
        if not all(p.isdigit() for p in parts):
            raise forms.ValidationError(_("Enter ids as whole numbers separated by commas."))
        return [int(p) for p in parts]

    def clean_tiers(self):
        tiers = []
        for part in _split(self.cleaned_data.get("tiers") or ""):
            spend, sep, save = part.replace("：", ":").partition(":")
            if not sep:
                raise forms.ValidationError(_("Write each tier as spend:save, e.g. 300:40."))
            tiers.append({"threshold": spend.strip(), "amount": save.strip()})
        return tiers

    def clean_provinces(self):
        return _split(self.cleaned_data.get("provinces") or "")

    def clean_get_sku_code(self):
        from mercato.catalog.models import Sku

        code = (self.cleaned_data.get("get_sku_code") or "").strip()
        if not code:
            return None
        sku = Sku.objects.filter(code=code).values_list("pk", flat=True).first()
        if sku is None:
            raise forms.ValidationError(_("There is no SKU with this code."))
        return sku

    def service_fields(self) -> dict:
        fields = dict(self.cleaned_data)
        fields["get_sku_id"] = fields.pop("get_sku_code", None)
        return fields


def popular_skus() -> list[tuple[int, int]]:
    """The best-selling SKUs, else the first active ones: (sku id, 1) pairs."""
    from mercato.catalog.models import Sku

    ids = best_selling_sku_ids(SAMPLE_SIZE)
    if len(ids) < SAMPLE_SIZE:
        more = Sku.objects.filter(is_active=True, list_price__gt=0).exclude(pk__in=ids)
        ids += list(more.order_by("pk").values_list("pk", flat=True)[: SAMPLE_SIZE - len(ids)])
    return [(pk, 1) for pk in ids]


def _sample_of(raw: str) -> tuple[list[tuple[int, int]], str]:
    """'CODE×2, CODE' → [(sku id, 2), (sku id, 1)]; an error message when a code is
    unknown or a quantity is not a whole number from 1 to 99. Empty: the popular SKUs."""
    from mercato.catalog.models import Sku

    wanted = []
    for part in _split(raw or "")[:MAX_SAMPLE_LINES]:
        code, sep, qty = part.replace("×", "x").replace("*", "x").rpartition("x")
        if not sep or not qty.strip().isdigit():
            code, qty = part, "1"
        if not 1 <= int(qty) <= 99:
            return [], _("A quantity is a whole number from 1 to 99.")
        wanted.append((code.strip(), int(qty)))
    if not wanted:
        return popular_skus(), ""
    ids = dict(Sku.objects.filter(code__in=[c for c, _q in wanted]).values_list("code", "pk"))
    if missing := [c for c, _q in wanted if c not in ids]:
        return [], _("There is no SKU with the code %(codes)s.") % {"codes": "、".join(missing)}
    return [(ids[c], q) for c, q in wanted], ""


def _preview_context(offer, raw_sample: str) -> dict:
    sample, error = _sample_of(raw_sample)
    if error:
        return {"sample_error": error, "sample": raw_sample}
    if not sample:
        return {"sample_error": _("There are no SKUs to price yet."), "sample": raw_sample}
    result = preview(offer=offer, sample=sample)
    rows = [
        {"line": line, "alone": alone, "together": together}
        for line, alone, together in zip(
            result.lines,
            result.alone.line_discounts,
            result.together.line_discounts,
            strict=True,
        )
    ]
    return {"preview": result, "preview_rows": rows, "sample": raw_sample}


@staff_view(VIEW)
def promotion_list(request):
    promotions = Promotion.objects.order_by("-starts_at", "-pk")
    status, kind = request.GET.get("status", ""), request.GET.get("kind", "")
    if status in Status.values:
        promotions = promotions.filter(status=status)
    if kind in Kind.values:
        promotions = promotions.filter(kind=kind)
    context = {
        "promotions": promotions[:LISTED],
        "statuses": Status.choices,
        "kinds": Kind.choices,
        "status": status,
        "kind": kind,
        "now": timezone.now(),
    }
    return render(request, "backoffice/promotions/list.html", context)


@staff_view(CHANGE)
def promotion_edit(request, promotion_id: int | None = None):
    promotion = get_object_or_404(Promotion, pk=promotion_id) if promotion_id else None
    if promotion is not None and promotion.status == Status.ENDED:
        messages.error(request, _("An ended promotion cannot be changed."))
        return redirect("backoffice:promotion", promotion_id=promotion.pk)
    form = PromotionForm(instance=promotion)
    context = {"form": form, "promotion": promotion}
    if request.method == "POST":
        form = PromotionForm(request.POST, instance=promotion)
        context["form"] = form
        if form.is_valid():
            fields = form.service_fields()
            try:
                if "preview" in request.POST:
                    clean = services.clean_promotion(fields, instance=promotion)
                    offer = offer_from(clean, pk=promotion.pk if promotion else None)
                    context |= _preview_context(offer, request.POST.get("sample", ""))
                elif promotion is None:
                    promotion = services.create_promotion(actor=request.user, **fields)
                else:
                    services.update_promotion(
                        promotion_id=promotion.pk, actor=request.user, **fields
                    )
            except DomainError as exc:
                add_errors_to_form(form, exc, aliases={"get_sku_id": "get_sku_code"})
            else:
                if "preview" not in request.POST:
                    messages.success(request, _("The promotion was saved."))
                    return redirect("backoffice:promotion", promotion_id=promotion.pk)
    return render(request, "backoffice/promotions/form.html", context)


def _results_chart(results):
    if not results.days:
        return None
    first, last = min(results.days), max(results.days)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def points(attr):
        return [
            (d, getattr(results.days[d], attr) if d in results.days else 0, f"{d}: ¥{v}")
            for d in days
            for v in [getattr(results.days[d], attr) if d in results.days else 0]
        ]

    return line_chart(
        x_values=days,
        series=[
            (_("Revenue"), points("revenue")),
            (_("Discount given"), points("discount")),
            (_("Margin after discount"), points("margin")),
        ],
    )


@staff_view(VIEW)
def promotion_detail(request, promotion_id: int):
    promotion = get_object_or_404(Promotion.objects.select_related("get_sku"), pk=promotion_id)
    results = promotion_results(promotion_id=promotion.pk)
    context = {
        "promotion": promotion,
        "events": list(promotion.events.select_related("actor")),
        "results": results,
        "chart": _results_chart(results),
        "occasions": campaign_calendar.occasion_keys(),
        "can_change": request.user.has_perm(CHANGE),
    }
    if "sample" in request.GET:
        offer = offer_from({n: getattr(promotion, n) for n in services.FIELDS}, pk=promotion.pk)
        context |= _preview_context(offer, request.GET.get("sample", ""))
    return render(request, "backoffice/promotions/detail.html", context)


@staff_view(CHANGE)
@require_POST
def promotion_status(request, promotion_id: int):
    to = request.POST.get("to", "")
    back = redirect("backoffice:promotion", promotion_id=promotion_id)
    get_object_or_404(Promotion, pk=promotion_id)
    try:
        services.change_status(promotion_id=promotion_id, to_status=to, actor=request.user, note="")
    except DomainError as exc:
        return refused(request, exc, back)
    done = _("The promotion is running.") if to == Status.ACTIVE else _("The promotion ended.")
    messages.success(request, done)
    return back


@staff_view(CHANGE)
@require_POST
def promotion_recur(request, promotion_id: int):
    """A draft copy on the next occurrence of the chosen holiday or shopping festival."""
    back = redirect("backoffice:promotion", promotion_id=promotion_id)
    get_object_or_404(Promotion, pk=promotion_id)
    try:
        copy = campaign_calendar.schedule_recurring(
            promotion_id=promotion_id,
            occasion_key=request.POST.get("occasion", ""),
            actor=request.user,
        )
    except ValidationFailed as exc:
        return refused(request, exc, back)
    messages.success(request, _("A draft was scheduled for the holiday; check it and activate it."))
    return redirect("backoffice:promotion", promotion_id=copy.pk)


def _month_of(raw: str) -> date:
    try:
        year, month = (int(p) for p in raw.split("-"))
        return date(year, month, 1)
    except (TypeError, ValueError):
        return timezone.localdate(timezone.now(), campaign_calendar.SHANGHAI).replace(day=1)


@staff_view(VIEW)
def promotion_calendar(request):
    first = _month_of(request.GET.get("month", ""))
    view = campaign_calendar.month_view(first.year, first.month)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    context = {
        **view,
        "previous": f"{previous:%Y-%m}",
        "following": f"{following:%Y-%m}",
        "columns": len(view["days"]),
    }
    return render(request, "backoffice/promotions/calendar.html", context)

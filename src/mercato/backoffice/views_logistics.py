"""Picking, packing and shipping for 采购及物流部's order processors: waves and their pick
lists, the packing station (scan each item; a wrong item is refused with a sound and a
red flash), shipping, the printed documents, tracking uploads, carriers, refused parcels.
"""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mercato.core.errors import DomainError
from mercato.fulfillment import bulk, packing, pdfs, shipping, tracking, waves
from mercato.fulfillment.models import (
    BoxSize,
    BulkJob,
    Carrier,
    ChoiceRule,
    Shipment,
    ShipmentStatus,
    Wave,
)
from mercato.fulfillment.setup import add_choice_rule
from mercato.inventory.models import Warehouse

from .access import forbidden, staff_view
from .messages_i18n import add_errors_to_form, message_of
from .views_bulk import start_in_background

WAVES = "fulfillment.manage_waves"
PACK = "fulfillment.pack_parcel"
SHIP = "fulfillment.ship_parcel"
PAGE_SIZE = 50


class WaveForm(forms.Form):
    warehouse = forms.ModelChoiceField(
        label=gettext_lazy("Warehouse"), queryset=Warehouse.objects.filter(is_active=True),
        required=False, empty_label=gettext_lazy("Every warehouse"),
    )  # fmt: skip
    carrier = forms.ModelChoiceField(
        label=gettext_lazy("Carrier"), queryset=Carrier.objects.filter(is_active=True),
        required=False, empty_label=gettext_lazy("Every carrier"),
    )  # fmt: skip
    cutoff = forms.DateTimeField(
        label=gettext_lazy("Cut-off"),
        required=False,
        help_text=gettext_lazy("Parcels allocated up to this time; empty: now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    max_parcels = forms.IntegerField(
        label=gettext_lazy("Parcels per wave"), min_value=1, max_value=5000, initial=200
    )


def _pdf(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@staff_view(WAVES)
def wave_list(request):
    form = WaveForm(request.POST or None, initial={"max_parcels": 200})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        params = {
            "warehouse_id": data["warehouse"].pk if data["warehouse"] else None,
            "carrier_id": data["carrier"].pk if data["carrier"] else None,
            "cutoff": data["cutoff"] or timezone.now(),
            "max_parcels": data["max_parcels"],
        }
        waiting_count = waves.waiting_parcels(
            warehouse_id=params["warehouse_id"], carrier_id=params["carrier_id"],
            cutoff=params["cutoff"],
        ).count()  # fmt: skip
        if bulk.runs_in_background(waiting_count):
            return start_in_background(request, action=BulkJob.Action.WAVES, params=params)
        try:
            summary = waves.create_waves(actor=request.user, **params)
        except DomainError as exc:
            if exc.status == 403:
                return forbidden(request)
            add_errors_to_form(form, exc)
        else:
            if summary.waves:
                messages.success(
                    request,
                    _("%(w)s waves with %(p)s parcels created.")
                    % {"w": len(summary.waves), "p": summary.parcels},
                )
            else:
                messages.info(request, _("No allocated parcel waits for a wave."))
            return redirect("backoffice:wave_list")
    waiting = (
        Shipment.objects.filter(status=ShipmentStatus.ALLOCATED, order__on_hold=False)
        .values("warehouse__name", "carrier__name")
        .annotate(n=Count("id"))
        .order_by("warehouse__name", "carrier__name")
    )
    wave_rows = Wave.objects.select_related("warehouse", "carrier").annotate(
        packed=Count("shipments", filter=Q(shipments__status__in=("packed", "shipped")))
    )
    status = request.GET.get("status", Wave.Status.OPEN)
    if status in Wave.Status.values:
        wave_rows = wave_rows.filter(status=status)
    page = Paginator(wave_rows.order_by("-created_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"form": form, "waiting": waiting, "page": page, "status": status,
               "statuses": Wave.Status.choices}  # fmt: skip
    return render(
        request, "backoffice/logistics/waves.html", context, status=400 if form.errors else 200
    )


@staff_view(WAVES)
def wave_detail(request, wave_id: int):
    wave = get_object_or_404(Wave.objects.select_related("warehouse", "carrier"), pk=wave_id)
    parcels = list(
        Shipment.objects.filter(wave=wave).select_related("order", "carrier").order_by("pk")
    )
    context = {
        "wave": wave,
        "rows": waves.pick_list(wave=wave),
        "parcels": parcels,
        "packed": [p for p in parcels if p.status == ShipmentStatus.PACKED],
    }
    return render(request, "backoffice/logistics/wave.html", context)


@staff_view(WAVES)
def wave_pick_list_pdf(request, wave_id: int):
    wave = get_object_or_404(Wave.objects.select_related("warehouse", "carrier"), pk=wave_id)
    return _pdf(pdfs.pick_list_pdf(wave=wave), f"pick-list-{wave.number}.pdf")


@require_POST
@staff_view(WAVES)
def wave_cancel(request, wave_id: int):
    try:
        waves.cancel_wave(actor=request.user, wave_id=wave_id)
    except DomainError as exc:
        messages.error(request, message_of(exc))
        return redirect("backoffice:wave_detail", wave_id=wave_id)
    messages.success(request, _("The wave is cancelled; its parcels wait for another."))
    return redirect("backoffice:wave_list")


# Packing --------------------------------------------------------------------------------------
class FinishForm(forms.Form):
    weight_g = forms.IntegerField(label=gettext_lazy("Weight (g)"), min_value=1, max_value=100_000)
    box = forms.ChoiceField(label=gettext_lazy("Box"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["box"].choices = [("", "—")] + [
            (b.code, f"{b.name} ({b.length_mm}×{b.width_mm}×{b.height_mm})")
            for b in BoxSize.objects.filter(is_active=True)
        ]


@staff_view(PACK)
def pack_station(request):
    """Scan (or type) a parcel number or waybill number to open it for packing."""
    code = (request.GET.get("parcel") or "").strip().upper()
    if code:
        parcel = Shipment.objects.filter(Q(number=code) | Q(waybill_no=code)).only("pk").first()
        if parcel is not None:
            return redirect("backoffice:pack_parcel", shipment_id=parcel.pk)
        messages.error(request, _("No parcel %(code)s.") % {"code": code})
    picking = (
        Shipment.objects.filter(status=ShipmentStatus.PICKING)
        .select_related("wave", "warehouse")
        .order_by("wave_id", "pk")[:100]
    )
    return render(request, "backoffice/logistics/pack_station.html", {"picking": picking})


def _pack_context(shipment, **extra):
    lines = list(shipment.lines.select_related("sku__product").order_by("pk"))
    return {
        "parcel": shipment,
        "lines": lines,
        "done": all(line.packed >= line.quantity for line in lines),
        "suggested": packing.suggest_box(shipment=shipment),
        "finish_form": extra.pop("finish_form", None) or FinishForm(),
        **extra,
    }


@staff_view(PACK)
def pack_parcel(request, shipment_id: int):
    shipment = get_object_or_404(
        Shipment.objects.select_related("order", "carrier", "warehouse", "wave"), pk=shipment_id
    )
    context = _pack_context(shipment)
    if context["suggested"] and not context["finish_form"].is_bound:
        context["finish_form"] = FinishForm(initial={"box": context["suggested"].code})
    return render(request, "backoffice/logistics/pack.html", context)


@require_POST
@staff_view(PACK)
def pack_scan(request, shipment_id: int):
    """One scan (htmx): the lines again, with a green or red message; 409 for a wrong
    item (the page plays the error sound and flashes)."""
    shipment = get_object_or_404(Shipment.objects.select_related("order"), pk=shipment_id)
    code = request.POST.get("code", "")
    status, feedback = 200, {}
    try:
        result = packing.scan_item(actor=request.user, shipment_id=shipment.pk, code=code)
    except DomainError as exc:
        if exc.status == 403:
            return forbidden(request)
        status = 409 if exc.status == 409 else 400
        feedback = {"error": message_of(exc), "code": code}
    else:
        feedback = {
            "ok": _("%(sku)s: %(n)s of %(q)s")
            % {"sku": result.line.sku.code, "n": result.line.packed, "q": result.line.quantity}
        }
    shipment.refresh_from_db()
    context = _pack_context(shipment, feedback=feedback)
    template = (
        "backoffice/logistics/_pack_lines.html"
        if request.htmx
        else "backoffice/logistics/pack.html"
    )
    return render(request, template, context, status=status)


@require_POST
@staff_view(PACK)
def pack_finish(request, shipment_id: int):
    shipment = get_object_or_404(Shipment.objects.select_related("order"), pk=shipment_id)
    form = FinishForm(request.POST)
    if form.is_valid():
        try:
            done = packing.finish_packing(
                actor=request.user, shipment_id=shipment.pk,
                weight_g=form.cleaned_data["weight_g"], box_code=form.cleaned_data["box"],
            )  # fmt: skip
        except DomainError as exc:
            if exc.status == 403:
                return forbidden(request)
            add_errors_to_form(form, exc, {"parcel": None, "box": "box"})
        else:
            messages.success(
                request,
                _("Parcel %(n)s packed: waybill %(w)s.") % {"n": done.number, "w": done.waybill_no},
            )
            return redirect("backoffice:pack_station")
    shipment.refresh_from_db()
    return render(
        request,
        "backoffice/logistics/pack.html",
        _pack_context(shipment, finish_form=form),
        status=400,
    )


@staff_view(PACK)
def parcel_slip_pdf(request, shipment_id: int):
    shipment = get_object_or_404(Shipment.objects.select_related("order"), pk=shipment_id)
    return _pdf(pdfs.packing_slip_pdf(shipment=shipment), f"slip-{shipment.number}.pdf")


@staff_view(PACK)
def parcel_waybill_pdf(request, shipment_id: int):
    shipment = get_object_or_404(
        Shipment.objects.select_related("order", "carrier", "warehouse"), pk=shipment_id
    )
    if not shipment.waybill_no:
        raise Http404("The parcel has no waybill number yet (pack it first)")
    return _pdf(pdfs.waybills_pdf(shipments=[shipment]), f"waybill-{shipment.waybill_no}.pdf")


@staff_view(PACK)
def wave_waybills_pdf(request, wave_id: int):
    wave = get_object_or_404(Wave, pk=wave_id)
    parcels = list(
        Shipment.objects.filter(wave=wave, waybill_no__isnull=False)
        .select_related("order", "carrier", "warehouse")
        .order_by("pk")
    )
    if not parcels:
        raise Http404("No packed parcel in this wave")
    return _pdf(pdfs.waybills_pdf(shipments=parcels), f"waybills-{wave.number}.pdf")


@require_POST
@staff_view(SHIP)
def ship(request):
    ids = [int(pk) for pk in request.POST.getlist("parcel") if pk.isdigit()]
    if bulk.runs_in_background(len(ids)):
        return start_in_background(request, action=BulkJob.Action.SHIP, item_ids=ids)
    try:
        shipped = shipping.ship_parcels(actor=request.user, shipment_ids=ids)
    except DomainError as exc:
        if exc.status == 403:
            return forbidden(request)
        messages.error(request, message_of(exc))
    else:
        messages.success(request, _("%(n)s parcels handed to the carrier.") % {"n": shipped})
    return redirect(request.POST.get("next") or reverse("backoffice:wave_list"))


# Tracking, carriers, refused parcels ----------------------------------------------------------
class TrackingUploadForm(forms.Form):
    carrier = forms.ModelChoiceField(
        label=gettext_lazy("Carrier"), queryset=Carrier.objects.filter(is_active=True)
    )
    file = forms.FileField(label=gettext_lazy("Tracking file (CSV)"))


@staff_view("fulfillment.upload_tracking")
def tracking_upload(request):
    form = TrackingUploadForm(request.POST or None, request.FILES or None)
    result, status = None, 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                result = tracking.upload_tracking_csv(
                    actor=request.user, carrier_code=form.cleaned_data["carrier"].code,
                    file=form.cleaned_data["file"],
                )  # fmt: skip
                status = 200
            except DomainError as exc:
                if exc.status == 403:
                    return forbidden(request)
                add_errors_to_form(form, exc)
                for e in exc.errors():
                    if e["field"] not in form.fields:
                        form.add_error(None, f"{e['field']}: {e['message']}")
    return render(
        request,
        "backoffice/logistics/tracking_upload.html",
        {"form": form, "result": result},
        status=status,
    )


class RuleForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Rule"), choices=ChoiceRule.Kind.choices)
    priority = forms.IntegerField(
        label=gettext_lazy("Priority"), min_value=1, max_value=999, initial=100
    )
    province = forms.CharField(label=gettext_lazy("Province"), max_length=20, required=False)
    carrier = forms.ModelChoiceField(
        label=gettext_lazy("Carrier"), queryset=Carrier.objects.all(), required=False
    )
    fee = forms.DecimalField(
        label=gettext_lazy("Fee"), min_value=0, decimal_places=2, initial=0, required=False
    )


@staff_view("fulfillment.manage_carriers")
def carrier_list(request):
    form = RuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            add_choice_rule(
                actor=request.user,
                kind=data["kind"],
                priority=data["priority"],
                province=data["province"],
                carrier_code=data["carrier"].code if data["carrier"] else "",
                fee=data["fee"] or "0.00",
            )
        except DomainError as exc:
            if exc.status == 403:
                return forbidden(request)
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Rule added."))
            return redirect("backoffice:carrier_list")
    carriers = Carrier.objects.annotate(
        rate_count=Count("rates", distinct=True),
        level_count=Count("levels", distinct=True),
    )
    context = {
        "carriers": carriers.order_by("code"),
        "rules": ChoiceRule.objects.select_related("carrier", "warehouse").order_by(
            "priority", "id"
        ),
        "boxes": BoxSize.objects.all(),
        "form": form,
        "webhook": request.build_absolute_uri("/api/carriers/"),
    }
    return render(
        request, "backoffice/logistics/carriers.html", context, status=400 if form.errors else 200
    )


@staff_view(SHIP)
def refused_list(request):
    parcels = (
        Shipment.objects.filter(status=ShipmentStatus.REFUSED)
        .select_related("order", "carrier", "warehouse")
        .order_by("last_event_at", "pk")
    )
    page = Paginator(parcels, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "backoffice/logistics/refused.html", {"page": page})


@require_POST
@staff_view(SHIP)
def refused_receive(request, shipment_id: int):
    try:
        shipping.receive_refused_parcel(actor=request.user, shipment_id=shipment_id)
    except DomainError as exc:
        messages.error(request, message_of(exc))
    else:
        messages.success(request, _("Received back; the goods are in stock again."))
    return redirect("backoffice:refused_list")

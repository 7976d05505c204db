"""Purchase lists (采购名单) in the procurement workspace: the lists, generating one from
the purchase suggestions (in the background, with a progress bar), a list's lines with
the reason for each suggested quantity, editing, adding lines by hand, a chart of one
line's sales and forecast, and turning the list into draft purchase orders."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from mercato.core.errors import DomainError, ValidationFailed
from mercato.core.progress import percent
from mercato.procurement import forecast, planning, purchase_lists
from mercato.procurement.models import PurchaseList, PurchaseListLine, PurchaseListStatus

from .access import staff_view
from .charts import line_chart
from .messages_i18n import refused
from .typed_lines import parse_typed_lines

VIEW = "procurement.view_purchaselist"
ADD = "procurement.add_purchaselist"
CHANGE = "procurement.change_purchaselist"
PAGE_SIZE = 100


def _row_errors(exc: ValidationFailed) -> list[str]:
    """'lines.3' errors as "Row 4: …" (the rows as typed, counted from 1)."""
    out = []
    for key, msgs in exc.field_errors.items():
        prefix = ""
        if key.startswith("lines."):
            prefix = _("Row %(n)s: ") % {"n": int(key.split(".")[1]) + 1}
        out.extend(prefix + _(str(m)) for m in msgs)
    return out


def parse_list_lines(text: str) -> list[dict]:
    """Rows typed as "SKU code, warehouse code, quantity"."""
    lines = parse_typed_lines(
        text, usage=_("Write: SKU code, warehouse code, quantity"), warehouse=True
    )
    if not lines:
        raise ValidationFailed({"lines": [_("Give at least one line")]})
    return lines


def _list_or_404(purchase_list_id: int) -> PurchaseList:
    found = PurchaseList.objects.select_related("created_by").filter(pk=purchase_list_id).first()
    if found is None:
        raise Http404("No such purchase list")
    return found


@staff_view(VIEW)
def purchase_list_index(request):
    rows = PurchaseList.objects.select_related("created_by").annotate(
        line_count=Count("lines"), units=Sum("lines__quantity")
    )
    page = Paginator(rows.order_by("-id"), 50).get_page(request.GET.get("page"))
    return render(
        request, "backoffice/purchase_lists/list.html",
        {"page": page, "may_add": request.user.has_perm(ADD)},
    )  # fmt: skip


@require_POST
@staff_view(ADD)
def purchase_list_generate(request):
    try:
        created = purchase_lists.start_generation(
            actor=request.user, note=request.POST.get("note", "")
        )
    except DomainError as exc:
        return refused(request, exc, redirect("backoffice:purchase_list_index"))
    return redirect("backoffice:purchase_list_detail", purchase_list_id=created.pk)


@require_POST
@staff_view(ADD)
def purchase_list_create(request):
    try:
        created = purchase_lists.create_purchase_list(
            actor=request.user, note=request.POST.get("note", "")
        )
    except DomainError as exc:
        return refused(request, exc, redirect("backoffice:purchase_list_index"))
    return redirect("backoffice:purchase_list_detail", purchase_list_id=created.pk)


@require_POST
@staff_view(ADD)
def purchase_list_retry(request, purchase_list_id: int):
    try:
        purchase_lists.retry_generation(actor=request.user, purchase_list_id=purchase_list_id)
    except DomainError as exc:
        back = redirect("backoffice:purchase_list_detail", purchase_list_id=purchase_list_id)
        return refused(request, exc, back)
    return redirect("backoffice:purchase_list_detail", purchase_list_id=purchase_list_id)


def _progress_context(purchase_list: PurchaseList) -> dict:
    finished = purchase_list.status != PurchaseListStatus.GENERATING
    return {
        "purchase_list": purchase_list,
        "stuck": purchase_lists.stuck(purchase_list),
        "percent": percent(
            purchase_list.progress_done, purchase_list.progress_total, finished=finished
        ),
    }


def _chart(line: PurchaseListLine) -> dict | None:
    data = planning.series_chart(sku_id=line.sku_id, warehouse_id=line.warehouse_id)
    dates = data["dates"] + data["future"]
    sold = [(d, v, f"{d:%m-%d} {v:g}") for d, v in zip(data["dates"], data["sold"], strict=True)]
    fitted = [
        (d, None if v != v else round(v, 1), f"{d:%m-%d} {v:.1f}")  # NaN before the model starts
        for d, v in zip(data["dates"], data["fitted"], strict=True)
    ]
    ahead = [
        (d, round(v, 1), f"{d:%m-%d} {v:.1f}")
        for d, v in zip(data["future"], data["forecast"], strict=True)
    ]
    chart = line_chart(
        x_values=dates,
        series=[(_("Units sold"), sold), (_("Model fit"), fitted), (_("Forecast"), ahead)],
    )
    return {"chart": chart, "method": forecast.METHOD_LABELS[data["method"]]} if chart else None


@staff_view(VIEW)
def purchase_list_detail(request, purchase_list_id: int):
    purchase_list = _list_or_404(purchase_list_id)
    lines = purchase_list.lines.select_related(
        "sku__product", "warehouse", "supplier", "purchase_order"
    ).order_by("warehouse__priority", "warehouse_id", "sku__code")
    page = Paginator(lines, PAGE_SIZE).get_page(request.GET.get("page"))
    chart = None
    chart_line = request.GET.get("chart", "")
    if chart_line.isdigit():
        line = (
            purchase_list.lines.select_related("sku", "warehouse")
            .filter(pk=int(chart_line))
            .first()
        )
        if line is not None:
            chart = {"line": line, **(_chart(line) or {})}
    totals = purchase_list.lines.aggregate(n=Count("id"), units=Sum("quantity"))
    context = {
        **_progress_context(purchase_list),
        "page": page,
        "rows": [
            {"line": ln, "method": forecast.METHOD_LABELS.get(ln.method, "")}
            for ln in page.object_list
        ],
        "totals": totals,
        "chart": chart,
        "editable": purchase_list.status == PurchaseListStatus.DRAFT
        and request.user.has_perm(CHANGE),
        "may_convert": request.user.has_perm("procurement.add_purchaseorder"),
        "review_days": planning.review_days(),
        "service_level": round(planning.service_level() * 100, 1),
    }
    return render(request, "backoffice/purchase_lists/detail.html", context)


@staff_view(VIEW)
def purchase_list_progress(request, purchase_list_id: int):
    """The fragment htmx polls while the suggestions are computed; once done the page
    reloads to show the lines."""
    purchase_list = _list_or_404(purchase_list_id)
    response = render(
        request, "backoffice/purchase_lists/_progress.html", _progress_context(purchase_list)
    )
    if purchase_list.status != PurchaseListStatus.GENERATING:
        response["HX-Refresh"] = "true"
    return response


@require_POST
@staff_view(CHANGE)
def purchase_list_save(request, purchase_list_id: int):
    back = redirect(
        reverse("backoffice:purchase_list_detail", args=[purchase_list_id])
        + (f"?page={request.POST['page']}" if request.POST.get("page", "").isdigit() else "")
    )
    quantities = {
        key.removeprefix("quantity-"): value.strip()
        for key, value in request.POST.items()
        if key.startswith("quantity-") and key.removeprefix("quantity-").isdigit()
    }
    remove = [v for v in request.POST.getlist("remove") if v.isdigit()]
    try:
        purchase_lists.change_lines(
            actor=request.user,
            purchase_list_id=purchase_list_id,
            quantities=quantities,
            remove=remove,
        )
    except DomainError as exc:
        if isinstance(exc, ValidationFailed):
            messages.error(
                request, _("Nothing was saved: every quantity must be a whole number above zero.")
            )
        return refused(request, exc, back)
    messages.success(request, _("Purchase list saved."))
    return back


@require_POST
@staff_view(CHANGE)
def purchase_list_add(request, purchase_list_id: int):
    back = redirect("backoffice:purchase_list_detail", purchase_list_id=purchase_list_id)
    try:
        lines = parse_list_lines(request.POST.get("lines", ""))
        purchase_lists.add_lines(actor=request.user, purchase_list_id=purchase_list_id, lines=lines)
    except ValidationFailed as exc:
        messages.error(request, _("Nothing was added."))
        for text in _row_errors(exc):
            messages.error(request, text)
        return back
    except DomainError as exc:
        return refused(request, exc, back)
    messages.success(
        request,
        ngettext("%(n)s line added.", "%(n)s lines added.", len(lines)) % {"n": len(lines)},
    )
    return back


@require_POST
@staff_view(CHANGE)
def purchase_list_convert(request, purchase_list_id: int):
    back = redirect("backoffice:purchase_list_detail", purchase_list_id=purchase_list_id)
    try:
        created = purchase_lists.convert_to_purchase_orders(
            actor=request.user, purchase_list_id=purchase_list_id
        )
    except DomainError as exc:
        return refused(request, exc, back)
    messages.success(
        request,
        ngettext(
            "%(n)s draft purchase order created.",
            "%(n)s draft purchase orders created.",
            len(created),
        )
        % {"n": len(created)},
    )
    return redirect(reverse("backoffice:po_list") + "?status=draft")

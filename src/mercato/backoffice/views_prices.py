"""Bulk price change: choose SKUs, preview old → new, then apply exactly what was previewed."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mercato.catalog import services
from mercato.catalog.models import Product, Sku
from mercato.core.errors import Conflict, DomainError

from .access import staff_view
from .filters import ProductFilter
from .forms_catalog import PriceChangeForm
from .messages_i18n import add_errors_to_form, message_of

MAX_SKUS = services.pricing.MAX_SKUS


def _int_list(values) -> list[int]:
    return sorted({int(v) for v in values if str(v).isdigit()})


def _chosen_skus(params):
    """SKUs picked by id (`sku`), by product (`product`: all its SKUs) or by the list filter."""
    sku_ids = _int_list(params.getlist("sku"))
    product_ids = _int_list(params.getlist("product"))
    skus = Sku.objects.select_related("product").order_by("product_id", "id")
    if sku_ids:
        return skus.filter(pk__in=sku_ids)
    if product_ids:
        return skus.filter(product_id__in=product_ids)
    if params.get("all") == "1":
        products = ProductFilter(params, queryset=Product.objects.all()).qs.values("pk")
        return skus.filter(product_id__in=products)
    return skus.none()


@staff_view("catalog.change_price")
def price_change(request):
    """Step 1: the chosen SKUs and the change to make."""
    skus = list(_chosen_skus(request.GET)[: MAX_SKUS + 1])
    context = {"form": PriceChangeForm(), "skus": skus[:MAX_SKUS], "too_many": len(skus) > MAX_SKUS}
    return render(request, "backoffice/catalog/price_change.html", context)


def _render_preview(request, form, sku_ids, *, changes=None, status=200):
    problems = bool(changes) and any(c.problem for c in changes)
    context = {"form": form, "changes": changes, "sku_ids": sku_ids, "problems": problems}
    if request.htmx:
        return render(request, "backoffice/catalog/_price_preview.html", context, status=status)
    skus = list(Sku.objects.select_related("product").filter(pk__in=sku_ids).order_by("pk"))
    context["skus"] = skus
    return render(request, "backoffice/catalog/price_change.html", context, status=status)


@require_POST
@staff_view("catalog.change_price")
def price_preview(request):
    """Step 2: old → new for every SKU, problems flagged. Writes nothing."""
    form = PriceChangeForm(request.POST)
    sku_ids = _int_list(request.POST.getlist("sku"))
    changes = None
    if form.is_valid():
        try:
            changes = services.preview_price_change(
                actor=request.user,
                sku_ids=sku_ids,
                mode=form.cleaned_data["mode"],
                value=form.cleaned_data["value"],
            )
        except DomainError as exc:
            add_errors_to_form(form, exc, {"skus": None})
    status = 200 if changes is not None else 400
    return _render_preview(request, form, sku_ids, changes=changes, status=status)


def _expected(post, sku_ids) -> dict[int, Decimal]:
    expected = {}
    for sku_id in sku_ids:
        raw = post.get(f"expected_{sku_id}")
        try:
            expected[sku_id] = Decimal(raw).quantize(Decimal("0.01"))
        except (InvalidOperation, TypeError, ValueError):
            continue
    return expected


@require_POST
@staff_view("catalog.change_price")
def price_apply(request):
    """Step 3: apply. If a price moved since the preview, nothing changes and a fresh
    preview is shown."""
    form = PriceChangeForm(request.POST)
    sku_ids = _int_list(request.POST.getlist("sku"))
    if not form.is_valid():
        return _render_preview(request, form, sku_ids, status=400)
    mode, value = form.cleaned_data["mode"], form.cleaned_data["value"]
    try:
        changes = services.apply_price_change(
            actor=request.user,
            sku_ids=sku_ids,
            mode=mode,
            value=value,
            expected=_expected(request.POST, sku_ids),
        )
    except Conflict as exc:
        messages.error(
            request,
            _("Prices changed since your preview; nothing was applied. Check the new preview.")
            + " "
            + exc.message,
        )
        fresh = services.preview_price_change(
            actor=request.user, sku_ids=sku_ids, mode=mode, value=value
        )
        return _render_preview(request, form, sku_ids, changes=fresh, status=409)
    except DomainError as exc:
        messages.error(request, message_of(exc))
        add_errors_to_form(form, exc, {"skus": None})
        return _render_preview(request, form, sku_ids, status=400)
    changed = sum(1 for c in changes if c.old_price != c.new_price)
    messages.success(request, _("%(n)d SKU price(s) changed.") % {"n": changed})
    return redirect("backoffice:product_list")

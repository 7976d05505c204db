"""The stock workspace (库存) for procurement and logistics: stock per SKU and warehouse
with on hand, reserved and available, low stock marked; one SKU's stock and its ledger
(every movement with the document behind it and the balance after it); and the
reconciliation report (stock against the ledger and the active reservations)."""

import django_filters
from django import forms
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from mercato.catalog.models import Sku
from mercato.inventory.models import StockMovement, Warehouse
from mercato.inventory.selectors import (
    cover_days,
    is_overstocked,
    low_stock,
    low_stock_units,
    overstock_days,
    overstocked,
    shipped_units,
    sku_ledger,
    sku_stock,
    stock_disagreements,
    stock_rows,
    velocity_days,
)
from mercato.procurement.selectors import in_transit, on_order

from .access import staff_view

VIEW = "inventory.view_stock"
PAGE_SIZE = 50
LEDGER_PAGE_SIZE = 100
RECONCILE_SHOWN = 200
# Movements whose reference is an order number (the others name a receipt, a return or
# a count).
R = StockMovement.Reason
ORDER_REASONS = (R.RESERVATION, R.RELEASE, R.SHIPMENT)


class StockFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", help_text=_("SKU code, barcode or product name")
    )
    warehouse = django_filters.ModelChoiceFilter(
        label=_("Warehouse"),
        queryset=Warehouse.objects.order_by("priority", "code"),
        empty_label=_("Any warehouse"),
    )
    low = django_filters.BooleanFilter(
        label=_("Low stock only"), method="low_only", widget=forms.CheckboxInput
    )
    over = django_filters.BooleanFilter(
        label=_("Overstock only"), method="over_only", widget=forms.CheckboxInput
    )

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(sku__code__istartswith=value)
            | Q(sku__barcode=value)
            | Q(sku__product__name__icontains=value)
        )

    def low_only(self, queryset, name, value):
        if not value:
            return queryset
        return low_stock(queryset)

    def over_only(self, queryset, name, value):
        return overstocked(queryset) if value else queryset


@staff_view(VIEW)
def stock_list(request):
    stock_filter = StockFilter(request.GET, queryset=stock_rows())
    page = Paginator(stock_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    # Units ordered from suppliers and not yet received (procurement), per row of the page.
    ordered = on_order(sku_ids={row.sku_id for row in page.object_list})
    # Units shipped by transfer orders to this warehouse and not yet received.
    coming = in_transit(sku_ids={row.sku_id for row in page.object_list})
    # Sales velocity of the page's rows: cover in days and the overstock flag.
    days, limit = velocity_days(), overstock_days()
    shipped = shipped_units(stock_ids=[row.pk for row in page.object_list], days=days)
    for row in page.object_list:
        row.on_order = ordered.get((row.sku_id, row.warehouse_id), 0)
        row.in_transit = coming.get((row.sku_id, row.warehouse_id), 0)
        sold = shipped.get(row.pk, 0)
        row.cover = cover_days(available=row.available_units, shipped=sold, days=days)
        row.over = is_overstocked(
            available=row.available_units, shipped=sold, days=days, limit=limit
        )
    context = {
        "filter": stock_filter,
        "page": page,
        "low": low_stock_units(),
        "over_days": limit,
        "velocity_days": days,
        "query": query.urlencode(),
    }
    return render(request, "backoffice/stock/list.html", context)


@staff_view(VIEW)
def stock_sku(request, sku_id: int):
    sku = Sku.objects.select_related("product").filter(pk=sku_id).first()
    if sku is None:
        raise Http404("No such SKU")
    ledger = Paginator(sku_ledger(sku_id=sku_id), LEDGER_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "sku": sku,
        "stocks": list(sku_stock(sku_id=sku_id)),
        "ledger": ledger,
        "low": low_stock_units(),
        "order_reasons": ORDER_REASONS if request.user.has_perm("orders.view_order") else (),
    }
    return render(request, "backoffice/stock/sku.html", context)


@staff_view(VIEW)
def stock_reconcile(request):
    """Every stock row whose figures disagree with its ledger or its reservations."""
    problems = stock_disagreements(limit=RECONCILE_SHOWN)
    context = {"problems": problems, "shown": RECONCILE_SHOWN}
    return render(request, "backoffice/stock/reconcile.html", context)

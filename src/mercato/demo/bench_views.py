"""Bare views for benchmarks: the floor each page is compared with. Only with MERCATO_BENCH_VIEWS.

No log-in, no template, no form: one query and a JsonResponse. `make bench` measures them
in the same run as the real pages, so a page's cost is read as a ratio to these.
"""

from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from mercato.catalog.models import Product, Sku
from mercato.inventory.models import Stock

ROW_FIELDS = [
    "id", "code", "name", "status", "min_price", "max_price", "updated_at",
    "category__name", "brand__name",
]  # fmt: skip
LIST_ROWS = 50  # the back office's page size


def product_row(request, product_id: int):
    """One product row as JSON."""
    row = Product.objects.filter(pk=product_id).values(*ROW_FIELDS).first()
    if row is None:
        raise Http404("No such product")
    return JsonResponse(row)


def product_rows(request):
    """The first page of the back-office product list (default ordering) as JSON rows."""
    sku_count = (
        Sku.objects.filter(product=OuterRef("pk"))
        .order_by()
        .values("product")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = list(
        Product.objects.annotate(sku_count=Coalesce(Subquery(sku_count), 0))
        .order_by(*Product._meta.ordering)
        .values(*ROW_FIELDS, "sku_count")[:LIST_ROWS]
    )
    return JsonResponse({"rows": rows})


@csrf_exempt  # no session, no form: the floor for order placement, not a page
@require_POST
def reserve_one(request, stock_id: int):
    """One conditional stock update, the core of a reservation and nothing else.

    The benchmark gives the row a huge on_hand, so it never runs out. No ledger row: this is
    a yardstick for placement (which does the real thing), never used by the shop.
    """
    updated = Stock.objects.filter(pk=stock_id, on_hand__gt=F("reserved")).update(
        reserved=F("reserved") + 1
    )
    return JsonResponse({"reserved": updated}, status=200 if updated else 409)


urlpatterns = [
    path("bench/product/<int:product_id>/", product_row, name="bench_product_row"),
    path("bench/products/", product_rows, name="bench_product_rows"),
    path("bench/reserve/<int:stock_id>/", reserve_one, name="bench_reserve_one"),
]

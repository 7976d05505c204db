"""The floor's two views: the same statements as Mercato's bare views (demo/bench_views.py)."""

from django.db.models import F
from django.http import Http404, JsonResponse
from django.urls import path

from .models import Product, Stock

ROW_FIELDS = [
    "id", "code", "name", "status", "min_price", "max_price", "updated_at",
    "category__name", "brand__name",
]  # fmt: skip


def product_row(request, product_id: int):
    """One product row as JSON."""
    row = Product.objects.filter(pk=product_id).values(*ROW_FIELDS).first()
    if row is None:
        raise Http404("No such product")
    return JsonResponse(row)


def reserve_one(request, stock_id: int):
    """One conditional stock update (no CSRF middleware here: there is no middleware)."""
    if request.method != "POST":
        return JsonResponse({"error": "POST only"}, status=405)
    updated = Stock.objects.filter(pk=stock_id, on_hand__gt=F("reserved")).update(
        reserved=F("reserved") + 1
    )
    return JsonResponse({"reserved": updated}, status=200 if updated else 409)


def healthz(request):
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bench/product/<int:product_id>/", product_row),
    path("bench/reserve/<int:stock_id>/", reserve_one),
    path("healthz", healthz),
]

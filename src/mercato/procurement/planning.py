"""Purchase suggestions (采购建议) per SKU and warehouse (issue 14 part 2).

For every SKU that sold in a warehouse's provinces over the last HISTORY_DAYS days:

    cover days     = lead time + review period (MERCATO_PURCHASE_REVIEW_DAYS, 14)
    forecast       = Σ daily forecast over the cover days (procurement.forecast)
    safety stock   = z × σ × √lead time  (z for MERCATO_PURCHASE_SERVICE_LEVEL, 0.95)
    position       = available (on hand − reserved) + in transit + on order
    quantity       = ⌈forecast + safety stock − position⌉, at least the MOQ; none when ≤ 0

Lead time: the supplier's average days from sending a PO to its first receipt, rounded
up; MERCATO_PURCHASE_LEAD_DAYS (7) for a supplier without receipts. Supplier and MOQ: the
cheapest price-list row valid today (the smaller MOQ on a tie). On order: lines of purchase
orders not yet received, from draft to partially received, so a list already turned into
draft POs is not suggested twice. Sales history per warehouse: the orders' lines by
delivery province (orders.selectors.daily_units), each province counted for the warehouse
that serves it first (lowest priority), as rebalancing does.
"""

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.conf import settings
from django.db.models import F, Min, Sum
from django.utils import timezone
from scipy.stats import norm

from mercato.core.days import day_start
from mercato.inventory.models import Stock, Warehouse
from mercato.orders.selectors import daily_units

from . import forecast
from .models import POStatus, PurchaseOrderLine, Receipt, SupplierPrice
from .selectors import in_transit

HISTORY_DAYS = 52 * 7
NOT_ARRIVED = [
    POStatus.DRAFT,
    POStatus.PENDING_LEAD,
    POStatus.PENDING_FINANCE,
    POStatus.APPROVED,
    POStatus.SENT,
    POStatus.PARTIALLY_RECEIVED,
]


def review_days() -> int:
    return int(getattr(settings, "MERCATO_PURCHASE_REVIEW_DAYS", 14))


def service_level() -> float:
    return float(getattr(settings, "MERCATO_PURCHASE_SERVICE_LEVEL", 0.95))


def default_lead_days() -> int:
    return int(getattr(settings, "MERCATO_PURCHASE_LEAD_DAYS", 7))


def safety_stock(*, sigma, lead_time_days, level=None):
    """z × σ × √lead time, z the standard normal quantile of the service level."""
    z = norm.ppf(service_level() if level is None else level)
    return z * np.asarray(sigma, dtype=float) * np.sqrt(lead_time_days)


def order_quantity(*, forecast_units, safety, available, in_transit, on_order, min_quantity):
    """⌈forecast + safety stock − position⌉, raised to the MOQ; 0 when nothing is needed.
    Works on numbers or numpy arrays alike."""
    position = np.asarray(available) + np.asarray(in_transit) + np.asarray(on_order)
    # A hair below a whole unit is that unit (float sums of the daily forecasts).
    need = np.ceil(np.asarray(forecast_units) + np.asarray(safety) - position - 1e-9)
    quantity = np.where(need > 0, np.maximum(need, np.asarray(min_quantity)), 0)
    return quantity.astype(np.int64)


@dataclass
class Suggestion:
    sku_id: int
    warehouse_id: int
    method: str
    daily_forecast: float
    forecast_units: float
    cover_days: int
    lead_time_days: int
    safety_stock: float
    available: int
    in_transit: int
    on_order: int
    min_quantity: int
    supplier_id: int | None
    quantity: int


def serving_warehouse(warehouses) -> dict[str, int]:
    """Province → the warehouse that serves it first (lowest priority, then code)."""
    first: dict[str, int] = {}
    for w in warehouses:
        for province in w.served_provinces:
            first.setdefault(province, w.pk)
    return first


def sales_history(*, warehouses, today, sku_ids=None, days=HISTORY_DAYS):
    """([(sku_id, warehouse_id)], units[n, days]): a row per series with a sale, the last
    column yesterday. Built column-wise (pandas/numpy): a year of a large assortment is
    millions of (SKU, province, day) rows."""
    first = serving_warehouse(warehouses)
    until = day_start(today)
    since = until - datetime.timedelta(days=days)
    day0 = pd.Timestamp(today - datetime.timedelta(days=days))
    parts = []
    for frame in daily_units(since=since, until=until, sku_ids=sku_ids):
        warehouse = frame["province"].map(first)
        keep = warehouse.notna()
        parts.append(
            pd.DataFrame(
                {
                    "sku_id": frame["sku_id"][keep].astype(np.int64),
                    "warehouse_id": warehouse[keep].astype(np.int64),
                    "day": (frame["day"][keep] - day0).dt.days.astype(np.int32),
                    "units": frame["units"][keep].astype(float),
                }
            )
        )
    rows = pd.concat(parts, ignore_index=True) if parts else None
    if rows is None or rows.empty:
        return [], np.zeros((0, days))
    codes, uniques = pd.MultiIndex.from_arrays([rows["sku_id"], rows["warehouse_id"]]).factorize()
    history = np.zeros((len(uniques), days))
    np.add.at(history, (codes, rows["day"].to_numpy()), rows["units"].to_numpy())
    return [(int(s), int(w)) for s, w in uniques], history


def best_prices(*, sku_ids, today) -> dict[int, tuple[int, int]]:
    """SKU → (supplier_id, MOQ) of the cheapest valid price-list row of an active supplier."""
    rows = (
        SupplierPrice.objects.filter(
            sku_id__in=list(sku_ids), valid_from__lte=today, supplier__is_active=True
        )
        .exclude(valid_to__lt=today)
        .order_by("sku_id", "price", "min_quantity", "supplier_id")
        .values_list("sku_id", "supplier_id", "min_quantity")
    )
    best: dict[int, tuple[int, int]] = {}
    for sku_id, supplier_id, moq in rows:
        best.setdefault(sku_id, (supplier_id, moq))
    return best


def lead_times(*, supplier_ids) -> dict[int, int]:
    """Supplier → whole days from sending a PO to its first receipt, on average."""
    first = (
        Receipt.objects.filter(
            order__supplier_id__in=list(supplier_ids), order__sent_at__isnull=False
        )
        .values("order_id", "order__supplier_id", "order__sent_at")
        .annotate(at=Min("received_at"))
    )
    spans = defaultdict(list)
    for row in first:
        spans[row["order__supplier_id"]].append((row["at"] - row["order__sent_at"]).total_seconds())
    default = default_lead_days()
    result = {}
    for supplier_id in supplier_ids:
        seconds = spans.get(supplier_id)
        result[supplier_id] = (
            max(1, math.ceil(sum(seconds) / len(seconds) / 86400)) if seconds else default
        )
    return result


def on_order(*, sku_ids=None) -> dict[tuple[int, int], int]:
    """Units on purchase orders not yet received, per (SKU, warehouse), drafts included."""
    lines = PurchaseOrderLine.objects.filter(
        order__status__in=NOT_ARRIVED, quantity__gt=F("received")
    )
    if sku_ids is not None:
        lines = lines.filter(sku_id__in=list(sku_ids))
    rows = lines.values("sku_id", "order__warehouse_id").annotate(
        units=Sum(F("quantity") - F("received"))
    )
    return {(r["sku_id"], r["order__warehouse_id"]): r["units"] for r in rows}


def suggest(*, sku_ids=None, today=None, progress=None) -> list[Suggestion]:
    """Purchase suggestions with a quantity above zero, by warehouse and SKU. `progress`
    (done, total) is called as the forecasts advance."""
    today = today or timezone.localdate()
    warehouses = list(
        Warehouse.objects.filter(is_active=True)
        .prefetch_related("served")
        .order_by("priority", "code")
    )
    keys, history = sales_history(warehouses=warehouses, today=today, sku_ids=sku_ids)
    total = len(keys)
    if progress:
        progress(0, total)
    if not total:
        return []
    sku_list = sorted({s for s, _w in keys})
    prices = best_prices(sku_ids=sku_list, today=today)
    leads = lead_times(supplier_ids={p[0] for p in prices.values()})
    lead = np.array([leads.get(prices.get(s, (None,))[0], default_lead_days()) for s, _w in keys])
    cover = lead + review_days()
    horizon = int(cover.max())
    result = forecast.forecast(history, horizon, progress=progress)
    method = result.method
    # Each series' forecast summed over its own cover days.
    units = (result.daily * (np.arange(horizon)[None, :] < cover[:, None])).sum(axis=1)
    sigma = result.sigma
    available, transit, ordered = _positions(keys, sku_ids=sku_ids)
    moq = np.array([prices.get(s, (None, 1))[1] for s, _w in keys])
    safety = safety_stock(sigma=sigma, lead_time_days=lead)
    quantity = order_quantity(
        forecast_units=units, safety=safety, available=available, in_transit=transit,
        on_order=ordered, min_quantity=moq,
    )  # fmt: skip
    suggestions = []
    for r in np.nonzero(quantity)[0]:
        sku_id, warehouse_id = keys[r]
        suggestions.append(
            Suggestion(
                sku_id=sku_id, warehouse_id=warehouse_id, method=method[r],
                daily_forecast=round(float(units[r] / cover[r]), 2),
                forecast_units=round(float(units[r]), 1), cover_days=int(cover[r]),
                lead_time_days=int(lead[r]), safety_stock=round(float(safety[r]), 1),
                available=int(available[r]), in_transit=int(transit[r]),
                on_order=int(ordered[r]), min_quantity=int(moq[r]),
                supplier_id=prices.get(sku_id, (None,))[0], quantity=int(quantity[r]),
            )
        )  # fmt: skip
    return suggestions


def _positions(keys, *, sku_ids=None):
    """Available, in transit and on order per series (arrays in `keys` order)."""
    stock = Stock.objects.all()
    if sku_ids is not None:
        stock = stock.filter(sku_id__in=list(sku_ids))
    free = {
        (s, w): max(on_hand - reserved, 0)
        for s, w, on_hand, reserved in stock.values_list(
            "sku_id", "warehouse_id", "on_hand", "reserved"
        )
    }
    coming = in_transit(sku_ids=sku_ids)
    ordered = on_order(sku_ids=sku_ids)
    available = np.array([free.get(k, 0) for k in keys])
    transit = np.array([coming.get(k, 0) for k in keys])
    return available, transit, np.array([ordered.get(k, 0) for k in keys])


def series_chart(*, sku_id: int, warehouse_id: int, today=None, days: int = 8 * 7):
    """One SKU in one warehouse: the last `days` days sold, the model's one-step fit and
    the forecast over its cover period — for the chart on the purchase-list page."""
    today = today or timezone.localdate()
    warehouses = list(
        Warehouse.objects.filter(is_active=True)
        .prefetch_related("served")
        .order_by("priority", "code")
    )
    keys, history = sales_history(warehouses=warehouses, today=today, sku_ids=[sku_id])
    row = next((n for n, k in enumerate(keys) if k == (sku_id, warehouse_id)), None)
    horizon = review_days() + default_lead_days()
    series = history[row : row + 1] if row is not None else np.zeros((1, HISTORY_DAYS))
    result = forecast.forecast(series, horizon, with_fitted=True)
    first = today - datetime.timedelta(days=days)
    return {
        "method": result.method[0],
        "dates": [first + datetime.timedelta(days=i) for i in range(days)],
        "sold": series[0, -days:].tolist(),
        "fitted": result.fitted[0, -days:].tolist(),
        "future": [today + datetime.timedelta(days=i) for i in range(horizon)],
        "forecast": result.daily[0].tolist(),
    }

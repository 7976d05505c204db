"""A year of daily sales for the demo (issue 14 part 10), so the purchase forecasts and
the supply-chain figures show something real: per warehouse and day one past order from
a province it serves, with a line for each demo SKU sold that day. Each SKU × warehouse
has its own rate, a weekly pattern (busy weekends) and a season (higher before 双十一
and the Spring Festival); some SKUs only started selling a few weeks ago, so the short-
history methods show too. Written through orders.history (completed past orders).

Then the SKUs get price-list rows from the demo suppliers where they have none, and a
purchase list is generated from the suggestions. Idempotent: nothing when the history is
there (an order event "销售历史导入").
"""

import datetime
import math
import random
from decimal import Decimal

from django.utils import timezone

from mercato.catalog.models import Sku
from mercato.inventory.models import Warehouse
from mercato.orders.history import PastOrder, import_past_orders
from mercato.orders.models import OrderEvent
from mercato.orders.services import DeliveryAddress, PricedLine
from mercato.procurement import purchase_lists, suppliers
from mercato.procurement.models import Supplier, SupplierPrice

WEEK = (0.8, 0.85, 0.9, 0.95, 1.05, 1.3, 1.4)  # Monday … Sunday


def _season(day: datetime.date) -> float:
    """1 most of the year; up to 2× in the run-up to 11 November and to late January."""
    lift = 0.0
    for peak in (datetime.date(day.year, 11, 11), datetime.date(day.year, 1, 25)):
        gap = abs((day - peak).days)
        lift = max(lift, math.exp(-((gap / 10) ** 2)))
    return 1 + lift


def seed_sales_history(*, users: dict, days: int = 364, sku_limit: int = 30, seed: int = 1):
    """{} when there is a history already; else the counts of what was made."""
    if OrderEvent.objects.filter(reason="销售历史导入").exists():
        return {}
    buyer = users.get("procurement")
    warehouses = list(
        Warehouse.objects.filter(is_active=True).prefetch_related("served").order_by("priority")
    )
    skus = list(
        Sku.objects.filter(is_active=True).select_related("product").order_by("pk")[:sku_limit]
    )
    if buyer is None or not warehouses or not skus:
        return {}
    rng = random.Random(f"mercato-demo:{seed}:sales-history")
    today = timezone.localdate()
    rates = {(s.pk, w.pk): rng.choice((0.2, 0.6, 1.5, 4.0, 9.0)) for s in skus for w in warehouses}
    starts = {s.pk: (days - rng.choice((10, 40))) if n % 7 == 6 else 0 for n, s in enumerate(skus)}
    orders = []
    for w in warehouses:
        province = w.served_provinces[0] if w.served_provinces else w.province
        address = DeliveryAddress(
            recipient="历史订单", mobile="13800000000", province=province, city=w.city,
            district=w.district, detail=w.address,
        )  # fmt: skip
        for back in range(days, 0, -1):
            day = today - datetime.timedelta(days=back)
            factor = WEEK[day.weekday()] * _season(day)
            lines = []
            for s in skus:
                if days - back < starts[s.pk]:
                    continue
                mean = rates[s.pk, w.pk] * factor
                units = _poisson(rng, mean)
                if units:
                    lines.append(
                        PricedLine(
                            sku_id=s.pk,
                            product_id=s.product_id,
                            product_name=s.product.name,
                            sku_code=s.code,
                            specs=s.specs,
                            unit_price=s.list_price or Decimal("1.00"),
                            quantity=units,
                            unit_cost=s.cost_price,
                        )  # fmt: skip
                    )
            if lines:
                noon = datetime.datetime.combine(
                    day, datetime.time(12), tzinfo=timezone.get_current_timezone()
                )
                orders.append(PastOrder(placed_at=noon, address=address, lines=lines))
    made = import_past_orders(orders=orders)
    priced = _price_lists(buyer, skus, today)
    generated = purchase_lists.start_generation(
        actor=buyer, note="演示：按销量预测生成", background=False
    )
    return {
        "history orders": made,
        "price rows": priced,
        "purchase list lines": generated.lines.count(),
    }


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means of daily sales."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _price_lists(buyer, skus, today) -> int:
    """A price-list row from one or two demo suppliers for each SKU without one."""
    demo = list(Supplier.objects.filter(is_active=True).order_by("code")[:3])
    if not demo:
        return 0
    priced = set(SupplierPrice.objects.filter(sku__in=skus).values_list("sku_id", flat=True))
    made = 0
    for n, sku in enumerate(skus):
        if sku.pk in priced:
            continue
        base = (sku.cost_price or sku.list_price or Decimal("10.00")) * Decimal("0.9")
        for k, supplier in enumerate(demo[: 1 + n % 2]):
            suppliers.set_price(
                actor=buyer, supplier_id=supplier.pk, sku_id=sku.pk,
                price=max(base + k, Decimal("1.00")).quantize(Decimal("0.01")),
                min_quantity=(1, 6, 12, 24)[n % 4], valid_from=today - datetime.timedelta(days=30),
            )  # fmt: skip
            made += 1
    return made

"""What a promotion did: the orders it was applied to (its Redemption rows), their revenue,
the discount it gave, the margin left after the discount at the SKUs' cost prices, and how
many of the buyers were new (their first order) or returning, in all and per day. Read
here, above promotions in the layers, since it joins the promotion's rows to the orders.

Cancelled and closed orders do not count. Two queries whatever the number of orders: the
redemptions, and the orders with their cost and whether the buyer had ordered before.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import DecimalField, Exists, F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from mercato.promotions.models import Redemption

from .models import Order, OrderLine

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOT_COUNTED = ("cancelled", "closed")
ZERO = Decimal("0.00")


@dataclass
class Figures:
    orders: int = 0
    revenue: Decimal = ZERO  # the orders' goods at their prices (lines_total)
    discount: Decimal = ZERO  # what this promotion took off the goods
    shipping_off: Decimal = ZERO  # shipping it waived
    cost: Decimal = ZERO  # the orders' units at their SKUs' cost price
    new_customers: int = 0  # orders that were the buyer's first
    returning_customers: int = 0

    @property
    def margin(self) -> Decimal:
        """Revenue less this promotion's discount less the cost."""
        return self.revenue - self.discount - self.cost


@dataclass
class Results:
    total: Figures = field(default_factory=Figures)
    days: dict[date, Figures] = field(default_factory=dict)  # Shanghai date -> figures


def promotion_results(*, promotion_id: int) -> Results:
    taken = defaultdict(lambda: [ZERO, ZERO])
    for number, discount, shipping_off in Redemption.objects.filter(
        promotion_id=promotion_id
    ).values_list("order_number", "discount", "shipping_off"):
        taken[number][0] += discount
        taken[number][1] += shipping_off
    results = Results()
    if not taken:
        return results
    cost = (
        OrderLine.objects.filter(order=OuterRef("pk"))
        .values("order")
        .annotate(c=Sum(F("quantity") * F("sku__cost_price")))
        .values("c")
    )
    earlier = Order.objects.filter(
        customer_id=OuterRef("customer_id"), placed_at__lt=OuterRef("placed_at")
    ).exclude(status__in=NOT_COUNTED)
    rows = (
        Order.objects.filter(number__in=list(taken))
        .exclude(status__in=NOT_COUNTED)
        .annotate(
            cost=Coalesce(
                Subquery(cost, output_field=DecimalField(max_digits=14, decimal_places=2)),
                ZERO,
                output_field=DecimalField(max_digits=14, decimal_places=2),
            ),
            returning=Exists(earlier),
        )
        .values_list("number", "placed_at", "lines_total", "cost", "returning")
    )
    for number, placed_at, revenue, cost_of, returning in rows:
        day = timezone.localtime(placed_at, SHANGHAI).date()
        for figures in (results.total, results.days.setdefault(day, Figures())):
            figures.orders += 1
            figures.revenue += revenue
            figures.discount += taken[number][0]
            figures.shipping_off += taken[number][1]
            figures.cost += Decimal(cost_of).quantize(ZERO)
            if returning:
                figures.returning_customers += 1
            else:
                figures.new_customers += 1
    results.days = dict(sorted(results.days.items()))
    return results

"""Sales popularity: units sold per product over recent orders, for the shop's 销量 sort.

catalog.ProductPopularity holds one number per product; catalog cannot read orders (it is
below them), so orders writes it here. An order counts once it is paid or confirmed for
cash on delivery, and keeps counting through review, shipping and completion; orders
waiting for payment, cancelled or closed do not.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from mercato.catalog.models import ProductPopularity
from mercato.catalog.shopcache import bump_shop_version

from .models import OrderLine, OrderStatus
from .selectors import NOT_SOLD

SOLD_STATUSES = tuple(s for s in OrderStatus.values if s not in NOT_SOLD)


def window_days() -> int:
    """How far back sales count (setting MERCATO_POPULARITY_DAYS, default 30)."""
    return int(getattr(settings, "MERCATO_POPULARITY_DAYS", 30))


def units_sold(*, since) -> dict[int, int]:
    """{product_id: units} over the sold orders placed since `since` (one query)."""
    rows = (
        OrderLine.objects.filter(
            order__status__in=SOLD_STATUSES,
            order__placed_at__gte=since,
            product_id__isnull=False,
        )
        .values("product_id")
        .annotate(units=Sum("quantity"))
        .values_list("product_id", "units")
    )
    return dict(rows)


@transaction.atomic
def recompute_popularity(*, now=None) -> int:
    """Rewrite ProductPopularity from the orders of the last window_days(); the number of
    products whose figure changed. Set-based: the sales sum, the rows it may change, one
    upsert and one reset, whatever the number of products."""
    since = (now or timezone.now()) - timedelta(days=window_days())
    sold = units_sold(since=since)
    current = dict(
        ProductPopularity.objects.filter(
            Q(product_id__in=list(sold)) | Q(units_sold__gt=0)
        ).values_list("product_id", "units_sold")
    )
    changed = [
        ProductPopularity(product_id=pk, units_sold=units)
        for pk, units in sold.items()
        if current.get(pk) != units
    ]
    if changed:
        ProductPopularity.objects.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["product"],
            update_fields=["units_sold", "updated_at"],
        )
    # Products that sold before the window (or had made-up demo figures) fall back to 0.
    stale = [pk for pk, units in current.items() if pk not in sold and units]
    if stale:
        ProductPopularity.objects.filter(product_id__in=stale).update(units_sold=0)
    if changed or stale:
        bump_shop_version()  # the 销量 order of category pages changed
    return len(changed) + len(stale)

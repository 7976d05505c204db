"""The kept shipments of a stock row (Stock.recent_shipped) and the overstock filter that
trusts them: shipments add to the figure, the nightly roll sets it exact, and the filter
gives the ledger's answer whatever state the figure is in."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mercato.inventory.models import Stock
from mercato.inventory.selectors import overstocked, shipped_units, stock_rows
from mercato.inventory.services import roll_recent_shipped
from mercato.testing.fulfillment import make_shop, make_sku, stock
from mercato.testing.stockcontrol import ship_units

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(settings):
    """30-day velocity, 90 days' cover at most; four rows of 100 units."""
    settings.MERCATO_VELOCITY_DAYS, settings.MERCATO_OVERSTOCK_DAYS = 30, 90
    wh = make_shop(provinces=("四川省",))["四川省"]
    skus = [make_sku(price="10.00") for _ in range(4)]
    for sku in skus:
        stock(sku, wh, 100)
    return wh, skus


def over(skus) -> list[int]:
    ids = {s.pk: n for n, s in enumerate(skus)}
    return sorted(ids[r.sku_id] for r in overstocked(stock_rows()))


def ledger_over(wh, skus) -> list[int]:
    """The same answer from the ledger alone: available × 30 > shipped in 30 days × 90."""
    stocks = {s.sku_id: s for s in Stock.objects.filter(warehouse=wh)}
    shipped = shipped_units(stock_ids=[s.pk for s in stocks.values()], days=30)
    return [
        n for n, sku in enumerate(skus)
        if stocks[sku.pk].available > 0
        and stocks[sku.pk].available * 30 > shipped.get(stocks[sku.pk].pk, 0) * 90
    ]  # fmt: skip


def test_shipments_add_to_the_figure_and_the_roll_sets_it_exact(rows):
    wh, (a, b, *_rest) = rows
    ship_units(a, wh, 5, days_ago=1)
    ship_units(a, wh, 7, days_ago=40)  # written now, dated before the window
    row = Stock.objects.get(sku=a, warehouse=wh)
    assert (row.recent_shipped, row.recent_since) == (12, None)
    now = timezone.now()
    assert roll_recent_shipped(now=now) == 4
    row.refresh_from_db()
    assert (row.recent_shipped, row.recent_since) == (5, now - timedelta(days=30))
    ship_units(a, wh, 3, days_ago=0)
    row.refresh_from_db()
    assert row.recent_shipped == 8


def test_the_filter_agrees_with_the_ledger_before_and_after_the_roll(rows):
    """a: 20 shipped (cover 120: over); b: 40 (45: not); c: 40 shipped 35 days ago (over
    now); d: nothing (over). Rolled 10 days ago, c's 40 still count in its kept figure,
    which then does not clear it: the ledger is read for c and says overstock."""
    wh, skus = rows
    a, b, c, _d = skus
    ship_units(a, wh, 20, days_ago=3)
    ship_units(b, wh, 40, days_ago=3)
    ship_units(c, wh, 40, days_ago=35)
    assert over(skus) == ledger_over(wh, skus) == [0, 2, 3]  # not rolled: the ledger
    roll_recent_shipped(now=timezone.now() - timedelta(days=10))
    assert over(skus) == ledger_over(wh, skus) == [0, 2, 3]
    roll_recent_shipped()
    assert over(skus) == [0, 2, 3]
    ship_units(a, wh, 30, days_ago=0)  # 50 left, 50 shipped: cover 30, no longer over
    assert over(skus) == ledger_over(wh, skus) == [2, 3]

"""The scheduled pipeline (review → allocation → waves) is set-based: the queries for a
batch do not grow with the number of orders in it (bench/orders_bench.py measures its
speed; this holds the shape)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mercato.fulfillment.allocation import allocate_approved_orders
from mercato.fulfillment.review.services import review_paid_orders
from mercato.fulfillment.waves import create_waves
from mercato.orders.models import Order, OrderStatus
from mercato.testing.fulfillment import at, carriers, make_customer, make_shop, make_sku, place
from mercato.testing.fulfillment import stock as put_stock

pytestmark = pytest.mark.django_db

# Statements per batch, whatever its size: review (lock and load the orders, the rules'
# settings, blacklist, order lines, the rate rules' counts, existing reviews, the reviews
# and for each outcome its events and UPDATE, savepoints), allocation (the orders, their
# reservations, lines, weights, the carrier book, the parcels, their ids, lines and events,
# the orders' events and UPDATE), waves (the parcels; per wave its row and number; the
# parcels' UPDATE and events; the orders locked and moved).
BUDGET = {"review": 16, "allocation": 17, "waves": 13}
# The inserts of many rows (catalog.bulk.insert_objects) are COPYs on PostgreSQL, sent by
# psycopg's copy() past Django's query log: there the log shows these fewer.
COPIES = {"review": 3, "allocation": 4, "waves": 2}


def budget() -> dict:
    if connection.vendor == "postgresql":
        return {step: n - COPIES[step] for step, n in BUDGET.items()}
    return BUDGET


def batch(shop, n: int) -> list[Order]:
    """n paid orders, every fifth cash on delivery, every tenth held (no street)."""
    orders = []
    for i in range(n):
        detail = "附近" if i % 10 == 0 else f"人民南路四段{i + 1}号"
        customer = make_customer()
        orders.append(
            place(
                customer,
                (shop["a"], 1),
                (shop["b"], 2),
                address=at("四川省", "成都市", "武侯区", detail, mobile=customer.mobile),
                method="cod" if i % 5 == 0 else "sandbox",
            )
        )
    return orders


def counted(step) -> int:
    with CaptureQueriesContext(connection) as queries:
        step()
    return len(queries.captured_queries)


@pytest.fixture
def shop(db):
    warehouses = make_shop()
    carriers()
    a, b = make_sku(), make_sku()
    put_stock(a, warehouses["四川省"], 500, "A-01")
    put_stock(b, warehouses["四川省"], 500, "A-02")
    return {"a": a, "b": b}


def test_reviewing_allocating_and_waving_take_the_same_queries_for_10_and_50_orders(shop):
    counts = {}
    for n in (10, 50):
        orders = batch(shop, n)
        counts[n] = {
            "review": counted(lambda: review_paid_orders(batch_size=1000)),
            "allocation": counted(lambda: allocate_approved_orders(batch_size=1000)),
            "waves": counted(lambda: create_waves(actor=None, max_parcels=5000)),
        }
        statuses = list(
            Order.objects.filter(pk__in=[o.pk for o in orders]).values_list("status", flat=True)
        )
        assert statuses.count(OrderStatus.UNDER_REVIEW) == n // 10
        assert statuses.count(OrderStatus.PICKING) == n - n // 10
    assert counts[10] == counts[50] == budget()

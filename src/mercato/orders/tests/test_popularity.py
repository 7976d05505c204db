"""Units sold per product, from orders, drive the shop's 销量 sort."""

from datetime import timedelta

import pytest
from django.http import QueryDict
from django.utils import timezone

from mercato.catalog.facets import sort_products
from mercato.catalog.models import Product, ProductPopularity
from mercato.catalog.shopcache import shop_version
from mercato.orders.models import Order, OrderStatus
from mercato.orders.popularity import recompute_popularity
from mercato.orders.tasks import recompute_popularity_task
from mercato.testing.factories import SkuFactory, make_order, priced_line

pytestmark = pytest.mark.django_db


def sold(sku, quantity, *, status=OrderStatus.PAID, days_ago=0, payment_method="sandbox"):
    order = make_order(
        lines=[priced_line(sku=sku, quantity=quantity)], payment_method=payment_method
    )
    Order.objects.filter(pk=order.pk).update(
        status=status, placed_at=timezone.now() - timedelta(days=days_ago)
    )
    return order


def figures():
    return dict(ProductPopularity.objects.values_list("product_id", "units_sold"))


def by_sales():
    products = sort_products(products=Product.objects.all(), params=QueryDict("sort=sales"))
    return [p.pk for p in products]


def test_an_order_moves_a_product_up_the_sales_sort(django_capture_on_commit_callbacks):
    """B had no sales and sorts below A; three paid units of B put it first, and the shop's
    cached pages are invalidated."""
    a, b = SkuFactory(), SkuFactory()
    sold(a, 1)
    recompute_popularity()
    assert by_sales()[0] == a.product_id
    version = shop_version()

    sold(b, 3)
    with django_capture_on_commit_callbacks(execute=True):
        assert recompute_popularity() == 1

    assert by_sales()[:2] == [b.product_id, a.product_id]
    assert shop_version() > version


def test_only_sold_orders_of_the_window_count():
    """Paid, cash on delivery and later statuses count; unpaid, cancelled, closed and
    orders older than 30 days do not. Lines of one product add up over SKUs."""
    a = SkuFactory()
    a2 = SkuFactory(product=a.product, specs={"颜色": "另一色"})
    sold(a, 2)
    sold(a2, 1, status=OrderStatus.SHIPPED)
    sold(a, 4, status=OrderStatus.COD_CONFIRMED, payment_method="cod")
    sold(a, 8, status=OrderStatus.COMPLETED, days_ago=29)
    for status in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED, OrderStatus.CLOSED):
        sold(a, 100, status=status)
    sold(a, 1000, days_ago=31)

    recompute_popularity()

    assert figures() == {a.product_id: 15}


def test_figures_fall_back_to_zero_and_an_unchanged_run_touches_nothing(
    django_capture_on_commit_callbacks,
):
    """A product whose sales left the window (or a made-up demo figure) drops to 0; a run
    with nothing new changes no row and keeps the shop cache."""
    a, b = SkuFactory(), SkuFactory()
    ProductPopularity.objects.create(product=b.product, units_sold=50)
    sold(a, 2)
    assert recompute_popularity() == 2
    assert figures() == {a.product_id: 2, b.product_id: 0}

    version = shop_version()
    with django_capture_on_commit_callbacks(execute=True):
        assert recompute_popularity_task.delay().get() == 0
    assert shop_version() == version


def test_recompute_query_count_does_not_grow_with_products(django_assert_num_queries):
    """Sum, read, upsert, reset (+ savepoint pair): the same for 2 or 20 products."""
    for n in (2, 20):
        ProductPopularity.objects.all().update(units_sold=0)
        Order.objects.all().delete()
        for _ in range(n):
            sold(SkuFactory(), 1)
        ProductPopularity.objects.create(product=SkuFactory().product, units_sold=5)
        with django_assert_num_queries(6):
            recompute_popularity()

import json

import pytest
from django.test import RequestFactory

from mercato.demo import bench_views
from mercato.inventory.services import receive_stock
from mercato.testing.factories import ProductFactory, SkuFactory, make_warehouse


@pytest.mark.django_db
def test_bench_views_are_off_by_default(client):
    """Without MERCATO_BENCH_VIEWS the bare benchmark views do not exist."""
    product = ProductFactory()
    assert client.get(f"/bench/product/{product.pk}/").status_code == 404
    assert client.get("/bench/products/").status_code == 404


@pytest.mark.django_db
def test_one_product_row_in_one_query(django_assert_max_num_queries):
    """The bare one-row view answers with the product's row, in a single query."""
    product = ProductFactory(name="测试手机")
    with django_assert_max_num_queries(1):
        response = bench_views.product_row(RequestFactory().get("/"), product_id=product.pk)
    assert response.status_code == 200
    assert json.loads(response.content)["name"] == "测试手机"


@pytest.mark.django_db
def test_fifty_rows_in_one_query_newest_first(django_assert_max_num_queries):
    """The bare list view returns the back office's first page: 50 rows, newest first."""
    products = ProductFactory.create_batch(55)
    SkuFactory.create_batch(3, product=products[-1])
    with django_assert_max_num_queries(1):
        response = bench_views.product_rows(RequestFactory().get("/"))
    rows = json.loads(response.content)["rows"]
    assert len(rows) == 50
    assert rows[0]["id"] == products[-1].pk
    assert rows[0]["sku_count"] == 3


def _stock(*, on_hand: int):
    warehouse = make_warehouse("SH01", "上海市")
    return receive_stock(
        actor=None, sku_id=SkuFactory().pk, warehouse_id=warehouse.pk, quantity=on_hand
    )


@pytest.mark.django_db
def test_reserve_one_is_one_conditional_update(django_assert_num_queries):
    """The bare reservation view holds one unit with a single UPDATE, and refuses when
    nothing is left (409) without going below zero."""
    stock = _stock(on_hand=2)
    request = RequestFactory().post("/")
    for _ in range(2):
        with django_assert_num_queries(1):
            response = bench_views.reserve_one(request, stock_id=stock.pk)
        assert response.status_code == 200
    assert bench_views.reserve_one(request, stock_id=stock.pk).status_code == 409
    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved) == (2, 2)


@pytest.mark.django_db
def test_reserve_one_is_off_by_default(client):
    """Without MERCATO_BENCH_VIEWS nobody can reserve stock through the bare view."""
    stock = _stock(on_hand=5)
    assert client.post(f"/bench/reserve/{stock.pk}/").status_code == 404
    stock.refresh_from_db()
    assert stock.reserved == 0

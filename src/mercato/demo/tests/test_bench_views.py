import json

import pytest
from django.test import RequestFactory

from mercato.catalog.tests.factories import ProductFactory, SkuFactory
from mercato.demo import bench_views


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

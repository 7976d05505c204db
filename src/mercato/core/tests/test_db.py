"""mercato.core.db: planner statistics, and the written-out statements of hot paths."""

from decimal import Decimal

import pytest
from django.db import connection

from mercato.catalog.models import Brand
from mercato.core.db import (
    db_decimal,
    execute_together,
    insert_rows,
    insert_statement,
    refresh_planner_statistics,
)
from mercato.testing.factories import SkuFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_after_a_bulk_load_the_planner_counts_the_new_rows():
    SkuFactory.create_batch(30)
    refresh_planner_statistics()
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'catalog_sku'")
        (estimated_rows,) = cursor.fetchone()
    assert estimated_rows == 30


# The written-out statements of placement's hot path ----------------------------------------


@pytest.mark.django_db
def test_insert_rows_writes_every_row_in_one_statement_and_sets_the_keys_in_order(
    django_assert_num_queries,
):
    brands = [Brand(name=f"牌子{i}", slug=f"brand-{i}") for i in range(3)]
    with django_assert_num_queries(1):
        insert_rows(brands)
    assert all(b.pk for b in brands) and not brands[0]._state.adding
    assert {b.name: b.pk for b in brands} == dict(
        Brand.objects.filter(slug__startswith="brand-").values_list("name", "pk")
    )


@pytest.mark.django_db
def test_execute_together_runs_every_statement_and_answers_the_last_ones_row_count(
    django_assert_num_queries,
):
    Brand.objects.create(name="丁", slug="ding")
    statements = [
        insert_statement([Brand(name="甲", slug="jia")]),
        insert_statement([Brand(name="乙", slug="yi"), Brand(name="丙", slug="bing")]),
        ("UPDATE catalog_brand SET country = %s WHERE slug IN (%s, %s)", ["中国", "ding", "x"]),
    ]
    # One round trip on PostgreSQL (a WITH of the three), one statement each on SQLite.
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 3):
        count = execute_together(statements)
    assert count == 1  # the UPDATE's row
    assert Brand.objects.get(slug="ding").country == "中国"
    assert set(Brand.objects.values_list("slug", flat=True)) >= {"jia", "yi", "bing", "ding"}


@pytest.mark.parametrize(
    ("stored", "expected"),
    [(Decimal("43.90"), "43.90"), (43.9, "43.90"), (2999, "2999.00"), (0.1, "0.10")],
)
def test_db_decimal_gives_the_fields_scale_whatever_the_engine_returned(stored, expected):
    assert str(db_decimal(stored)) == expected

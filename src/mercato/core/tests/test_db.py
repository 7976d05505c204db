"""mercato.core.db: planner statistics, and the written-out statements of hot paths."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from mercato.catalog.models import Brand
from mercato.core.db import (
    _insert_plan,
    _prepare_all,
    db_decimal,
    execute_together,
    insert_rows,
    insert_statement,
    refresh_planner_statistics,
)
from mercato.core.models import OutboxMessage
from mercato.inventory.models import Reservation, StockMovement
from mercato.orders.models import Order, OrderEvent, OrderLine
from mercato.promotions.models import Redemption
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


# Samples of each Python type insert_statement prepares without the field's calls.
_SAMPLES = {
    str: ["", "张三 x"],
    int: [0, 7, 2**40],
    bool: [True, False],
    Decimal: [Decimal("12.30"), Decimal("0"), Decimal("-1.5")],
    datetime: [datetime(2026, 12, 5, 11, 30, 0, 123456, tzinfo=UTC)],
}


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime:RuntimeWarning")
@pytest.mark.parametrize(
    "model",
    [Order, OrderLine, OrderEvent, OutboxMessage, Redemption, StockMovement, Reservation, Brand],
    ids=lambda model: model.__name__,
)
def test_each_column_is_prepared_as_its_field_prepares_it(model):
    """For every column of the rows placement writes, a value the plan writes without
    the field's calls (of each type it takes so, and None) comes out as the field's
    get_db_prep_save gives it: equal and of the same type; a value of another type (a
    naive datetime, a NaN, a lazy string) goes through the field."""
    from django.utils.functional import lazystr

    db = connections[DEFAULT_DB_ALIAS]
    _head, _row, plan = _insert_plan(model, db.vendor, True)
    fast = 0
    for column in plan:
        if not column.types:
            continue  # always prepared by the field itself
        fast += 1
        samples = [value for t in column.types for value in _SAMPLES[t]]
        if column.field.null:
            samples.append(None)
        others = [datetime(2026, 12, 5, 11, 30), Decimal("NaN"), lazystr("放门口")]
        for value in samples + others:
            try:
                expected = column.field.get_db_prep_save(value, db)
            except Exception as exc:  # noqa: BLE001 - the plan must refuse it the same way
                with pytest.raises(type(exc)):
                    _prepare_all((column,), [value], db)[0]
                continue
            got = _prepare_all((column,), [value], db)[0]
            assert (type(got), got) == (type(expected), expected), (column.field, value)
    assert fast >= len(plan) // 2  # most columns skip the field's calls

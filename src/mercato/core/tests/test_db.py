"""refresh_planner_statistics: the planner sees freshly loaded rows."""

import pytest
from django.db import connection

from mercato.catalog.tests.factories import SkuFactory
from mercato.core.db import refresh_planner_statistics


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_after_a_bulk_load_the_planner_counts_the_new_rows():
    SkuFactory.create_batch(30)
    refresh_planner_statistics()
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'catalog_sku'")
        (estimated_rows,) = cursor.fetchone()
    assert estimated_rows == 30

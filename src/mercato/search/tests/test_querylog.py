"""Search counts written by several server processes at once (search.querylog)."""

import threading
from datetime import date

import pytest
from django.db import connection, connections
from django.utils import timezone

from mercato.search import querylog
from mercato.search.models import SearchQueryDay

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_processes_writing_counts_at_once_neither_fail_nor_lose_any():
    """Two processes holding the same queries, first searched in opposite orders, write
    their counts at the same moment: each upsert locks the rows in one order, so neither
    waits for the other in a cycle (a deadlock failed the search that was writing: a 503
    in a rotating search bench)."""
    day = date(2026, 12, 4)
    queries = [f"查询{i:03d}" for i in range(150)]
    rounds, errors = 15, []
    barrier = threading.Barrier(2)

    def process(order):
        try:
            for _ in range(rounds):
                barrier.wait(timeout=30)
                querylog.write_rows([(q, day, 1, 0, timezone.now()) for q in order])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            barrier.abort()
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=process, args=(queries,)),
        threading.Thread(target=process, args=(queries[::-1],)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    counts = set(SearchQueryDay.objects.values_list("searches", flat=True))
    assert counts == {2 * rounds}

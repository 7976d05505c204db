"""Counting customers' searches: hot searches and the zero-result log.

Counting is a write on every search, and popular queries all write the same row: done
synchronously, requests for one query queue on that row's lock and on the commit's disk
flush. So each server process adds its counts up in memory and writes them in one upsert
at most every MERCATO_SEARCH_COUNT_SECONDS (default 10; 0 writes on every search). A
process that stops (a restart, a crash) loses at most those seconds of counts, which
statistics can afford; there is deliberately no write at exit, which would reach whatever
database the exiting process last pointed at (a test run's, for one).
The zero-result report for operations (`search_report`) writes this process's counts
first; the hot searches customers see are read at most once a minute per cache.
"""

import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import F, Max, Sum
from django.utils import timezone

from . import text
from .models import HiddenHotSearch, SearchQueryDay

DEFAULT_COUNT_SECONDS = 10
HOT_CACHE_KEY = "search:hot"
HOT_CACHE_SECONDS = 60
MAX_PENDING = 1000  # distinct (query, day) pairs held before writing regardless of time
_UPSERT_ROWS = 200

_lock = threading.Lock()
# (query, day) → [searches, searches without results, last searched]
_pending: dict[tuple, list] = {}
_last_write = time.monotonic()


def count_seconds() -> float:
    return float(getattr(settings, "MERCATO_SEARCH_COUNT_SECONDS", DEFAULT_COUNT_SECONDS))


def record_search(*, query: str, total: int) -> None:
    """Count a customer's search for today (page 1 only: paging is not a new search)."""
    cleaned = text.normalize(text.clean_query(query)[0])
    if not cleaned:
        return
    now = timezone.now()
    with _lock:
        row = _pending.setdefault((cleaned, timezone.localdate(now)), [0, 0, now])
        row[0] += 1
        row[1] += 1 if total == 0 else 0
        row[2] = max(row[2], now)
        due = time.monotonic() - _last_write >= count_seconds() or len(_pending) >= MAX_PENDING
    if due:
        write_search_counts()


def write_search_counts() -> int:
    """Add this process's pending counts to the database; returns the rows written."""
    global _last_write
    with _lock:
        rows = [(q, day, *counts) for (q, day), counts in _pending.items()]
        _pending.clear()
        _last_write = time.monotonic()
    write_rows(rows)
    return len(rows)


def write_rows(rows) -> None:
    """Add (query, day, searches, zero results, last searched) rows to the stored counts."""
    if not rows:
        return
    # In key order: every process then locks the rows it shares with another in the same
    # order. In the order each first searched them, two processes writing at once could
    # each hold a row the other wanted: PostgreSQL broke the deadlock by failing one of
    # the statements, and with it the search that was writing (a 503).
    rows = sorted(rows, key=lambda row: (row[0], row[1]))
    table = connection.ops.quote_name(SearchQueryDay._meta.db_table)
    # One statement for any number of queries; adding to the stored counts keeps other
    # processes' counts. PostgreSQL and SQLite (3.24+) share this upsert syntax.
    for start in range(0, len(rows), _UPSERT_ROWS):
        chunk = rows[start : start + _UPSERT_ROWS]
        values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
        sql = (
            f"INSERT INTO {table} (query, day, searches, zero_results, last_seen) "  # noqa: S608
            f"VALUES {values} ON CONFLICT (query, day) DO UPDATE SET "
            f"searches = {table}.searches + excluded.searches, "
            f"zero_results = {table}.zero_results + excluded.zero_results, "
            f"last_seen = CASE WHEN excluded.last_seen > {table}.last_seen "
            f"THEN excluded.last_seen ELSE {table}.last_seen END"
        )
        ops = connection.ops
        params = [
            value
            for q, day, searches, zero, last in chunk
            for value in (
                q,
                ops.adapt_datefield_value(day),
                searches,
                zero,
                ops.adapt_datetimefield_value(last),
            )
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def forget_pending_counts() -> None:
    """Drop counts not yet written (tests: a rolled-back test's searches)."""
    with _lock:
        _pending.clear()


def hot_searches(*, limit: int = 10, days: int = 7) -> list[str]:
    """The most searched queries of the last `days` days that found something. Kept in
    the cache for a minute: customers see them on every fruitless search."""
    key = f"{HOT_CACHE_KEY}:{cache.get(HOT_CACHE_KEY, 0)}:{limit}:{days}"
    found = cache.get(key)
    if found is None:
        found = _hot_searches(limit=limit, days=days)
        cache.set(key, found, HOT_CACHE_SECONDS)
    return found


def forget_hot_searches() -> None:
    """After a query is hidden or shown again: the next page reads them afresh."""
    try:
        cache.incr(HOT_CACHE_KEY)
    except ValueError:
        cache.set(HOT_CACHE_KEY, 1, None)


def _hot_searches(*, limit: int, days: int) -> list[str]:
    since = timezone.localdate() - timedelta(days=days - 1)
    hidden = HiddenHotSearch.objects.values("query")
    rows = (
        SearchQueryDay.objects.filter(day__gte=since)
        .exclude(query__in=hidden)
        .values("query")
        .annotate(n=Sum("searches"), zero=Sum("zero_results"))
        .filter(n__gt=F("zero"))
        .order_by("-n", "query")[:limit]
    )
    return [row["query"] for row in rows]


def search_report(*, days: int = 30, zero_only: bool = False):
    """Per query over `days` days: searches, searches without results, last searched."""
    write_search_counts()
    since = timezone.localdate() - timedelta(days=days - 1)
    rows = (
        SearchQueryDay.objects.filter(day__gte=since)
        .values("query")
        .annotate(n=Sum("searches"), zero=Sum("zero_results"), last=Max("last_seen"))
    )
    if zero_only:
        return rows.filter(zero__gt=0).order_by("-zero", "-last")
    return rows.order_by("-n", "query")

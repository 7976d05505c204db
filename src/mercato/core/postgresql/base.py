"""Django's PostgreSQL backend, with the connection health check made cheap, and psycopg's
conversion of statements cached for statements of up to PARSE_CACHE_PARAMS parameters.

With CONN_HEALTH_CHECKS, Django checks a persistent connection with a `SELECT 1` round
trip before the first query of every request: under load, a second statement for every
request that reads one row (docs/performance.md). Here the check runs only on a connection
that has been idle for HEALTH_CHECK_IDLE_SECONDS or longer, which is when a restarted or
failed-over server or a proxy's idle timeout can have closed it. A connection that broke
within that second fails its request as without health checks, and Django closes it at
the end of that request (errors_occurred), so the next request reconnects.
"""

import time

from django.db.backends.postgresql import base
from psycopg import _queries

HEALTH_CHECK_IDLE_SECONDS = 1.0

# psycopg turns a statement's %s placeholders into $1, $2 … in Python on every execute,
# and keeps the result in an LRU cache (128 statements) only for statements of at most 50
# parameters and 4,096 characters. Placement's order statement (the order, its lines, its
# first event, the payment timer, the redemptions and the cart lines' DELETE: one round
# trip) has about 100 parameters in a few shapes, so it was converted again every time:
# 0.1 ms of Python, a fortieth of a placement (docs/performance.md). The length limit
# stays: it keeps out the multi-row INSERTs of imports, whose shapes vary with their rows
# (what psycopg's limits are for), so the cache holds at most 128 statements of 4 KB.
PARSE_CACHE_PARAMS = 200
if getattr(_queries, "MAX_CACHED_STATEMENT_PARAMS", PARSE_CACHE_PARAMS) < PARSE_CACHE_PARAMS:
    _queries.MAX_CACHED_STATEMENT_PARAMS = PARSE_CACHE_PARAMS


class DatabaseWrapper(base.DatabaseWrapper):
    _checked_at = 0.0  # the last request start or end on this connection (monotonic)

    def close_if_unusable_or_obsolete(self):
        """Called at the start and at the end of every request (Django's signals)."""
        super().close_if_unusable_or_obsolete()
        if self.connection is None:
            return
        now = time.monotonic()
        if now - self._checked_at < HEALTH_CHECK_IDLE_SECONDS:
            self.health_check_done = True  # in use a moment ago: no SELECT 1
        self._checked_at = now

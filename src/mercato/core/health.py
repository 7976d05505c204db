"""Readiness checks for /readyz.

Each check returns None when fine, else a short reason. What a failed check means depends
on what the shop can do without it (docs/operator.md, "When things fail"):

- "down": the node cannot serve (the database). /readyz answers 503, so the load balancer
  stops sending it requests.
- "degraded": the shop keeps selling without it, slower or later (the cache, the broker, the
  workers, the outbox relay, the expiry sweep). /readyz answers 200 naming it, so a Redis
  outage does not take every node out of the load balancer; /readyz?deep answers 503, for
  the monitoring that alarms.

The checks run are MERCATO_READINESS_CHECKS: (name, dotted path, "down" or "degraded");
apps above core list their own there (the expiry sweep's lives in orders).
"""

import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils.module_loading import import_string

DOWN = "down"
DEGRADED = "degraded"
NOT_USED = "not used"  # a check answering this is left out (no broker configured, ...)


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:200]


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return _reason(exc)
    return None


def check_cache() -> str | None:
    key = f"readyz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", 5)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except Exception as exc:  # noqa: BLE001
        return _reason(exc)
    if ok:
        return None
    # mercato.core.cache.RedisCache answers misses instead of raising: ask it why.
    from .cache import cache_status

    errors = [state.last_error for state in cache_status().values() if state.down_since]
    return errors[0] if errors else "value written was not read back"


def check_broker() -> str | None:
    if not settings.CELERY_BROKER_URL:
        return NOT_USED
    from kombu import Connection

    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return _reason(exc)
    return None


def check_workers() -> str | None:
    """A Celery worker has reported within MERCATO_WORKER_STALE_SECONDS (core.workers)."""
    if not settings.CELERY_BROKER_URL:
        return NOT_USED  # tasks run in the web process: there is no worker to watch
    from .workers import stale_workers_reason

    try:
        return stale_workers_reason()
    except Exception as exc:  # noqa: BLE001
        return _reason(exc)


def check_outbox() -> str | None:
    """The oldest message waiting in the outbox is not older than it should be."""
    from .outbox import backlog_reason

    try:
        return backlog_reason()
    except Exception as exc:  # noqa: BLE001
        return _reason(exc)


def readiness() -> dict[str, tuple[str, str | None]]:
    """{name: (severity, reason or None)} for every configured check."""
    results = {}
    for name, path, severity in settings.MERCATO_READINESS_CHECKS:
        problem = import_string(path)()
        if problem == NOT_USED:
            continue
        results[name] = (severity, problem)
        if name == "database" and problem:
            break  # the rest read the database too: they would only repeat it
    return results

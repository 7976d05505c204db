"""Readiness checks: each returns None when fine, else a short reason."""

import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
    return None


def check_cache() -> str | None:
    key = f"readyz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", 5)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
    return None if ok else "value written was not read back"


def check_broker() -> str | None:
    if not settings.CELERY_BROKER_URL:
        return None
    from kombu import Connection

    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
    return None


def readiness() -> dict[str, str | None]:
    checks = {"database": check_database(), "cache": check_cache()}
    if settings.CELERY_BROKER_URL:
        checks["broker"] = check_broker()
    return checks

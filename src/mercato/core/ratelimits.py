"""Rate limits that decide, each for itself, what to do when the cache is unreachable.

Counting is django-ratelimit's, in the cache (`get_usage`); which limits exist and what
they count by is core.ratelimit's. When the cache cannot be
reached, django-ratelimit alone would refuse everything (or allow everything, for the
whole site); here each limit says which, with `on_outage`:

- OnOutage.OPEN: allow. For limits whose abuse costs little for a few minutes.
- OnOutage.CLOSED: refuse. For actions that must never run unlimited and can wait.
- OnOutage.DATABASE: count in the database (RateLimitCount) for as long as the cache is
  away: the limit holds, at the cost of a write per request. Log-in and SMS codes use it:
  a password or a code must not be guessable because Redis is down, and customers must
  still be able to log in.

The table of limits and their choice is in docs/operator.md ("When things fail").
"""

import hashlib
import logging
import random
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.core.cache import caches
from django.db import connection, transaction
from django.utils import timezone
from django_ratelimit.core import _split_rate, get_usage

from .models import RateLimitCount

logger = logging.getLogger(__name__)

PURGE_EVERY = 100  # on average, one counting call in this many deletes expired counters


class OnOutage(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    DATABASE = "database"


def _cache():
    return caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]


def _failures(cache) -> int | None:
    """How many calls the cache failed so far (mercato.core.cache.RedisCache counts them;
    other backends raise instead)."""
    state = getattr(cache, "_state", None)
    return getattr(state, "failures", None)


def over_limit(
    request, *, group: str, key, rate: str, on_outage: OnOutage, increment: bool = True
) -> bool:
    """Whether this request is over `rate` for `key` (django-ratelimit's key: a callable
    (group, request) → str, or one of its names). With `increment`, this request is
    counted and may be the limit-th; without, only asks whether the limit is used up (for
    actions that count only when they fail)."""
    cache = _cache()
    before = _failures(cache)
    try:
        usage = get_usage(request, group=group, key=key, rate=rate, increment=increment)
    except Exception as exc:  # noqa: BLE001 - a cache backend that raises when it is down
        logger.warning("Rate limit %s: cache failed (%r), %s", group, exc, on_outage)
        return _on_outage(request, group, key, rate, on_outage, increment)
    unavailable = not getattr(cache, "available", True)
    if before is not None and (_failures(cache) != before or unavailable):
        return _on_outage(request, group, key, rate, on_outage, increment)
    if usage is None:  # a rate of None: no limit
        return False
    return usage["should_limit"] if increment else usage["count"] >= usage["limit"]


def _on_outage(request, group, key, rate, on_outage: OnOutage, increment: bool) -> bool:
    if on_outage == OnOutage.OPEN:
        return False
    if on_outage == OnOutage.CLOSED:
        return True
    value = _key_value(request, group, key)
    return count_in_database(group=group, value=value, rate=rate, increment=increment)


def _key_value(request, group: str, key) -> str:
    if callable(key):
        return str(key(group, request))
    from django_ratelimit.core import _SIMPLE_KEYS  # the names django-ratelimit accepts

    return str(_SIMPLE_KEYS[key](request))


def count_in_database(*, group: str, value: str, rate: str, increment: bool = True) -> bool:
    """The limit counted in the database: one hit of `value` in the current window of
    `rate` (with `increment`: one statement, an upsert returning the count, atomic under
    concurrency on PostgreSQL and SQLite); True when over the limit."""
    limit, period = _split_rate(rate)
    now = timezone.now()
    window = int(now.timestamp()) // period
    digest = hashlib.sha256(
        f"{settings.SECRET_KEY}|{group}|{rate}|{value}|{window}".encode()
    ).hexdigest()
    if not increment:
        count = RateLimitCount.objects.filter(key=digest).values_list("count", flat=True).first()
        return (count or 0) >= limit
    expires = now + timedelta(seconds=period - int(now.timestamp()) % period)
    table = connection.ops.quote_name(RateLimitCount._meta.db_table)
    key = connection.ops.quote_name("key")
    expires_db = connection.ops.adapt_datetimefield_value(expires)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({key}, count, expires_at) VALUES (%s, 1, %s) "  # noqa: S608
                f"ON CONFLICT ({key}) DO UPDATE SET count = {table}.count + 1 RETURNING count",
                [digest, expires_db],
            )
            (count,) = cursor.fetchone()
        if random.randrange(PURGE_EVERY) == 0:  # noqa: S311 - not security: spreading work
            RateLimitCount.objects.filter(expires_at__lt=now).delete()
    return count > limit

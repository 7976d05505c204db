"""Named versions of lists other apps keep per process (core.versioned): the running
promotions, the active warehouses. Kept in the CacheVersion table the shop's page caches
use (catalog.shopcache), one row per name, but apart from those caches: a renewal here
invalidates no page.
"""

import secrets

from django.db import IntegrityError, transaction
from django.db.models import Subquery

from .models import CacheVersion


def named_version(name: str):
    """An ORM expression for the version named `name` (NULL while it was never renewed), for
    a caller that reads it as a column of one of its own queries: an app that keeps a list
    per process (promotions' running offers) knows in that query whether the list is
    still current, with no cache call of its own."""
    return Subquery(CacheVersion.objects.filter(name=name).values("version")[:1])


def renew_named_version(name: str) -> None:
    """Give the version named `name` a new random value, in the caller's transaction: a
    reader sees it together with the change it marks, and a rolled-back change leaves the
    old value, so a value never comes back (a counter would: bumped in a transaction that
    rolls back, then again, it names two different states)."""
    value = secrets.randbits(62)
    if CacheVersion.objects.filter(name=name).update(version=value):
        return
    try:
        with transaction.atomic():  # savepoint: a concurrent first renewal may win
            CacheVersion.objects.create(name=name, version=value)
    except IntegrityError:
        CacheVersion.objects.filter(name=name).update(version=value)

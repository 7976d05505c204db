"""Version counters for the shop front's page caches.

Pages put `shop_version()` in their cache keys; anything that changes what a page shows
(a product, a price, stock going in or out, a home slot) calls `bump_shop_version()`,
after commit, so the next request renders afresh. The counter lives in the database so
every server process sees the bump, whatever the cache backend.

MERCATO_SHOP_STALE_SECONDS (default 0) trades freshness for fewer re-renders: when it is
above 0, bumps are skipped and cached pages simply expire after that many seconds, so a
changed price is never served for longer than that.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save

from mercato.core.compiled import CompiledQuery

from .models import CacheVersion, Category, HomeSlot, Product, ProductImage
from .signals import sku_availability_changed

NAME = "shop"


def stale_seconds() -> int:
    return int(getattr(settings, "MERCATO_SHOP_STALE_SECONDS", 0))


def page_seconds() -> int:
    """How long a rendered page fragment may live in the cache."""
    stale = stale_seconds()
    return stale if stale > 0 else int(getattr(settings, "MERCATO_SHOP_CACHE_SECONDS", 600))


# Compiled once (mercato.core.compiled): every shop page asks, and the ORM spent about
# 1 ms of Python building this one-row query, a third of a cached product page.
VERSION = CompiledQuery(
    "catalog.shop_version",
    lambda name: CacheVersion.objects.filter(name=name).values_list("version")[:1],
)


def shop_version() -> int:
    """The current version (one lookup by the unique name)."""
    rows = VERSION.rows(name=NAME)
    return rows[0][0] if rows else 0


def _bump() -> None:
    if not CacheVersion.objects.filter(name=NAME).update(version=F("version") + 1):
        CacheVersion.objects.get_or_create(name=NAME, defaults={"version": 1})


def bump_shop_version() -> None:
    """Invalidate the shop's cached pages once the current transaction commits."""
    if stale_seconds() > 0:
        return
    # After commit: the row is never locked for the length of a long write transaction,
    # and a rolled-back change invalidates nothing.
    transaction.on_commit(_bump)


def _on_change(sender, **kwargs) -> None:
    bump_shop_version()


# Single-row saves through services and the admin; bulk paths (imports, bulk price changes)
# end in refresh_price_range(), which bumps too.
for _model in (Product, Category, ProductImage, HomeSlot):
    post_save.connect(_on_change, sender=_model, dispatch_uid=f"shopcache-save-{_model.__name__}")
    post_delete.connect(
        _on_change, sender=_model, dispatch_uid=f"shopcache-delete-{_model.__name__}"
    )
# Stock going to zero or back (inventory sends it; the bump waits for the commit).
sku_availability_changed.connect(_on_change, dispatch_uid="shopcache-sku-availability")

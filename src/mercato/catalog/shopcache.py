"""Version counters for the shop front's page caches.

Pages put `shop_version()` in their cache keys; anything that changes what a page shows
(a product, a price, stock going in or out, a home slot) calls `bump_shop_version()`,
after commit, so the next request renders afresh. The counter lives in the database so
every server process sees the bump, whatever the cache backend.

A second counter, the content version, moves with every bump but a stock state's: what a
product page keeps across shop-version bumps (its product's text, category trail and
images, the related products' cards, which show no stock state: storefront.page_data's
document) is keyed by it, so stock going in or out (the commonest bump of a busy shop)
leaves those documents in place, and every other change (a product, category or image
saved, a brand reindexed, a price, a sales order, a review, an import, a search
dictionary change) invalidates them with the pages.

MERCATO_SHOP_STALE_SECONDS (default 0) trades freshness for fewer re-renders: when it is
above 0, bumps are skipped and cached pages simply expire after that many seconds, so a
changed price is never served for longer than that.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.signals import post_delete, post_save

from mercato.core.compiled import CompiledQuery

from .models import CacheVersion, Category, HomeSlot, Product, ProductImage
from .signals import sku_availability_changed

NAME = "shop"
CONTENT = "content"  # what a product page keeps across stock-only bumps


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


VERSIONS = CompiledQuery(
    "catalog.shop_versions",
    lambda shop, content: CacheVersion.objects.filter(Q(name=shop) | Q(name=content)).values_list(
        "name", "version"
    ),
)


def shop_version() -> int:
    """The current version (one lookup by the unique name)."""
    rows = VERSION.rows(name=NAME)
    return rows[0][0] if rows else 0


def shop_versions() -> tuple[int, int]:
    """The shop version and the content version, in one statement (0 for a missing row)."""
    found = dict(VERSIONS.rows(shop=NAME, content=CONTENT))
    return found.get(NAME, 0), found.get(CONTENT, 0)


def _bump(names: tuple[str, ...]) -> None:
    bumped = CacheVersion.objects.filter(name__in=names).update(version=F("version") + 1)
    if bumped < len(names):
        for name in names:
            CacheVersion.objects.get_or_create(name=name, defaults={"version": 1})


def bump_shop_version(*, content: bool = True) -> None:
    """Invalidate the shop's cached pages once the current transaction commits, and with
    them (unless `content` is False: only stock states changed) what product pages keep
    of their products (the content version)."""
    if stale_seconds() > 0:
        return
    names = (NAME, CONTENT) if content else (NAME,)
    # After commit: the row is never locked for the length of a long write transaction,
    # and a rolled-back change invalidates nothing.
    transaction.on_commit(lambda: _bump(names))


def _on_change(sender, **kwargs) -> None:
    bump_shop_version()


def _on_stock_change(sender, **kwargs) -> None:
    bump_shop_version(content=False)


# Single-row saves through services and the admin; bulk paths (imports, bulk price changes)
# end in refresh_price_range(), which bumps too. (A brand saved is reindexed by search,
# whose services bump.)
for _model in (Product, Category, ProductImage, HomeSlot):
    post_save.connect(_on_change, sender=_model, dispatch_uid=f"shopcache-save-{_model.__name__}")
    post_delete.connect(
        _on_change, sender=_model, dispatch_uid=f"shopcache-delete-{_model.__name__}"
    )
# Stock going to zero or back (inventory sends it; the bump waits for the commit): the
# pages, not the content version (a product page reads its SKUs' stock afresh).
sku_availability_changed.connect(_on_stock_change, dispatch_uid="shopcache-sku-availability")

"""Result pages of popular queries, served from the cache.

A page is cached under its cleaned query, filter and sort parameters, page number, language
(facet labels are translated) and the shop version of catalog.shopcache. That version moves
on every change a result page shows: a product saved, a price, stock going in or out (the
catalogue bumps it), and also when search re-indexes products or synonyms change (search
bumps it). So a cached page is never older than the catalogue, except with
MERCATO_SHOP_STALE_SECONDS above 0, where every shop page may be that many seconds old.

MERCATO_SEARCH_CACHE_SECONDS: how long a page lives (default: the shop pages' lifetime);
0 turns the cache off.
"""

import hashlib
import json

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language

from mercato.catalog.shopcache import page_seconds, shop_version

KEY_PREFIX = "search:page"


def cache_seconds() -> int:
    seconds = getattr(settings, "MERCATO_SEARCH_CACHE_SECONDS", None)
    return page_seconds() if seconds is None else int(seconds)


def _filter_pairs(params) -> list[tuple[str, str]]:
    keys = list(params.keys()) if hasattr(params, "keys") else []
    pairs = []
    for key in keys:
        if key in ("q", "page"):
            continue
        values = params.getlist(key) if hasattr(params, "getlist") else params.get(key)
        values = values if isinstance(values, list | tuple) else [values]
        pairs += [(key, str(v)) for v in values]
    return pairs


def result_key(*, query: str, params, page: int, per_page: int, version: int | None = None) -> str:
    raw = json.dumps(
        [query, _filter_pairs(params), page, per_page, get_language()], ensure_ascii=False
    )
    digest = hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()
    version = shop_version() if version is None else version
    return f"{KEY_PREFIX}:{version}:{digest}"


def cached_result_page(
    *, query: str, params, page: int, per_page: int, compute, version: int | None = None
):
    """The cached page for these arguments, else `compute()`'s, cached for next time.
    `version`: the shop version the caller has read (else read here)."""
    seconds = cache_seconds()
    if seconds <= 0:
        return compute()
    key = result_key(query=query, params=params, page=page, per_page=per_page, version=version)
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, seconds)
    return found

"""Fragment cache of the shop's pages, keyed by the catalogue's version counter.

A page's body (everything but the header with its CSRF token and log-in links) is rendered
once per (page, parameters, language, province) and version; services bump the version
when a product, price, stock state or home slot changes (catalog/shopcache.py).
"""

import hashlib

from django.core.cache import cache
from django.utils.translation import get_language

from mercato.catalog.shopcache import page_seconds, shop_version


def cached(parts: tuple, build) -> dict:
    """`build()` → dict of strings, cached under `parts` + language + shop version."""
    raw = "|".join(str(p) for p in (*parts, get_language()))
    key = f"sf:{shop_version()}:{hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()}"
    hit = cache.get(key)
    if hit is not None:
        return hit
    value = build()
    cache.set(key, value, page_seconds())
    return value

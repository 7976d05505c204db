"""The project's URL patterns with each path's match remembered (mercato/urls.py).

Django resolves every request by walking the URL configuration from the top: each include
whose prefix does not fit raises Resolver404 and adds to a list of what was tried. For a
shop page that is 100 to 200 Python calls and 20 to 60 µs, for an API path 400 calls
(the includes before the shop's, then the shop's own patterns), the same for the same path
every time. The project's patterns are held by one resolver that remembers the match of
each path it has resolved (the last `size` paths); Django's root resolver builds the
request's ResolverMatch from it as before (its own kwargs dict each request), so views and
middleware get what they got. A path that matches nothing is not remembered: it raises
Resolver404, with what was tried, each time.

Resolution depends on the path alone here: no route is translated and there are no
i18n_patterns (core.tests.test_resolving checks both), so the active language does not
change a match. The URL configuration does not change while a process runs; a test that
swaps ROOT_URLCONF gets another resolver, with its own memory.
"""

from functools import lru_cache

from django.urls import URLResolver
from django.urls.resolvers import RoutePattern

PATHS_REMEMBERED = 4096  # the demo shop's on-sale product pages, categories and the rest


class RememberingResolver(URLResolver):
    """`path("", include(patterns))` that resolves each path once."""

    def __init__(self, patterns: list, *, size: int = PATHS_REMEMBERED):
        super().__init__(RoutePattern(""), patterns)
        # Thread-safe; an exception (Resolver404) is not cached.
        self._remembered = lru_cache(maxsize=size)(super().resolve)

    def resolve(self, path):
        return self._remembered(str(path))

    def forget(self) -> None:
        self._remembered.cache_clear()


def remembering(patterns: list, *, size: int = PATHS_REMEMBERED) -> list:
    """The URL configuration's `urlpatterns`: `patterns` behind one RememberingResolver."""
    return [RememberingResolver(patterns, size=size)]

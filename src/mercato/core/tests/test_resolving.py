"""The project's URL patterns behind one resolver that remembers each path's match
(core/resolving.py): the same matches as Django's walk, each request its own."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.urls.resolvers import LocalePrefixPattern, RegexPattern
from django.utils.functional import Promise

from mercato import urls as project_urls
from mercato.core.resolving import RememberingResolver

PATHS = [
    "/",
    "/healthz",
    "/p/some-product/",
    "/p/some-product/questions/12/answer/",
    "/c/shouji/",
    "/cart/add/",
    "/search/",
    "/api/orders",
    "/api/cart/lines",
    "/backoffice/catalog/products/",
    "/admin/",
    "/i18n/setlang/",
    "/tender-bid/abc/",
    "/sitemap-products.xml",
]


def remembering() -> RememberingResolver:
    (held,) = project_urls.urlpatterns
    assert isinstance(held, RememberingResolver)
    return held


def walked(path):
    """Django's own resolution of the same patterns, nothing remembered."""
    return URLResolver(RegexPattern(r"^/"), remembering().url_patterns).resolve(path)


def described(match) -> tuple:
    return (
        match.func, match.args, match.kwargs, match.url_name, match.app_names,
        match.namespaces, match.route, match.view_name, match.captured_kwargs,
        match.extra_kwargs,
    )  # fmt: skip


def test_each_path_resolves_as_django_walks_it_the_first_time_and_after():
    remembering().forget()
    for path in PATHS:
        first, again = resolve(path), resolve(path)
        assert described(first) == described(again) == described(walked(path)), path
        assert first is not again and first.kwargs is not again.kwargs
    info = remembering()._remembered.cache_info()
    assert info.hits >= len(PATHS) and info.currsize == len(PATHS)


def test_a_match_changed_by_its_request_does_not_change_the_next():
    first = resolve("/p/some-product/")
    first.kwargs["slug"] = "changed"
    first.args += ("extra",)
    again = resolve("/p/some-product/")
    assert again.kwargs == {"slug": "some-product"} and again.args == ()


def test_a_path_that_matches_nothing_is_not_remembered_and_says_what_was_tried():
    held = remembering()
    held.forget()
    for _ in range(2):
        with pytest.raises(Resolver404) as raised:
            get_resolver().resolve("/no/such/page/")
        assert raised.value.args[0]["tried"]  # the 404 page's list, as before
    assert held._remembered.cache_info().currsize == 0


def test_it_remembers_only_the_last_paths():
    held = RememberingResolver(remembering().url_patterns, size=3)
    for n in range(10):
        held.resolve(f"p/product-{n}/")
    assert held._remembered.cache_info().currsize == 3
    assert held.resolve("p/product-1/").kwargs == {"slug": "product-1"}


def test_reversing_is_unchanged():
    assert reverse("storefront:product", kwargs={"slug": "x"}) == "/p/x/"
    assert reverse("healthz") == "/healthz"
    assert reverse("backoffice:login").startswith("/backoffice/")


def test_no_route_depends_on_the_language():
    """What makes a path's match the same in every language (core/resolving.py)."""

    def walk(entries):
        for entry in entries:
            assert not isinstance(entry.pattern, LocalePrefixPattern)
            route = getattr(entry.pattern, "_route", None) or entry.pattern._regex
            assert not isinstance(route, Promise), entry
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns)
            else:
                assert isinstance(entry, URLPattern)
                yield entry

    assert len(list(walk(get_resolver().url_patterns))) > 100

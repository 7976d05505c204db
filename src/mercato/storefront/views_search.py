"""The search page and search-as-you-type suggestions.

The results are laid out as a category page's: the same product cards (image, price,
from-price, stock state), facets that belong to the results (a category facet first; long
lists folded after the first values), the sorts and pages; the related products a short
list is followed by; and, when nothing is found, what to try instead.
"""

from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_noop
from django.views.decorators.http import require_GET

from mercato.catalog import selectors as catalog_selectors
from mercato.core import querystring
from mercato.core.csrf import get_token
from mercato.search import querylog, selectors
from mercato.search.listing import filters_active

from . import pagecache
from .card_data import card_rows_with_stock
from .cards import kept_card_of
from .markup import word
from .search_listing import listing_html

# The sort keys of catalog.facets.SORTS; on the search page 综合 means relevance. The
# labels are translated by markup.word (once per language and process).
SORT_LABELS = [
    ("", gettext_noop("Relevance")),
    ("sales", gettext_noop("Sales")),
    ("price_asc", gettext_noop("Price ↑")),
    ("price_desc", gettext_noop("Price ↓")),
    ("new", gettext_noop("New")),
]
FACET_VALUES = 8  # values shown before "more"
PAGE_LINKS = 2  # page numbers shown either side of the current one


def product_url(product) -> str:
    """The product page: the model's own URL once it has one, else the shop's route."""
    if hasattr(product, "get_absolute_url"):
        return product.get_absolute_url()
    try:
        return reverse("storefront:product", kwargs={"slug": product.slug})
    except NoReverseMatch:
        return f"/p/{product.slug}/"


def _pairs(params, *, without=("page",)) -> list[tuple[str, str]]:
    return [(k, v) for k in params.keys() if k not in without for v in params.getlist(k)]


def _qs(pairs, **override) -> str:
    pairs = [(k, v) for k, v in pairs if k not in override]
    pairs += [(k, v) for k, v in override.items() if v not in ("", None)]
    return querystring.urlencode(pairs)


def _folded(facets) -> list[dict]:
    """Each facet's first values, and the rest behind "more" (chosen ones stay in view)."""
    out = []
    for facet in facets:
        shown = list(facet.values[:FACET_VALUES])
        rest = facet.values[FACET_VALUES:]
        shown += [v for v in rest if v.selected]
        more = [v for v in rest if not v.selected]
        out.append({"key": facet.key, "label": facet.label, "shown": shown, "more": more})
    return out


def _pages(current: int, last: int) -> list[int]:
    first, final = max(1, current - PAGE_LINKS), min(last, current + PAGE_LINKS)
    return list(range(first, final + 1))


def _cards(ids, *, also=()) -> tuple[list[str], list[str]]:
    """The cards of `ids` and of `also` as HTML (image, name, price, from-price, stock
    state), each in order, in one statement for both lists. Not cached in the shared
    cache one by one: the listing they are part of is kept beside its cached result page,
    and any change to a product, price or stock state moves the shop version both are
    kept under."""
    rows = card_rows_with_stock([*ids, *also])
    language, prefix = get_language(), get_script_prefix()
    html = {pk: kept_card_of(row, row["sold_out"], language, prefix) for pk, row in rows.items()}

    def in_order(pks):
        return [html[pk] for pk in pks if pk in html]

    return in_order(ids), in_order(also)


def listing_context(request, result) -> dict:
    """What the listing shows (search_listing.listing_html; the template _listing.html)."""
    params = request.GET
    pairs = [(k, v) for k, v in _pairs(params, without=("page", "q")) if k != "sort"]
    base = [("q", result.query), *pairs]
    cards, related = _cards(result.ids, also=result.related_ids)
    return {
        "result": result,
        "cards": cards,
        "related": related,
        "facets": _folded(result.facets),
        "filtered": filters_active(params),
        "sorts": [
            (key, word(label), _qs(base, sort=key), key == result.sort)
            for key, label in SORT_LABELS
        ],
        "clear_url": "?" + _qs([("q", result.query)], sort=result.sort),
        "page_links": [
            (n, _qs(base, sort=result.sort, page=n)) for n in _pages(result.page, result.pages)
        ],
        "prev_qs": _qs(base, sort=result.sort, page=result.page - 1) if result.page > 1 else "",
        "next_qs": _qs(base, sort=result.sort, page=result.page + 1)
        if result.page < result.pages
        else "",
        "top_categories": [] if result.total else list(catalog_selectors.top_categories()),
    }


# The page around the results, as every visitor without a session sees it (the header's
# log-in links, the language form), with slots for what changes per request: the query,
# the path, the results, the CSRF token (pagecache.shell: once per language and URL prefix).
def _search_slots() -> dict:
    # No request: what the context processors give a visitor without a session.
    return {
        "query": pagecache.slot("query"),
        "results": pagecache.slot("results"),
        "request": {"get_full_path": pagecache.slot("path")},
        "user": AnonymousUser(),
        "csrf_token": pagecache.slot("csrf"),
    }


def _shared_page(request, result, results: str):
    """The search page of a visitor without a session: the shell with the query, the path,
    the results and the CSRF token put in."""
    values = {
        "query": escape(result.query),
        "path": escape(request.get_full_path()),
        "results": results,
        "csrf": get_token(request),
    }
    html = pagecache.fill(pagecache.shell("storefront/search.html", _search_slots), values)
    response = HttpResponse(html)
    patch_vary_headers(response, ("Cookie",))  # a visitor with a session sees their header
    return response


@require_GET
def search_page(request):
    query = request.GET.get("q", "")
    # The listing (results, facets, sorts, pages, related products) is the same for
    # everyone who searched this: rendered with the result page and cached beside it.
    result = selectors.search_products(
        query=query,
        params=request.GET,
        page=request.GET.get("page", 1),
        render=lambda found: listing_html(**listing_context(request, found)),
    )
    if result.query and result.page == 1 and not filters_active(request.GET):
        querylog.record_search(query=result.query, total=result.total)
    context = {
        "result": result,
        "listing": mark_safe(result.rendered),  # noqa: S308 - escaped by search_listing
        "hot_searches": querylog.hot_searches() if result.total == 0 else [],
    }
    results = render_to_string("storefront/search/_results.html", context)
    if request.htmx:
        return HttpResponse(results)
    if result.query and pagecache.shareable(request):
        return _shared_page(request, result, results)
    return render(request, "storefront/search.html", {"query": result.query, "results": results})


@require_GET
def suggest(request):
    """htmx: brands and categories the typed word may finish as, then products; with
    ?format=json for apps."""
    found = selectors.suggest(prefix=request.GET.get("q", ""))
    search = reverse("storefront:search")
    terms = [{"text": t, "url": f"{search}?{urlencode({'q': t})}"} for t in found.terms]
    items = [{"name": p.name, "url": product_url(p)} for p in found.products]
    if request.GET.get("format") == "json":
        return JsonResponse({"terms": terms, "suggestions": items})
    return render(request, "storefront/search/_suggestions.html", {"terms": terms, "items": items})

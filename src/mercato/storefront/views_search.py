"""The search page and search-as-you-type suggestions.

The results are laid out as a category page's: the same product cards (image, price,
from-price, stock state), facets that belong to the results (a category facet first; long
lists folded after the first values), the sorts and pages; the related products a short
list is followed by; and, when nothing is found, what to try instead.
"""

from urllib.parse import urlencode

from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from mercato.catalog import selectors as catalog_selectors
from mercato.catalog.models import Product
from mercato.catalog.shopcache import page_seconds
from mercato.inventory.selectors import products_in_stock
from mercato.search import querylog, selectors
from mercato.search.listing import filters_active
from mercato.search.resultcache import cached_text

from .cards import card_html, product_url_maker

# The sort keys of catalog.facets.SORTS; on the search page 综合 means relevance.
SORT_LABELS = [
    ("", _("Relevance")),
    ("sales", _("Sales")),
    ("price_asc", _("Price ↑")),
    ("price_desc", _("Price ↓")),
    ("new", _("New")),
]
FACET_VALUES = 8  # values shown before "more"
CARD_KEY = "search:card"
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
    return urlencode(pairs)


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


def _cards(ids, version: int, *, also=()) -> tuple[list[str], list[str]]:
    """The cards of `ids` and of `also` as HTML (image, name, price, from-price, stock
    state), each in order; the missing ones of both lists in one set of queries.

    A card is kept in the cache per product, shop version and language: the version moves
    whenever a product, price, image or stock state changes, so a card is never older than
    what it shows, and a search renders only the cards no search has rendered since."""
    wanted = list(dict.fromkeys([*ids, *also]))
    if not wanted:
        return [], []
    language = get_language()
    keys = {pk: f"{CARD_KEY}:{version}:{language}:{pk}" for pk in wanted}
    found = cache.get_many(list(keys.values()))
    html = {pk: found[key] for pk, key in keys.items() if key in found}
    missing = [pk for pk in wanted if pk not in html]
    if missing:
        rows = catalog_selectors.card_rows(products=Product.objects.filter(pk__in=missing))
        available = products_in_stock(product_ids=missing)
        url = product_url_maker()
        made = {
            pk: str(card_html(**row, sold_out=pk not in available, url=url))
            for pk, row in rows.items()
        }
        cache.set_many({keys[pk]: card for pk, card in made.items()}, page_seconds())
        html.update(made)

    def in_order(pks):
        return [mark_safe(html[pk]) for pk in pks if pk in html]  # noqa: S308 - our markup

    return in_order(ids), in_order(also)


def _listing_html(request, result) -> str:
    """Results, facets, sorting, pages and related products: the same for everyone who
    searched this, so kept beside the cached result page (rendering is most of a cached
    search's cost)."""

    def render_listing() -> str:
        params = request.GET
        pairs = [(k, v) for k, v in _pairs(params, without=("page", "q")) if k != "sort"]
        base = [("q", result.query), *pairs]
        cards, related = _cards(result.ids, result.version, also=result.related_ids)
        context = {
            "result": result,
            "cards": cards,
            "related": related,
            "facets": _folded(result.facets),
            "filtered": filters_active(params),
            "sorts": [
                (key, label, _qs(base, sort=key), key == result.sort) for key, label in SORT_LABELS
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
        return render_to_string("storefront/search/_listing.html", context, request=None)

    return mark_safe(cached_text(result_page=result, name="html", render=render_listing))  # noqa: S308 - our template's output


@require_GET
def search_page(request):
    query = request.GET.get("q", "")
    result = selectors.search_products(
        query=query, params=request.GET, page=request.GET.get("page", 1)
    )
    if result.query and result.page == 1 and not filters_active(request.GET):
        querylog.record_search(query=result.query, total=result.total)
    context = {
        "result": result,
        "query": result.query,
        "listing": _listing_html(request, result) if result.query else "",
        "hot_searches": querylog.hot_searches() if result.total == 0 else [],
    }
    template = "storefront/search/_results.html" if request.htmx else "storefront/search.html"
    return render(request, template, context)


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

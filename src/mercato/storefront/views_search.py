"""The search page and search-as-you-type suggestions."""

from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from mercato.search import querylog, selectors
from mercato.search.listing import filters_active
from mercato.search.resultcache import cached_text

# The sort keys of catalog.facets.SORTS; on the search page 综合 means relevance.
SORT_LABELS = [
    ("", _("Relevance")),
    ("sales", _("Sales")),
    ("price_asc", _("Price ↑")),
    ("price_desc", _("Price ↓")),
    ("new", _("New")),
]


def product_url(product) -> str:
    """The product page: the model's own URL once it has one, else the shop's route."""
    if hasattr(product, "get_absolute_url"):
        return product.get_absolute_url()
    try:
        return reverse("storefront:product", kwargs={"slug": product.slug})
    except NoReverseMatch:
        return f"/p/{product.slug}/"


def _filter_params(params) -> str:
    """The filters of the URL (not the query, sort or page), for the sort and page links."""
    pairs = [
        (k, v) for k in params.keys() if k not in ("q", "sort", "page") for v in params.getlist(k)
    ]
    return urlencode(pairs)


def _listing_html(request, result) -> str:
    """Results, facets, sorting and pages: the same for everyone who searched this, so kept
    beside the cached result page (rendering is most of a cached search's cost)."""

    def render_listing() -> str:
        for product in result.results:
            product.url = product_url(product)
        context = {
            "result": result,
            "sorts": SORT_LABELS,
            "filter_params": _filter_params(request.GET),
        }
        return render_to_string("storefront/search/_listing.html", context)

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
        "listing": _listing_html(request, result),
        "hot_searches": querylog.hot_searches() if result.total == 0 else [],
    }
    template = "storefront/search/_results.html" if request.htmx else "storefront/search.html"
    return render(request, template, context)


@require_GET
def suggest(request):
    """htmx: a short list of links under the search box; ?format=json for apps."""
    found = selectors.suggest(prefix=request.GET.get("q", ""))
    items = [{"name": p.name, "url": product_url(p)} for p in found.products]
    if request.GET.get("format") == "json":
        return JsonResponse({"suggestions": items})
    return render(request, "storefront/search/_suggestions.html", {"items": items})

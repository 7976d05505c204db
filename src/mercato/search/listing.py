"""Filters, facets, sorting and paging of the matched products, as on a category page.

Filters and facets come from catalog.facets (shared with the category pages); this module
adds the relevance order, which only search has.
"""

from django.db.models import F

try:
    from mercato.catalog import facets as catalog_facets
except ImportError:  # pragma: no cover  (until the category pages' module lands)
    catalog_facets = None

from .backends import SearchResult

MAX_PAGE = 50  # 1,000 ranked matches at 20 a page

# sort parameter → ORM ordering; "" is relevance (综合).
SORTS = {
    "": None,
    "sales": (F("popularity__units_sold").desc(nulls_last=True), "-pk"),
    "price": ("min_price", "pk"),
    "-price": ("-min_price", "-pk"),
    "new": (F("published_at").desc(nulls_last=True), "-pk"),
}


def clean_sort(sort: str | None) -> str:
    return sort if sort in SORTS else ""


def filter_sort_page(
    *, products, ranked: list[int], filters: dict, sort: str, page: int, per_page: int
) -> SearchResult:
    """`products` are the on-sale matches; `ranked` their ids, best first."""
    if catalog_facets is None:
        filtered, facets = products, []
    else:
        filtered = catalog_facets.filter_products(products=products, params=filters)
        facets = catalog_facets.facets_for(products=products, params=filters)
    offset = (page - 1) * per_page
    ordering = SORTS[clean_sort(sort)]
    if ordering is None:
        position = {pk: i for i, pk in enumerate(ranked)}
        ids = sorted(filtered.values_list("pk", flat=True), key=position.__getitem__)
        return SearchResult(ids=ids[offset : offset + per_page], total=len(ids), facets=facets)
    total = filtered.count()
    ordered = filtered.order_by(*ordering).values_list("pk", flat=True)
    ids = list(ordered[offset : offset + per_page])
    return SearchResult(ids=ids, total=total, facets=facets)

"""Filters, facets, sorting and paging of the matched products, as on a category page.

Filters, facets and the other sorts come from catalog.facets (shared with the category
pages); search adds the relevance order, its 综合, which only it has.
"""

from mercato.catalog import facets as catalog_facets

from .backends import SearchResult

MAX_PAGE = 50  # 1,000 ranked matches at 20 a page
SORTS = catalog_facets.SORTS  # "" is relevance here


def clean_sort(sort: str | None) -> str:
    return sort if sort in SORTS else ""


def filters_active(params) -> bool:
    return catalog_facets.parse_params(params).active


def filter_sort_page(
    *, products, ranked: list[int], filters, sort: str, page: int, per_page: int
) -> SearchResult:
    """`products` are the on-sale matches, `ranked` their ids best first; `filters` the URL
    parameters (a QueryDict or a dict of lists)."""
    filtered = catalog_facets.filter_products(products=products, params=filters)
    facets = catalog_facets.facets_for(products=products, params=filters)
    offset = (page - 1) * per_page
    sort = clean_sort(sort)
    if not sort and not filters_active(filters):
        # Nothing to narrow or reorder: the ranked matches are the answer, no query needed.
        return SearchResult(
            ids=ranked[offset : offset + per_page], total=len(ranked), facets=facets
        )
    if not sort:
        position = {pk: i for i, pk in enumerate(ranked)}
        ids = sorted(filtered.values_list("pk", flat=True), key=position.__getitem__)
        return SearchResult(ids=ids[offset : offset + per_page], total=len(ids), facets=facets)
    total = filtered.count()
    ordered = catalog_facets.sort_products(products=filtered, params={"sort": sort})
    ids = list(ordered.values_list("pk", flat=True)[offset : offset + per_page])
    return SearchResult(ids=ids, total=total, facets=facets)

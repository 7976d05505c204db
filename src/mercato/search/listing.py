"""What the search page's URL may ask for: sorts and how far it pages.

Filters and facets are search.facets'; the sorts are the category page's (catalog.facets),
with 综合 meaning relevance here.
"""

from mercato.catalog import facets as catalog_facets

from .facets import filters_active  # noqa: F401 - the page asks here

MAX_PAGE = 50  # 1,000 ranked matches at 20 a page
SORTS = catalog_facets.SORTS  # "" is relevance here


def clean_sort(sort: str | None) -> str:
    return sort if sort in SORTS else ""

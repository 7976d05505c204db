"""Reading the index: a page of results for a customer's query, suggestions as they type.

Shared by the shop's search page, the API and `mercato evaluate_search`, which ranks
exactly as the page does.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from mercato.catalog.models import Product
from mercato.catalog.shopcache import shop_version

from . import text
from .backends import SearchResult, get_backend
from .backends.database import MAX_MATCHES
from .listing import MAX_PAGE, clean_sort, filter_sort_page, filters_active
from .parsing import parse_query
from .query import ParsedQuery
from .resultcache import cached_result_page

PER_PAGE = 20
RELATED = 12  # at most this many related products below a short list
CARD_FIELDS = ("name", "slug", "min_price", "max_price", "brand__name")
SUGGESTIONS = 8
TERM_SUGGESTIONS = 3


@dataclass
class SearchPage:
    query: str
    results: list = field(default_factory=list)  # Product objects of this page, in order
    related: list = field(default_factory=list)  # below a short list: matching some words
    total: int = 0
    page: int = 1
    pages: int = 0
    facets: list = field(default_factory=list)
    sort: str = ""
    corrections: dict = field(default_factory=dict)
    loosened: bool = False  # nothing matched every word; these match the words in `kept`
    kept: list = field(default_factory=list)
    ignored: list = field(default_factory=list)  # words no product holds
    notice: str = ""
    cache_key: str = ""  # where search.resultcache keeps this page ("" when not cached)


@dataclass
class Ranking:
    ids: list[int]  # every match, best first (at most MAX_MATCHES)
    related: list[int]  # related products to show below a short first page
    parsed: ParsedQuery
    kept: ParsedQuery | None = None  # the loosened query, when every word found nothing


def clean_page(raw) -> int:
    """Page numbers from the URL: anything odd is page 1, past the last useful page the last."""
    try:
        page = int(str(raw))
    except (TypeError, ValueError):
        return 1
    return min(max(page, 1), MAX_PAGE)


def rank(
    query: str, *, filtered: bool = False, fill: int = 0, version: int | None = None
) -> Ranking:
    """The matches of a query, best first. When nothing matches every word (and no filter
    is set), the loosened query's: its key word must match, the others order (defect 8 of
    issue 11: never a lone word like 包 standing for the query). With `fill`, a list shorter
    than that is followed by up to `fill` related products (matching the key word)."""
    parsed = parse_query(query, shop_version=version)
    backend = get_backend()
    ids = backend.match(parsed, limit=MAX_MATCHES)
    ranking = Ranking(ids=ids, related=[], parsed=parsed)
    if not ids and not filtered:
        loose = parsed.loosened()
        if loose is not None:
            ranking.ids = backend.match(loose, limit=MAX_MATCHES)
            ranking.kept = loose if ranking.ids else None
    elif ids and len(ids) < fill and not filtered:
        loose = parsed.loosened()
        if loose is not None:
            ranking.related = backend.match(loose, limit=min(RELATED, fill - len(ids)), exclude=ids)
    return ranking


def search_products(*, query: str, params=None, page=1, per_page: int = PER_PAGE) -> SearchPage:
    """A page of on-sale products for a customer's query, with facets and the notices to
    show (query shortened, spelling corrected, only some words matched). `params` are the
    URL's filter and sort parameters, as on a category page (catalog.facets).

    Pages are cached per query, filters, sort, page and catalogue version (search.resultcache):
    popular queries are served from the cache until a product, price, stock state, synonym or
    the index changes."""
    params = params if params is not None else {}
    cleaned, shortened = text.clean_query(query)
    sort = clean_sort(params.get("sort", ""))
    result_page = SearchPage(query=cleaned, page=clean_page(page), sort=sort)
    if shortened:
        result_page.notice = _("Your search was shortened to %(n)s characters.") % {
            "n": text.MAX_QUERY_LENGTH
        }
    if not cleaned:
        return result_page
    version = shop_version()
    found = cached_result_page(
        query=cleaned,
        params=params,
        page=result_page.page,
        per_page=per_page,
        version=version,
        compute=lambda: _find(result_page, params=params, per_page=per_page, version=version),
    )
    found.notice = result_page.notice
    return found


def _with_query(params, query: str):
    """The parameters with `q` as cleaned: facet links of a cached page are shared by every
    spelling of the query that cleans to the same text."""
    if hasattr(params, "copy") and hasattr(params, "setlist"):  # a QueryDict
        params = params.copy()
        params.setlist("q", [query])
        return params
    return {**params, "q": query}


def _find(result_page: SearchPage, *, params, per_page: int, version: int) -> SearchPage:
    params = _with_query(params, result_page.query)
    filtered = filters_active(params)
    first = result_page.page == 1 and not result_page.sort
    ranking = rank(
        result_page.query, filtered=filtered, fill=per_page if first else 0, version=version
    )
    products = Product.objects.filter(pk__in=ranking.ids)
    result: SearchResult = filter_sort_page(
        products=products,
        ranked=ranking.ids,
        filters=params,
        sort=result_page.sort,
        page=result_page.page,
        per_page=per_page,
    )
    # Only what a result card shows: the description and SEO text stay in the database.
    cards = Product.objects.select_related("brand").only(*CARD_FIELDS)
    by_id = cards.in_bulk(result.ids + ranking.related)
    result_page.results = [by_id[pk] for pk in result.ids if pk in by_id]
    result_page.related = [by_id[pk] for pk in ranking.related if pk in by_id]
    result_page.total, result_page.facets = result.total, result.facets
    result_page.pages = (result.total + per_page - 1) // per_page
    result_page.corrections = ranking.parsed.corrections
    result_page.ignored = ranking.parsed.ignored
    if ranking.kept is not None:
        result_page.loosened = True
        result_page.kept = [g.text for g in ranking.kept.required_groups]
    return result_page


@dataclass
class Suggestions:
    terms: list[str]  # brands and categories the typed word may finish as, likeliest first
    products: list[Product]


def suggest(*, prefix: str, limit: int = SUGGESTIONS) -> Suggestions:
    """Suggestions for a query still being typed: its last word may be unfinished. Brands and
    categories it may finish as come first (huaw → 华为 before 花王), then products ranked as
    a search would rank them."""
    cleaned, _shortened = text.clean_query(prefix)
    if not cleaned:
        return Suggestions([], [])
    parsed = parse_query(cleaned, typing=True, shop_version=shop_version())
    ids = get_backend().match(parsed, limit=limit) if not parsed.is_empty else []
    by_id = Product.objects.select_related("brand").only(*CARD_FIELDS).in_bulk(ids)
    terms = parsed.completions[:TERM_SUGGESTIONS]
    return Suggestions(terms, [by_id[pk] for pk in ids if pk in by_id])

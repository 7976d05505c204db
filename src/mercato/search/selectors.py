"""Reading the index: a page of results for a customer's query, suggestions as they type.

Shared by the shop's search page, the API and `mercato evaluate_search`, which ranks
exactly as the page does.
"""

from collections import Counter
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from django.utils.translation import gettext as _

from mercato.catalog.models import Product

from . import dictionary, prices, text
from .backends import get_backend
from .backends.database import MAX_MATCHES
from .documents import whole
from .facets import Hit, filters_active, list_hits
from .listing import MAX_PAGE, clean_sort
from .models import TermKind
from .parsing import parse_query
from .query import Alternative, Group, ParsedQuery
from .resultcache import cached_result_page

PER_PAGE = 20
RELATED = 12  # at most this many related products below a short list
CARD_FIELDS = ("name", "slug", "min_price", "max_price", "brand__name")
SUGGESTIONS = 8
TERM_SUGGESTIONS = 3
HINT_SAMPLE = 40  # matches of a left-out word whose categories are counted


@dataclass
class SearchPage:
    query: str
    ids: list = field(default_factory=list)  # the page's product ids, in order
    related_ids: list = field(default_factory=list)  # below a short list: some words match
    total: int = 0
    page: int = 1
    pages: int = 0
    facets: list = field(default_factory=list)
    sort: str = ""
    corrections: dict = field(default_factory=dict)
    loosened: bool = False  # nothing matched every word; these match the words in `kept`
    kept: list = field(default_factory=list)  # the words the loosened or related list kept
    ignored: list = field(default_factory=list)  # words no product holds
    suggestions: list = field(default_factory=list)  # did you mean: [{text, qs}]
    notice: str = ""
    price_note: str = ""  # how the query's price words ordered the list
    # What the caller made of the page (the shop's listing HTML), cached with it.
    rendered: str = ""

    version: int = 0  # the shop version it was found at (cards are cached per version)

    @property
    def kept_words(self) -> str:
        return " ".join(self.kept)

    @property
    def results(self) -> list[Product]:
        """The page's products, in order (one query; the shop page uses cached cards)."""
        return products_in_order(self.ids)

    @property
    def related(self) -> list[Product]:
        return products_in_order(self.related_ids)


def products_in_order(ids) -> list[Product]:
    """Only what a result card shows: the description and SEO text stay in the database."""
    by_id = Product.objects.select_related("brand").only(*CARD_FIELDS).in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


@dataclass
class Ranking:
    hits: list[Hit]  # every match, best first (at most MAX_MATCHES)
    related: list[int]  # related products to show below a short first page
    parsed: ParsedQuery
    kept: ParsedQuery | None = None  # the loosened query, when every word found nothing
    related_by: ParsedQuery | None = None  # the loosened query the related list matched
    price: prices.PriceWish | None = None  # what the query's price words asked for

    @property
    def ids(self) -> list[int]:
        return [h.id for h in self.hits]


def clean_page(raw) -> int:
    """Page numbers from the URL: anything odd is page 1, past the last useful page the last."""
    try:
        page = int(str(raw))
    except (TypeError, ValueError):
        return 1
    return min(max(page, 1), MAX_PAGE)


def rank(
    query: str,
    *,
    filtered: bool = False,
    fill: int = 0,
    versions: dictionary.Versions | None = None,
) -> Ranking:
    """The matches of a query, best first. When nothing matches every word (and no filter
    is set), the loosened query's: its key word must match, the others order (defect 8 of
    issue 11: never a lone word like 包 standing for the query). With `fill`, a list shorter
    than that is followed by up to `fill` related products (matching the key word)."""
    searched, wish = prices.read_price(query)
    parsed = parse_query(searched or query, versions=versions)
    backend = get_backend()
    hits = backend.match(parsed, limit=MAX_MATCHES)
    ranking = Ranking(hits=prices.ordered(hits, wish), related=[], parsed=parsed, price=wish)
    if not hits and not filtered:
        loose = parsed.loosened()
        if loose is not None:
            loose = with_category_hints(loose)
            ranking.hits = prices.ordered(backend.match(loose, limit=MAX_MATCHES), wish)
            ranking.kept = loose if ranking.hits else None
    elif hits and len(hits) < fill and not filtered:
        loose = parsed.loosened()
        if loose is not None:
            # Related products look like the results: their category first.
            leaf = Counter(h.category_name for h in hits).most_common(1)[0][0]
            hint = Group([Alternative((whole(leaf),))], loose.groups[0].weight, leaf, entity=True)
            loose = replace(loose, boosts=[*loose.boosts, hint])
            more = min(RELATED, fill - len(hits))
            related = backend.match(loose, limit=more, exclude=ranking.ids)
            ranking.related = [h.id for h in related]
            ranking.related_by = loose if related else None
    return ranking


def with_category_hints(loose: ParsedQuery) -> ParsedQuery:
    """A loosened query whose left-out words still order it: the own category most of
    their matches share becomes a boost (安踏 跑步鞋, with no Anta running shoe: Anta's
    运动鞋 first). One query per left-out word."""
    backend = get_backend()
    samples = []
    for index, group in enumerate(loose.groups):
        if loose.required is not None and index not in loose.required:
            single = ParsedQuery(text=group.text, groups=[group])
            samples.append((group, backend.match(single, limit=HINT_SAMPLE)))
    hints = []
    for group, hits in samples:
        leaves = Counter(h.category_name for h in hits)
        if leaves:
            leaf, n = leaves.most_common(1)[0]
            if n * 2 >= len(hits):
                hint = Alternative((whole(leaf),))
                hints.append(Group([hint], group.weight, group.text, entity=True))
    return replace(loose, boosts=[*loose.boosts, *hints]) if hints else loose


def search_products(
    *, query: str, params=None, page=1, per_page: int = PER_PAGE, render=None
) -> SearchPage:
    """A page of on-sale products for a customer's query, with facets and the notices to
    show (query shortened, spelling corrected, only some words matched). `params` are the
    URL's filter and sort parameters, as on a category page (catalog.facets). `render(page)`
    (the shop's listing HTML) is kept in the page's `rendered` and cached with it.

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
    versions = dictionary.read_versions()

    def compute() -> SearchPage:
        # The caller's rendering is made before the page is cached, so it is kept in the
        # same entry: one read on a hit, one write on a miss.
        found = _find(result_page, params=params, per_page=per_page, versions=versions)
        if render is not None:
            found.rendered = render(found)
        return found

    found = cached_result_page(
        query=cleaned,
        params=params,
        page=result_page.page,
        per_page=per_page,
        version=versions.shop,
        compute=compute,
    )
    if render is not None and not found.rendered:  # cached by a caller that rendered none
        found.rendered = render(found)
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


def _find(
    result_page: SearchPage, *, params, per_page: int, versions: dictionary.Versions
) -> SearchPage:
    params = _with_query(params, result_page.query)
    filtered = filters_active(params)
    first = result_page.page == 1 and not result_page.sort
    ranking = rank(
        result_page.query, filtered=filtered, fill=per_page if first else 0, versions=versions
    )
    result = list_hits(
        hits=ranking.hits,
        params=params,
        sort=result_page.sort,
        page=result_page.page,
        per_page=per_page,
    )
    # Only what a result card shows: the description and SEO text stay in the database.
    result_page.ids, result_page.related_ids = result.ids, ranking.related
    result_page.version = versions.shop
    result_page.total, result_page.facets = result.total, result.facets
    result_page.pages = (result.total + per_page - 1) // per_page
    result_page.corrections = ranking.parsed.corrections
    if result_page.total and not result_page.sort:
        result_page.price_note = prices.describe(ranking.price)
    result_page.ignored = ranking.parsed.ignored
    if ranking.kept is not None:
        result_page.loosened = True
        result_page.kept = [g.text for g in ranking.kept.required_groups]
    elif ranking.related_by is not None:
        result_page.kept = [g.text for g in ranking.related_by.required_groups]
    if not result_page.total and not filtered:
        result_page.suggestions = did_you_mean(result_page.query, ranking.parsed)
    return result_page


def did_you_mean(query: str, parsed: ParsedQuery) -> list[dict]:
    """Queries to try when nothing was found: each word no product holds, or each Latin word
    nothing read, replaced by the nearest brand or category (two edits at most)."""
    words = [w for w in parsed.ignored] + [
        g.text for g in parsed.groups if text.is_latin(g.text) and len(g.text) >= 3
    ]
    suggestions = []
    for word in dict.fromkeys(words):
        spelled = word if text.is_latin(word) else "".join(text.syllables(word))
        if len(spelled) < 3:
            continue
        near = [
            (text.damerau_distance(spelled, row.spell, 2), -row.prior(), row.term)
            for row in get_backend().similar_spellings([spelled])
            if row.kind >= TermKind.CATEGORY and row.term != word
        ]
        near = sorted(n for n in near if n[0] <= 2)
        if near:
            fixed = query.replace(word, near[0][2])
            suggestions.append({"text": fixed, "qs": urlencode({"q": fixed})})
    return suggestions[:3]


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
    parsed = parse_query(cleaned, typing=True, versions=dictionary.read_versions())
    hits = get_backend().match(parsed, limit=limit) if not parsed.is_empty else []
    ids = [h.id for h in hits]
    terms = parsed.completions[:TERM_SUGGESTIONS]
    return Suggestions(terms, products_in_order(ids))

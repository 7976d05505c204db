"""Search: parse a query, find products, suggest, count queries; keep the index current;
the synonyms and hidden hot searches operations staff maintain."""

import re
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from mercato.catalog.models import Brand, Category, Product, ProductStatus, Sku, SpecAttribute
from mercato.catalog.shopcache import bump_shop_version
from mercato.core.audit import acting_as
from mercato.core.errors import NotFound, ValidationFailed
from mercato.core.permissions import require_perm

from . import text
from .backends import SearchResult, get_backend
from .listing import MAX_PAGE, clean_sort, filters_active
from .models import HiddenHotSearch, SynonymGroup
from .query import Alternative, ParsedQuery
from .querylog import forget_hot_searches
from .resultcache import cached_result_page

PER_PAGE = 20
CARD_FIELDS = ("name", "slug", "min_price", "brand__name")
SUGGESTIONS = 8
SYNONYMS_CACHE_KEY = "search:synonyms"
DICTIONARY_VERSION_KEY = "search:dictionary-version"
MAX_TERM_LENGTH = 30
_TERM_SEPARATORS = re.compile(r"[=,，、;；\n]+")

_dictionary_version: object = None


# -- the user dictionary and synonyms ----------------------------------------------------


def load_user_dictionary() -> None:
    """Teach jieba the catalogue's words once per process, again after synonyms change."""
    global _dictionary_version
    version = cache.get(DICTIONARY_VERSION_KEY, 0)
    if _dictionary_version == version:
        return
    words = [
        *Brand.objects.values_list("name", flat=True),
        *Category.objects.values_list("name", flat=True),
        *SpecAttribute.objects.values_list("name", flat=True).distinct(),
        *(term for group in synonym_groups() for term in group),
    ]
    text.add_user_words(words)
    _dictionary_version = version


def synonym_groups() -> list[list[str]]:
    groups = cache.get(SYNONYMS_CACHE_KEY)
    if groups is None:
        groups = [
            [text.normalize(t) for t in terms]
            for terms in SynonymGroup.objects.values_list("terms", flat=True)
        ]
        cache.set(SYNONYMS_CACHE_KEY, groups, None)
    return groups


def _synonyms_changed() -> None:
    cache.delete(SYNONYMS_CACHE_KEY)
    try:
        cache.incr(DICTIONARY_VERSION_KEY)
    except ValueError:
        cache.set(DICTIONARY_VERSION_KEY, 1, None)
    bump_shop_version()  # cached result pages were found with the old synonyms


def _parse_terms(raw: str) -> list[str]:
    terms = [" ".join(t.split()) for t in _TERM_SEPARATORS.split(raw or "")]
    return list(dict.fromkeys(text.normalize(t) for t in terms if t))


@transaction.atomic
def save_synonym_group(*, actor, terms: str, note: str = "", group_id: int | None = None):
    """Create or change a group from "手机 = 移动电话, 电话". A word may be in one group only.
    `actor` None is the system (migrations, tests)."""
    if actor is not None:
        require_perm(actor, "search.manage_search")
    cleaned = _parse_terms(terms)
    errors = []
    if len(cleaned) < 2:
        errors.append(_("A synonym group needs at least two different words"))
    if any(len(t) > MAX_TERM_LENGTH for t in cleaned):
        errors.append(_("A word may have at most %(n)s characters") % {"n": MAX_TERM_LENGTH})
    if any(not text.segment(t) for t in cleaned):
        errors.append(_("A word needs at least one letter, digit or Chinese character"))
    others = SynonymGroup.objects.exclude(pk=group_id).values_list("terms", flat=True)
    taken = sorted({t for group in others for t in group} & set(cleaned))
    if taken:
        errors.append(_("Already in another group: %(terms)s") % {"terms": "、".join(taken)})
    if errors:
        raise ValidationFailed({"terms": errors})
    if group_id is None:
        group = SynonymGroup()
    else:
        group = SynonymGroup.objects.select_for_update().filter(pk=group_id).first()
        if group is None:
            raise NotFound(_("Synonym group not found"))
    with acting_as(actor):
        group.terms, group.note = cleaned, (note or "").strip()[:200]
        group.save()
    transaction.on_commit(_synonyms_changed)
    return group


@transaction.atomic
def delete_synonym_group(*, actor, group_id: int) -> None:
    require_perm(actor, "search.manage_search")
    group = SynonymGroup.objects.filter(pk=group_id).first()
    if group is None:
        raise NotFound(_("Synonym group not found"))
    with acting_as(actor):
        group.delete()
    transaction.on_commit(_synonyms_changed)


def set_hot_search_hidden(*, actor, query: str, hidden: bool) -> None:
    """Keep a query out of the hot searches shown to customers, or show it again."""
    require_perm(actor, "search.manage_search")
    cleaned, _shortened = text.clean_query(query)
    cleaned = text.normalize(cleaned)
    if not cleaned:
        raise ValidationFailed({"query": [_("Enter a search query")]})
    if hidden:
        HiddenHotSearch.objects.get_or_create(query=cleaned)
    else:
        HiddenHotSearch.objects.filter(query=cleaned).delete()
    forget_hot_searches()


# -- parsing -------------------------------------------------------------------------------


def _splits(token: str) -> list[tuple[str, str]]:
    """huaweishouji → (hu, aweishouji), …, (huawei, shouji), …: pinyin typed without spaces."""
    return [(token[:i], token[i:]) for i in range(2, len(token) - 1)] if len(token) >= 5 else []


def parse_query(query: str, *, typing: bool = False) -> ParsedQuery:
    """Segment the query and give each word its alternatives: synonyms, the words a Latin
    word splits into, spelling corrections, and longer words it begins (when unknown, or
    for the last word while the customer is still typing)."""
    load_user_dictionary()
    tokens = list(dict.fromkeys(text.segment(query)))[:20]
    synonyms = {t: group for group in synonym_groups() for t in group}
    backend = get_backend()
    latin = [t for t in tokens if text.is_latin(t)]
    split_parts = [part for t in latin for pair in _splits(t) for part in pair]
    known = backend.known_terms(list(dict.fromkeys(latin + split_parts)))
    unknown = [t for t in latin if t not in known]
    similar = backend.similar_terms(unknown) if unknown else {}
    parsed = ParsedQuery(text=query)
    for i, token in enumerate(tokens):
        last = i == len(tokens) - 1
        prefix = (typing and last) or (token in unknown and len(token) >= 3)
        alternatives = [Alternative((token,), prefix=prefix)]
        for synonym in synonyms.get(token, []):
            if synonym != token:
                alternatives.append(Alternative(tuple(text.segment(synonym))))
        if token in unknown:
            alternatives += [
                Alternative((a, b)) for a, b in _splits(token) if a in known and b in known
            ]
            for correction in similar.get(token, []):
                alternatives.append(Alternative((correction,)))
                parsed.corrections.setdefault(token, correction)
        parsed.groups.append([a for a in alternatives if a.tokens])
    return parsed


# -- searching -------------------------------------------------------------------------------


@dataclass
class SearchPage:
    query: str
    results: list = field(default_factory=list)  # Product objects of this page, in order
    total: int = 0
    page: int = 1
    pages: int = 0
    facets: list = field(default_factory=list)
    sort: str = ""
    corrections: dict = field(default_factory=dict)
    loosened: bool = False  # nothing matched every word; these match some
    notice: str = ""
    cache_key: str = ""  # where search.resultcache keeps this page ("" when not cached)


def clean_page(raw) -> int:
    """Page numbers from the URL: anything odd is page 1, past the last useful page the last."""
    try:
        page = int(str(raw))
    except (TypeError, ValueError):
        return 1
    return min(max(page, 1), MAX_PAGE)


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
    found = cached_result_page(
        query=cleaned,
        params=params,
        page=result_page.page,
        per_page=per_page,
        compute=lambda: _find(result_page, params=params, per_page=per_page),
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


def _find(result_page: SearchPage, *, params, per_page: int) -> SearchPage:
    params = _with_query(params, result_page.query)
    parsed = parse_query(result_page.query)
    backend = get_backend()
    args = {"filters": params, "sort": result_page.sort, "per_page": per_page}
    result: SearchResult = backend.search(query=parsed, page=result_page.page, **args)
    if result.total == 0 and len(parsed.groups) > 1 and not filters_active(params):
        result = backend.search(query=parsed.loosened(), page=result_page.page, **args)
        result_page.loosened = result.total > 0
    # Only what a result card shows: the description and SEO text stay in the database.
    cards = Product.objects.select_related("brand").only(*CARD_FIELDS)
    by_id = cards.in_bulk(result.ids)
    result_page.results = [by_id[pk] for pk in result.ids if pk in by_id]
    result_page.total, result_page.facets = result.total, result.facets
    result_page.pages = (result.total + per_page - 1) // per_page
    result_page.corrections = parsed.corrections
    return result_page


def suggest(*, prefix: str, limit: int = SUGGESTIONS) -> list[Product]:
    """Products for a query still being typed: its last word may be incomplete."""
    cleaned, _shortened = text.clean_query(prefix)
    if not cleaned:
        return []
    ids = get_backend().suggest(query=parse_query(cleaned, typing=True), limit=limit)
    by_id = Product.objects.in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


# -- keeping the index current ---------------------------------------------------------------


def reindex_products(*, product_ids) -> int:
    """Index these products as they are now; those not on sale (or gone) leave the index."""
    written = get_backend().index_products(sorted(set(product_ids)))
    # The product's own change bumped the version before this task ran: a search between
    # the two cached what the old index found.
    bump_shop_version()
    return written


def products_changed_since(since) -> list[int]:
    """Products whose row or one of whose SKUs changed at or after `since` (bulk imports
    write updated_at without sending signals)."""
    sku_products = Sku.objects.filter(updated_at__gte=since).values("product_id")
    return list(
        Product.objects.filter(Q(updated_at__gte=since) | Q(pk__in=sku_products))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def rebuild_index(*, batch: int = 500, progress=None) -> int:
    """Empty the index and index every product on sale; `progress(n)` after each batch."""
    backend = get_backend()
    ids = list(
        Product.objects.filter(status=ProductStatus.ON_SALE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    backend.clear()
    written = 0
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        written += backend.index_products(chunk)
        if progress:
            progress(len(chunk))
    backend.rebuilt()
    bump_shop_version()
    return written

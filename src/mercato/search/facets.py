"""Filters, facets, sorting and paging of a search's ranked matches.

The parameters, rules, labels and links are a category page's (catalog.facets: brand,
price buckets, spec values, disjunctive counts, the sorts), plus a category facet (`cat`,
a leaf category's slug) that only search has. They run on the rows the match query
returned with each product (brand, category, lowest price, publication, units sold, the
spec values of its SKUs), in Python: the database is asked again only when spec values
are chosen (they must be on one SKU, which catalog.facets checks).

Spec facets belong to the results: a spec is offered when at least a third of them have it
(a search for 手机 offers 存储容量, not a watch's 表盘尺寸).
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from django.utils.datastructures import MultiValueDict
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from mercato.catalog import facets as catalog_facets
from mercato.catalog.models import Product
from mercato.core import querystring

CATEGORY_PARAM = "cat"
SPEC_SHARE = 1 / 3  # a category holding this share of the results offers its specs
SORT_KEYS = ("", "sales", "price_asc", "price_desc", "new")


class Hit(NamedTuple):
    """A matched product as the listing needs it. A named tuple, not a frozen dataclass:
    a search makes one for each of up to a thousand matches, and the dataclass's
    __init__ (a setattr per field) took ten times as long as a tuple."""

    id: int
    brand_slug: str | None
    brand_name: str | None
    category_id: int
    category_slug: str
    category_name: str
    min_price: Decimal
    published_at: datetime | None
    units: int
    spec_values: str = ""  # "name\tvalue" lines (SearchDocument.spec_values)
    score: float = 0.0  # relevance (search.query), the order the database returned

    def specs(self) -> set[tuple[str, str]]:
        return {
            tuple(line.split("\t", 1)) for line in self.spec_values.splitlines() if "\t" in line
        }


@dataclass
class Listing:
    ids: list[int]  # the page's product ids, in display order
    total: int  # products matching query and filters
    facets: list


class Toggles:
    """Query strings that add or remove one filter value, as catalog.facets' toggle gives
    them: the page's own pairs are encoded once, not once per facet value."""

    def __init__(self, params):
        keys = list(params.keys()) if hasattr(params, "keys") else []
        self.pairs = [
            (k, v) for k in keys if k != "page" for v in catalog_facets.getlist(params, k)
        ]
        self.base = querystring.urlencode(self.pairs)

    def __call__(self, key: str, value: str) -> str:
        if (key, value) in self.pairs:
            return querystring.urlencode([p for p in self.pairs if p != (key, value)])
        added = querystring.urlencode([(key, value)])
        return f"{self.base}&{added}" if self.base else added


BUCKETS = [(key, *catalog_facets.price_range(key)) for key in catalog_facets.bucket_keys()]


def categories_chosen(params) -> tuple[str, ...]:
    return tuple(catalog_facets.getlist(params, CATEGORY_PARAM))


def filters_active(params) -> bool:
    return catalog_facets.parse_params(params).active or bool(categories_chosen(params))


def _in_price(hit: Hit, buckets) -> bool:
    for bucket in buckets:
        low, high = catalog_facets.price_range(bucket)
        if hit.min_price >= low and (high is None or hit.min_price < high):
            return True
    return False


def _bucket(hit: Hit) -> str | None:
    for key, low, high in BUCKETS:
        if hit.min_price >= low and (high is None or hit.min_price < high):
            return key
    return None


def _filter(hits, sel, cats, spec_ids, *, skip: str = "") -> list[Hit]:
    out = []
    for hit in hits:
        if sel.brands and skip != "brand" and hit.brand_slug not in sel.brands:
            continue
        if sel.prices and skip != "price" and not _in_price(hit, sel.prices):
            continue
        if cats and skip != "cat" and hit.category_slug not in cats:
            continue
        if spec_ids is not None and skip != "spec" and hit.id not in spec_ids:
            continue
        out.append(hit)
    return out


def _sorted(hits: list[Hit], sort: str) -> list[Hit]:
    """The category page's orders (catalog.facets.sort_products); "" keeps relevance."""
    if sort == "sales":
        return sorted(hits, key=lambda h: (-h.units, -_stamp(h), -h.id))
    if sort == "price_asc":
        return sorted(hits, key=lambda h: (h.min_price, -h.id))
    if sort == "price_desc":
        return sorted(hits, key=lambda h: (-h.min_price, -h.id))
    if sort == "new":
        return sorted(hits, key=lambda h: (h.published_at is None, -_stamp(h), -h.id))
    return hits


def _stamp(hit: Hit) -> float:
    return hit.published_at.timestamp() if hit.published_at else 0.0


def _counted(toggle, key, counts: Counter, labels: dict, chosen, label: str):
    values = [
        catalog_facets.FacetValue(
            value=value,
            label=labels.get(value, value),
            count=n,
            selected=value in chosen,
            url_params=toggle(key, value),
        )
        for value, n in sorted(counts.items(), key=lambda kv: (-kv[1], labels.get(kv[0], kv[0])))
    ]
    values += [
        catalog_facets.FacetValue(v, labels.get(v, v), 0, True, toggle(key, v))
        for v in chosen
        if v not in counts
    ]
    return catalog_facets.Facet(key, label, values)


def _price_facet(hits, sel, toggle):
    keys = catalog_facets.bucket_keys()
    counts = Counter(_bucket(hit) for hit in hits)
    values = [
        catalog_facets.FacetValue(
            value=key,
            label=catalog_facets.price_label(key),
            count=counts[key],
            selected=key in sel.prices,
            url_params=toggle("price", key),
        )
        for key in keys
        if counts[key] or key in sel.prices
    ]
    return catalog_facets.Facet("price", _("Price"), values)


def _spec_facets(hits: list[Hit], sel, params, toggle) -> list:
    """Spec facets of the specs a third of `hits` have (and any spec chosen), counted like
    catalog.facets: products per value, the most common specs and values first."""
    if len(hits) < 2 and not sel.specs:
        return []
    counts: dict[str, Counter] = defaultdict(Counter)
    having: Counter = Counter()
    for hit in hits:
        pairs = hit.specs()
        having.update({name for name, _value in pairs})
        for name, value in pairs:
            counts[name][value] += 1
    offered = {n for n, k in having.items() if k >= SPEC_SHARE * len(hits)} | set(sel.specs)
    if sel.specs:  # values must be on one SKU: the database counts
        products = Product.objects.filter(pk__in=[h.id for h in hits])
        found = catalog_facets.spec_facets(products, replace(sel, brands=(), prices=()), params)
        return [f for f in found if f.key[len("spec:") :] in offered]
    names = sorted(
        (n for n in offered if len(counts.get(n, ())) >= 2),
        key=lambda n: (-sum(counts[n].values()), n),
    )
    facets = []
    for name in names[: catalog_facets.MAX_SPEC_FACETS]:
        ordered = sorted(counts[name].items(), key=lambda kv: (-kv[1], kv[0]))
        values = [
            catalog_facets.FacetValue(
                value=value,
                label=value,
                count=n,
                selected=False,
                url_params=toggle("spec", f"{name}:{value}"),
            )
            for value, n in ordered[: catalog_facets.MAX_SPEC_VALUES]
        ]
        facets.append(catalog_facets.Facet(f"spec:{name}", name, values))
    return facets


def list_hits(*, hits: list[Hit], params, sort: str, page: int, per_page: int) -> Listing:
    """The page of `hits` (ranked best first) that `params` filter and `sort` orders, with
    the facets of every match (each facet counted with the other facets' filters).

    Without spec filters a listing follows from the matches (as the database returned them:
    ids, brands, categories, prices, sales, specs), the filter pairs, the sort, the page
    and the language (labels) alone, so it is kept per process under all of them: the shop
    version, which keeps result pages in the cache, moves with every change to any product,
    while a query's matches seldom change; counting facets again was a tenth of an uncached
    search. Spec filters read the SKUs: those listings are worked out every time."""
    sel = catalog_facets.parse_params(params)
    toggle = Toggles(params)
    if sel.specs:
        return _listing(hits, params, sel, toggle, sort=sort, page=page, per_page=per_page)
    return _kept_listing(tuple(hits), tuple(toggle.pairs), sort, page, per_page, get_language())


# A few megabytes: the facets of a few hundred queries.
@lru_cache(maxsize=500)
def _kept_listing(
    hits: tuple[Hit, ...], pairs: tuple, sort: str, page: int, per_page: int, language: str
) -> Listing:
    """A listing without spec filters, kept under everything it follows from (`language`
    only keys it: the labels are gettext's). The filter pairs are the parameters as
    Toggles cleaned them (without `page`), all that such a listing reads of them."""
    params = MultiValueDict()
    for key, value in pairs:
        params.appendlist(key, value)
    sel = catalog_facets.parse_params(params)
    return _listing(hits, params, sel, Toggles(params), sort=sort, page=page, per_page=per_page)


def _listing(hits, params, sel, toggle, *, sort: str, page: int, per_page: int) -> Listing:
    cats = categories_chosen(params)
    spec_ids = None
    if sel.specs and hits:
        spec_ids = set(
            catalog_facets.skus_matching(sel)
            .filter(product_id__in=[h.id for h in hits])
            .values_list("product_id", flat=True)
        )
    chosen = _filter(hits, sel, cats, spec_ids)
    names = {h.category_slug: h.category_name for h in hits}
    brands = {h.brand_slug: h.brand_name for h in hits if h.brand_slug}
    facets = [
        _counted(
            toggle,
            CATEGORY_PARAM,
            Counter(h.category_slug for h in _filter(hits, sel, cats, spec_ids, skip="cat")),
            names,
            cats,
            _("Category"),
        ),
        _counted(
            toggle,
            "brand",
            Counter(
                h.brand_slug
                for h in _filter(hits, sel, cats, spec_ids, skip="brand")
                if h.brand_slug
            ),
            brands,
            sel.brands,
            _("Brand"),
        ),
        _price_facet(_filter(hits, sel, cats, spec_ids, skip="price"), sel, toggle),
    ]
    # Spec counts cover the matches other filters leave (spec filters count themselves).
    facets += _spec_facets(_filter(hits, sel, cats, None), sel, params, toggle)
    ordered = _sorted(chosen, sort)
    offset = (page - 1) * per_page
    return Listing(
        ids=[h.id for h in ordered[offset : offset + per_page]],
        total=len(chosen),
        facets=[f for f in facets if f.values],
    )

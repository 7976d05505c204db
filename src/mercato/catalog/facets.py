"""Filters, facet counts and sorting of a product list: category pages and search share them.

Parameters come from the URL so a filtered page can be shared:

    brand=huawei&brand=xiaomi     brands (by slug), any of them
    price=1000-2000&price=5000-   price buckets of the lowest SKU price, any of them
    spec=颜色:黑色&spec=存储容量:256GB
                                  spec values: any value of one spec, every spec named,
                                  all on ONE SKU (a product with a black 128GB SKU and
                                  a white 256GB one does not match: it sells no black
                                  256GB phone)
    sort=sales                    one of SORTS

Within a facet the values are alternatives (OR); different facets narrow each other (AND).
The counts of a facet are computed with every *other* facet's filter applied, so a customer
sees how many products each alternative would give ("disjunctive" faceting).

Each facet is one SQL aggregation: brand, price and spec counts take three queries, plus one
per spec that has a selected value, whatever the number of products. Spec values are read
from catalog.SkuSpecValue (kept current by refresh_price_range).

Unknown values are ignored rather than refused: a shared link to a brand that has gone
still opens the page, just without that filter.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Brand, Product, SkuSpecValue

# Price bucket edges in yuan: 0-100, 100-300, ..., 10000 and up.
PRICE_EDGES = [0, 100, 300, 500, 1000, 2000, 5000, 10000]
MAX_SPEC_FACETS = 6
MAX_SPEC_VALUES = 30
MAX_VALUES_PER_PARAM = 20
# 综合 ("overall"): units sold, with a boost for products published in the last 30 days,
# so new products get a chance to be seen before they have sales.
NEW_PRODUCT_BOOST = 50
NEW_PRODUCT_DAYS = 30

SORTS = {
    "": _("Overall"),  # 综合
    "sales": _("Sales"),  # 销量
    "price_asc": _("Price ↑"),
    "price_desc": _("Price ↓"),
    "new": _("New"),  # 新品
}


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    # The query string that toggles this value (page reset, other filters and sort kept).
    url_params: str


@dataclass(frozen=True)
class Facet:
    key: str
    label: str
    values: list[FacetValue] = field(default_factory=list)


@dataclass(frozen=True)
class Selection:
    """The cleaned filter parameters."""

    brands: tuple[str, ...] = ()
    prices: tuple[str, ...] = ()
    specs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sort: str = ""

    @property
    def active(self) -> bool:
        return bool(self.brands or self.prices or self.specs)


def _getlist(params, key: str) -> list[str]:
    if hasattr(params, "getlist"):
        values = params.getlist(key)
    else:
        value = params.get(key, [])
        values = value if isinstance(value, list | tuple) else [value]
    cleaned = []
    for v in values[:MAX_VALUES_PER_PARAM]:
        v = str(v).strip()[:100]
        if v and v.isprintable() and v not in cleaned:
            cleaned.append(v)
    return cleaned


def _price_range(bucket: str) -> tuple[Decimal, Decimal | None] | None:
    """ "1000-2000" → (1000, 2000); "5000-" → (5000, None); anything else → None."""
    lo, sep, hi = bucket.partition("-")
    if not sep or not lo.isdigit() or (hi and not hi.isdigit()):
        return None
    low, high = Decimal(lo), Decimal(hi) if hi else None
    if high is not None and high <= low:
        return None
    return low, high


def bucket_keys() -> list[str]:
    edges = PRICE_EDGES
    return [f"{lo}-{hi}" for lo, hi in zip(edges, edges[1:], strict=False)] + [f"{edges[-1]}-"]


def parse_params(params) -> Selection:
    """Clean URL parameters into a Selection; malformed values are dropped."""
    specs: dict[str, list[str]] = {}
    for item in _getlist(params, "spec"):
        name, sep, value = item.partition(":")
        if sep and name.strip() and value.strip():
            specs.setdefault(name.strip(), []).append(value.strip())
    sort = str(params.get("sort", "") or "")
    return Selection(
        brands=tuple(_getlist(params, "brand")),
        prices=tuple(p for p in _getlist(params, "price") if _price_range(p)),
        specs={k: tuple(v) for k, v in list(specs.items())[:MAX_SPEC_FACETS]},
        sort=sort if sort in SORTS else "",
    )


def _price_q(bucket: str) -> Q:
    low, high = _price_range(bucket)
    q = Q(min_price__gte=low)
    return q & Q(min_price__lt=high) if high is not None else q


def _apply(products: QuerySet, sel: Selection, *, skip: str | None = None) -> QuerySet:
    if sel.brands and skip != "brand":
        products = products.filter(brand__slug__in=sel.brands)
    if sel.prices and skip != "price":
        q = Q()
        for bucket in sel.prices:
            q |= _price_q(bucket)
        products = products.filter(q)
    skus = _skus_matching(sel, skip=skip)
    if skus is not None:
        products = products.filter(pk__in=skus.values("product_id"))
    return products


def _skus_matching(sel: Selection, *, skip: str | None = None) -> QuerySet | None:
    """SkuSpecValue rows of the SKUs that have, for every selected spec but `skip`, one of
    its chosen values; None when no spec is selected.

    Each further spec narrows the SKUs of the previous ones (sku_id IN ...), so the values
    must all be on one SKU, not spread over a product's SKUs.
    """
    rows = None
    for name, values in sel.specs.items():
        if skip == f"spec:{name}":
            continue
        these = SkuSpecValue.objects.filter(name=name, value__in=values)
        rows = these if rows is None else these.filter(sku_id__in=rows.values("sku_id"))
    return rows


def filter_products(*, products: QuerySet[Product], params) -> QuerySet[Product]:
    """`products` narrowed by the brand, price and spec filters in `params`."""
    return _apply(products, parse_params(params))


def sort_products(*, products: QuerySet[Product], params) -> QuerySet[Product]:
    """`products` in the order `params["sort"]` asks for (SORTS; default 综合)."""
    sort = parse_params(params).sort
    units = Coalesce(F("popularity__units_sold"), Value(0), output_field=IntegerField())
    if sort == "sales":
        return products.annotate(units=units).order_by("-units", "-published_at", "-pk")
    if sort == "price_asc":
        return products.order_by("min_price", "-pk")
    if sort == "price_desc":
        return products.order_by("-min_price", "-pk")
    if sort == "new":
        return products.order_by(F("published_at").desc(nulls_last=True), "-pk")
    recent = timezone.now() - timedelta(days=NEW_PRODUCT_DAYS)
    boost = Case(
        When(published_at__gte=recent, then=Value(NEW_PRODUCT_BOOST)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return products.annotate(score=units + boost).order_by("-score", "-published_at", "-pk")


def _toggle(params, key: str, value: str) -> str:
    """The query string of `params` with `value` added to or removed from `key`; no page."""
    pairs = []
    keys = list(params.keys()) if hasattr(params, "keys") else []
    for k in keys:
        if k == "page":
            continue
        for v in _getlist(params, k):
            pairs.append((k, v))
    if (key, value) in pairs:
        pairs.remove((key, value))
    else:
        pairs.append((key, value))
    return urlencode(pairs)


def _brand_facet(products: QuerySet, sel: Selection, params) -> Facet:
    rows = (
        _apply(products, sel, skip="brand")
        .filter(brand__isnull=False)
        .order_by()
        .values("brand__slug", "brand__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "brand__name")
    )
    values = [
        FacetValue(
            value=r["brand__slug"],
            label=r["brand__name"],
            count=r["n"],
            selected=r["brand__slug"] in sel.brands,
            url_params=_toggle(params, "brand", r["brand__slug"]),
        )
        for r in rows
    ]
    # A selected brand with no product left still shows, at 0, so it can be unticked.
    shown = {v.value for v in values}
    missing = [b for b in sel.brands if b not in shown]
    if missing:
        names = dict(Brand.objects.filter(slug__in=missing).values_list("slug", "name"))
        values += [
            FacetValue(b, names.get(b, b), 0, True, _toggle(params, "brand", b)) for b in missing
        ]
    return Facet("brand", str(_("Brand")), values)


def _price_label(bucket: str) -> str:
    low, high = _price_range(bucket)
    if high is None:
        return f"¥{low:,.0f}+"
    return f"¥{low:,.0f}–{high:,.0f}"


def _price_facet(products: QuerySet, sel: Selection, params) -> Facet:
    keys = bucket_keys()
    counts = _apply(products, sel, skip="price").aggregate(
        **{f"b{i}": Count("pk", filter=_price_q(k)) for i, k in enumerate(keys)}
    )
    values = [
        FacetValue(
            value=k,
            label=_price_label(k),
            count=counts[f"b{i}"] or 0,
            selected=k in sel.prices,
            url_params=_toggle(params, "price", k),
        )
        for i, k in enumerate(keys)
        if counts[f"b{i}"] or k in sel.prices
    ]
    return Facet("price", str(_("Price")), values)


def _spec_counts(products: QuerySet, skus: QuerySet | None) -> dict[str, dict[str, int]]:
    """Products per (spec, value), counting only values of the SKUs in `skus` (those that
    match the other selected specs): a count is what ticking that value would list."""
    rows = SkuSpecValue.objects.filter(product__in=products.order_by().values("pk"))
    if skus is not None:
        rows = rows.filter(sku_id__in=skus.values("sku_id"))
    rows = (
        rows.values("name", "value")
        .annotate(n=Count("product", distinct=True))
        .order_by("name", "value")
    )
    counts: dict[str, dict[str, int]] = {}
    for r in rows:
        counts.setdefault(r["name"], {})[r["value"]] = r["n"]
    return counts


def _spec_facets(products: QuerySet, sel: Selection, params) -> list[Facet]:
    counts = _spec_counts(_apply(products, sel), _skus_matching(sel))
    # A spec with a selected value counts its own values without its own filter.
    for name in sel.specs:
        skip = f"spec:{name}"
        counts[name] = _spec_counts(
            _apply(products, sel, skip=skip), _skus_matching(sel, skip=skip)
        ).get(name, {})
    names = sorted(counts, key=lambda n: (n not in sel.specs, -sum(counts[n].values()), n))
    facets = []
    for name in names[:MAX_SPEC_FACETS]:
        chosen = sel.specs.get(name, ())
        by_value = dict(counts[name])
        for v in chosen:
            by_value.setdefault(v, 0)
        if len(by_value) < 2 and not chosen:
            continue  # one value only: nothing to choose between
        values = [
            FacetValue(
                value=v,
                label=v,
                count=n,
                selected=v in chosen,
                url_params=_toggle(params, "spec", f"{name}:{v}"),
            )
            for v, n in sorted(by_value.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_SPEC_VALUES]
        ]
        facets.append(Facet(f"spec:{name}", name, values))
    return facets


def facets_for(*, products: QuerySet[Product], params) -> list[Facet]:
    """Brand, price and spec facets of `products` (not yet filtered) with their counts."""
    sel = parse_params(params)
    facets = [_brand_facet(products, sel, params), _price_facet(products, sel, params)]
    facets += _spec_facets(products, sel, params)
    return [f for f in facets if f.values]


# Search filters, counts and sorts its ranked matches itself (search.facets) with the same
# rules, labels and links; these are the pieces it shares.
toggle_params = _toggle
price_label = _price_label
price_range = _price_range
skus_matching = _skus_matching
spec_facets = _spec_facets
getlist = _getlist

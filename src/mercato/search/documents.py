"""What a product looks like to the search index: four weighed fields of tokens, and the
vocabulary they add (search.vocabulary).

Built with a fixed number of queries per batch (products, their category paths, their
SKUs), whatever the batch size, with the process's dictionary (search.dictionary): the
same tokenizer that reads queries.
"""

from collections import Counter
from dataclasses import dataclass

from mercato.catalog.models import Category, Product, ProductPopularity, ProductStatus, Sku

from . import dictionary, text
from .analyzer import Analyzer
from .models import TermKind


@dataclass(frozen=True)
class Document:
    product_id: int
    name: str  # A: name and brand
    category: str  # B: own (leaf) category
    detail: str  # C: specs, subtitle, SEO keywords, code, parent categories whole
    fallback: str  # D: parent categories' inner words, single Chinese characters
    terms: dict  # {token: TermKind} the best kind each token has in this product
    sold: int = 0  # units sold (catalog.ProductPopularity)
    spec_values: str = ""  # "name\tvalue" lines of its active SKUs' specs


def _ancestor_paths(path: str, steplen: int) -> list[str]:
    return [path[:i] for i in range(steplen, len(path) + 1, steplen)]


def whole(name: str) -> str:
    """A name as one token (a category or brand searched for as a whole)."""
    return "".join(text.normalize(name).split())


def brand_tokens(analyzer: Analyzer, name: str, name_en: str) -> tuple[list[str], list[str]]:
    """(tokens, the ones that name the brand itself): 雅诗兰黛 / Estée Lauder →
    雅诗兰黛 ... estee lauder esteelauder, naming ones 雅诗兰黛 and esteelauder."""
    tokens = analyzer.tokens(name, for_index=True)
    naming = [whole(name)] if name else []
    latin = analyzer.tokens(name_en or "", for_index=True)
    joined = "".join(run for kind, run in text.runs(name_en or "") if kind != "cjk")
    joined = joined.replace("-", "")
    if joined:
        naming.append(joined)
    return list(dict.fromkeys([*naming, *tokens, *latin])), naming


def _chars(*values: str) -> list[str]:
    return [ch for value in values for ch in text.normalize(value) if text.is_cjk(ch)]


def _document(product, categories: list[str], specs, analyzer: Analyzer, sold: int) -> Document:
    brand = product.brand
    leaf, parents = categories[-1] if categories else "", categories[:-1]
    kinds: dict[str, int] = {}

    def mark(tokens, kind):
        for token in tokens:
            if kinds.get(token, 0) < kind:
                kinds[token] = kind
        return tokens

    name = mark(analyzer.tokens(product.name, for_index=True), TermKind.WORD)
    if brand:
        tokens, naming = brand_tokens(analyzer, brand.name, brand.name_en)
        name += mark(tokens, TermKind.WORD)
        mark(naming, TermKind.BRAND)
    own = mark(analyzer.tokens(leaf, for_index=True), TermKind.WORD)
    if leaf:
        own = mark([whole(leaf)], TermKind.CATEGORY) + own
    detail_text = [product.subtitle, product.seo_keywords, product.code]
    detail_text += sorted({value for _name, value in specs})
    detail = mark(analyzer.tokens(" ".join(detail_text), for_index=True), TermKind.SPEC)
    detail += mark([whole(p) for p in parents if p], TermKind.CATEGORY)
    inner = [t for p in parents for t in analyzer.tokens(p, for_index=True)]
    fallback = mark(
        [*inner, *_chars(product.name, leaf, brand.name if brand else "")], TermKind.FALLBACK
    )

    def field(tokens) -> str:
        return " ".join(dict.fromkeys(t for t in tokens if t and " " not in t))

    return Document(
        product_id=product.pk,
        name=field(name),
        category=field(own),
        detail=field(detail),
        fallback=field(fallback),
        terms=kinds,
        sold=sold,
        spec_values="\n".join(f"{name}\t{value}" for name, value in sorted(specs)),
    )


def build_documents(product_ids) -> tuple[list[Document], set[int]]:
    """(documents of the products on sale, ids that must leave the index)."""
    ids = set(product_ids)
    products = list(
        Product.objects.filter(pk__in=ids, status=ProductStatus.ON_SALE).select_related(
            "brand", "category"
        )
    )
    steplen = Category.steplen
    paths = {p for product in products for p in _ancestor_paths(product.category.path, steplen)}
    names_by_path = dict(Category.objects.filter(path__in=paths).values_list("path", "name"))
    specs: dict[int, set[tuple[str, str]]] = {}
    for product_id, values in Sku.objects.filter(product__in=products, is_active=True).values_list(
        "product_id", "specs"
    ):
        specs.setdefault(product_id, set()).update(
            (str(k), str(v)) for k, v in (values or {}).items()
        )
    sold = dict(
        ProductPopularity.objects.filter(product__in=products).values_list(
            "product_id", "units_sold"
        )
    )
    analyzer = dictionary.current().analyzer
    documents = [
        _document(
            product,
            [names_by_path.get(p, "") for p in _ancestor_paths(product.category.path, steplen)],
            specs.get(product.pk, ()),
            analyzer,
            sold.get(product.pk, 0),
        )
        for product in products
    ]
    removed = ids - {p.pk for p in products}
    return documents, removed


def term_counts(documents: list[Document]) -> dict[str, tuple[int, int, int]]:
    """{term: (best kind, products holding it, their units sold)} over these documents; a
    term found in a product's own text counts only those products (手机 of 手机数码 does
    not count)."""
    own: Counter = Counter()
    own_sold: Counter = Counter()
    anywhere: Counter = Counter()
    anywhere_sold: Counter = Counter()
    kinds: dict[str, int] = {}
    for document in documents:
        for term, kind in document.terms.items():
            anywhere[term] += 1
            anywhere_sold[term] += document.sold
            if kind > TermKind.FALLBACK:
                own[term] += 1
                own_sold[term] += document.sold
            if kinds.get(term, 0) < kind:
                kinds[term] = kind
    return {
        term: (kinds[term], own[term] or n, own_sold[term] if own[term] else anywhere_sold[term])
        for term, n in anywhere.items()
    }

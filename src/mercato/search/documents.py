"""What a product looks like to the search index: three fields of tokens.

Built with a fixed number of queries per batch (products, their category paths, their
SKUs), whatever the batch size.
"""

from dataclasses import dataclass

from mercato.catalog.models import Category, Product, ProductStatus, Sku

from . import text


@dataclass(frozen=True)
class Document:
    product_id: int
    name: str
    meta: str
    body: str

    def latin_terms(self) -> set[str]:
        words = f"{self.name} {self.meta} {self.body}".split()
        return {w for w in words if text.is_latin(w) and 3 <= len(w) <= 60}


def _ancestor_paths(path: str, steplen: int) -> list[str]:
    return [path[:i] for i in range(steplen, len(path) + 1, steplen)]


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
    specs: dict[int, set[str]] = {}
    for product_id, values in Sku.objects.filter(product__in=products, is_active=True).values_list(
        "product_id", "specs"
    ):
        specs.setdefault(product_id, set()).update(str(v) for v in (values or {}).values())
    text.add_user_words([p.brand.name for p in products if p.brand] + list(names_by_path.values()))
    documents = []
    for product in products:
        brand = product.brand
        categories = [
            names_by_path.get(path, "") for path in _ancestor_paths(product.category.path, steplen)
        ]
        meta = [brand.name, brand.name_en] if brand else []
        body = [product.subtitle, product.seo_keywords, product.code]
        body += sorted(specs.get(product.pk, ()))
        documents.append(
            Document(
                product_id=product.pk,
                name=" ".join(text.index_tokens(product.name)),
                meta=" ".join(text.index_tokens(" ".join([*meta, *categories]))),
                body=" ".join(text.index_tokens(" ".join(body))),
            )
        )
    removed = ids - {p.pk for p in products}
    return documents, removed

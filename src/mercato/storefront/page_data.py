"""What an uncached product page reads of its product, in two statements instead of six.

The product's row came with a query of its own for its rating row (reviews) and the SKUs'
with one for which of them have stock for the province (inventory): each statement costs
its cursor, execute and converters in Python and a round trip in PostgreSQL whatever it
reads. Here the ORM builds the product's statement with the rating's subqueries in it and
the SKUs' with the stock test, once per process from the three apps' selectors
(core.compiled), as card_data.py does for the search's cards (docs/performance.md,
"Uncached product pages, third pass"). The category trail's ancestors and the first
images come with the product's row too (catalog.selectors.trail_columns, image_columns;
"Uncached product pages, seventh session").

What of it no stock state changes (the product's row but its prices and rating, and
what the page writes of its category trail and images and the related products' cards:
views._fixed_parts) is a document
the page keeps in the cache under the content version (catalog.shopcache), which a
stock-state bump leaves: with the document, the product statement is not run; its
prices, its rating and whether it is still on sale come with the SKUs' statement instead,
as subqueries of the product's id ("Uncached product pages, eighth session").
"""

from dataclasses import dataclass
from types import SimpleNamespace

from mercato.catalog.models import Category
from mercato.catalog.selectors import (
    PAGE_PRICE_FIELDS,
    ProductPage,
    category_trail_rows,
    image_columns,
    page_price_columns,
    page_product_values,
    page_sku_values,
    product_page_of,
    trail_columns,
)
from mercato.core.compiled import CompiledQuery
from mercato.inventory.selectors import sku_has_stock
from mercato.reviews.selectors import rating_columns

_RATING = tuple(rating_columns())
_TRAIL = tuple(trail_columns())
_IMAGES = tuple(image_columns())
_PRODUCT = CompiledQuery(
    "storefront.page_product",
    lambda slug: page_product_values(slug=slug).annotate(
        **rating_columns(), **trail_columns(), **image_columns()
    ),
)
_SKUS = CompiledQuery(
    "storefront.page_skus",
    lambda product_id, province: page_sku_values(product_id=product_id).annotate(
        in_stock=sku_has_stock(province=province)
    ),
)


# With the document: the SKUs' statement brings the product's prices (None: no longer on
# sale) and its rating row; each subquery depends on the product's id alone, so the
# database works it out once for the statement, not per SKU.
_PRICES = tuple(f"product_{name}" for name in PAGE_PRICE_FIELDS)
_SKUS_AND_PRODUCT = CompiledQuery(
    "storefront.page_skus_and_product",
    lambda product_id, province: page_sku_values(product_id=product_id).annotate(
        in_stock=sku_has_stock(province=province),
        **page_price_columns(product_id=product_id),
        **rating_columns(product=product_id),
    ),
)


@dataclass
class PageData:
    page: ProductPage
    available: set[int]  # the SKUs with stock (inventory.selectors.sku_has_stock)
    rating: dict  # the rating row as reviews.selectors.feedback_of takes it
    trail: list[Category]  # the category's ancestors and itself, root first


def _from_document(document: dict, province: str) -> PageData | None:
    """The page's data from the kept document and one statement (the SKUs with the
    product's prices and rating); None when the product is no longer on sale or has no
    active SKU (the full read then answers, as for a product without a document)."""
    skus = _SKUS_AND_PRODUCT.rows(product_id=document["product"]["id"], province=province or None)
    if not skus or skus[0][_PRICES[0]] is None:
        return None
    first = skus[0]
    prices = {name: first[f"product_{name}"] for name in PAGE_PRICE_FIELDS}
    rating = {name: first[name] for name in _RATING}
    for sku in skus:
        for name in (*_PRICES, *_RATING):
            del sku[name]
    available = {sku["id"] for sku in skus if sku.pop("in_stock")}
    # product_page_of's product and SKUs without its category and images (no model
    # instances made): what the page shows of the trail and images is in the document,
    # written.
    page = ProductPage(
        product=SimpleNamespace(**document["product"], **prices),
        category=None,
        skus=[SimpleNamespace(**s, pk=s["id"]) for s in skus],
        images=[],
    )
    return PageData(page, available, rating, trail=[])


def product_page_data(
    *, slug: str, province: str, document: dict | None = None
) -> tuple[PageData, dict | None] | None:
    """A product on sale (catalog.selectors.product_page_of), which of its SKUs have stock
    for `province` ("": in any warehouse), its rating row, images and category trail, and
    the document to keep of it (None when `document`, kept from an earlier request, was
    used); None without such a product. Two queries (one more for a product with
    IMAGE_COLUMNS images or more, one for a category deeper than TRAIL_COLUMNS levels);
    with the document, one (its trail and images are not read: the caller keeps what it
    writes of them in the document, views._fixed_parts)."""
    if document is not None:
        found = _from_document(document, province)
        if found is not None:
            return found, None
    rows = _PRODUCT.rows(slug=slug)
    if not rows:
        return None
    row = rows[0]
    rating = {name: row.pop(name) for name in _RATING}
    ancestors = [row.pop(name) for name in _TRAIL]
    images = [row.pop(name) for name in _IMAGES]
    skus = _SKUS.rows(product_id=row["id"], province=province or None)
    available = {sku["id"] for sku in skus if sku.pop("in_stock")}
    page = product_page_of(row=row, sku_rows=skus, images=images)
    trail = category_trail_rows(category=page.category, ancestors=ancestors)
    # The page's product but its prices; the caller adds what it writes of the trail and
    # images (views._fixed_parts).
    kept = {k: v for k, v in vars(page.product).items() if k not in PAGE_PRICE_FIELDS}
    document = {"product": kept}
    return PageData(page, available, rating, trail), document

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
"""

from dataclasses import dataclass

from mercato.catalog.models import Category
from mercato.catalog.selectors import (
    ProductPage,
    category_trail_rows,
    image_columns,
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


@dataclass
class PageData:
    page: ProductPage
    available: set[int]  # the SKUs with stock (inventory.selectors.sku_has_stock)
    rating: dict  # the rating row as reviews.selectors.feedback_of takes it
    trail: list[Category]  # the category's ancestors and itself, root first


def product_page_data(*, slug: str, province: str) -> PageData | None:
    """A product on sale (catalog.selectors.product_page_of), which of its SKUs have stock
    for `province` ("": in any warehouse), its rating row, images and category trail, in
    two queries (one more for a product with IMAGE_COLUMNS images or more, one for a
    category deeper than TRAIL_COLUMNS levels); None without such a product."""
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
    return PageData(page, available, rating, trail)

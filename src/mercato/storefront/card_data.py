"""What a search page's product cards show, and their stock state, in one statement.

The cards of an uncached search were three ORM queries (the products, their first images,
their stock state: catalog.selectors.card_rows and inventory.selectors.products_in_stock)
and their compilation, about a quarter of the page's CPU time. Here one statement asks for
all of it: the ORM builds it once per process from the two apps' selectors
(core.compiled), each search puts its product ids in (docs/performance.md, "Uncached
search"). storefront/tests/test_card_data.py checks it agrees with those selectors.
"""

from mercato.catalog.models import Product
from mercato.catalog.selectors import first_image_name
from mercato.core.compiled import CompiledQuery
from mercato.inventory.selectors import product_has_stock

SLOTS = 32  # ids a statement takes: a search page's 20 cards and its 12 related ones
_NO_PRODUCT = 0  # fills the slots a shorter list leaves (no product has id 0)
_NAMES = tuple(f"id{n}" for n in range(SLOTS))


def _cards(**ids):
    return (
        Product.objects.filter(pk__in=[ids[name] for name in _NAMES])
        .annotate(image=first_image_name(), in_stock=product_has_stock())
        .values_list("id", "name", "slug", "min_price", "max_price", "image", "in_stock")
    )


CARDS = CompiledQuery("storefront.search_cards", _cards)


def card_rows_with_stock(product_ids) -> dict[int, dict]:
    """{product id: the keyword arguments of cards.card_html} for those of these products
    that exist: name, slug, min_price, max_price, image (the first image's name by position,
    None without one) and sold_out (as inventory.selectors.products_in_stock counts it).
    One statement for up to SLOTS products."""
    ids = list(dict.fromkeys(int(pk) for pk in product_ids))
    rows = {}
    for start in range(0, len(ids), SLOTS):
        chunk = ids[start : start + SLOTS]
        chunk += [_NO_PRODUCT] * (SLOTS - len(chunk))
        values = dict(zip(_NAMES, chunk, strict=True))
        for pk, name, slug, low, high, image, in_stock in CARDS.rows(**values):
            rows[pk] = {
                "name": name,
                "slug": slug,
                "min_price": low,
                "max_price": high,
                "image": image,
                "sold_out": not in_stock,
            }
    return rows

"""A product card (image, name, price, from-price, stock state) as HTML, written in Python.

Every list of the shop front shows cards: a search page up to 32, a category page 24, a
product page 6. Rendered by the template language (an include, `{% url %}`, the images'
`first`, the thumbnail filter) they were about a third of an uncached search's CPU time;
this writes the same markup in microseconds. `storefront/partials/card.html` stays as the
readable reference: storefront/tests/test_cards.py checks both give the same HTML.
"""

from decimal import Decimal
from functools import lru_cache

from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from mercato.catalog.models import ProductImage
from mercato.catalog.thumbs import thumb_url

from . import markup
from .markup import e, product_url_maker, word


@lru_cache(maxsize=20_000)
def _medium_thumb(name: str) -> str:
    """The thumbnail's URL, escaped for an attribute. It follows from the image's name and
    the alias's options alone (catalog.thumbs), so it is worked out once per image and
    process. An unsaved image without a file: the alias names its model, nothing is read."""
    field = ProductImage._meta.get_field("image")
    return e(thumb_url(field.attr_class(ProductImage(), field, name), "medium"))


def card_html(
    *, slug: str, name: str, min_price, max_price, image: str | None, sold_out: bool, url=None
) -> SafeString:
    """The card of a product (catalog.selectors.card_rows gives the values; `image` is the
    first image's name, None without one). Every value is escaped by markup.e, as Django's
    escape() does, without its lazy-string checks: they were a tenth of an uncached
    search's CPU time."""
    url = url or product_url_maker()
    if image is not None:
        thumb = _medium_thumb(image) if image else ""
        picture = f'<img src="{thumb}" alt="" width="360" height="360" loading="lazy">'
    else:
        initial = e(name[:1])
        picture = f'<span class="noimg" aria-hidden="true">{initial}</span>'
    up = f"<small>{word('up')}</small>" if max_price > min_price else ""
    stock = ""
    if sold_out:
        stock = f'<span class="card-stock out">{word("Out of stock")}</span>'
    href = e(url(slug))
    return mark_safe(  # noqa: S308 - every value escaped above
        f'<li class="card">\n  <a href="{href}" hx-boost="false">\n'
        f"    {picture}\n"
        f'    <span class="card-name">{e(name)}</span>\n  </a>\n'
        f'  <span class="price">¥{e(min_price)}{up}</span>\n'
        f"  {stock}\n</li>\n"
    )


@lru_cache(maxsize=10_000)
def kept_card_html(
    language, prefix, slug, name, min_price: str, max_price: str, image, sold_out
) -> SafeString:
    """card_html's card, kept per process. A card follows from its row, the language and
    the URL prefix alone (those two only key it: card_html reads the active ones), and the
    same few hundred products fill most lists: writing their cards afresh was a tenth of an
    uncached search. The rows are read from the database for every list (a search's
    results, a product page's related products), so a changed name, price, image or stock
    state is another card. Prices come as their digits: 1.5 and 1.50 are equal Decimals but
    are written differently. Forgotten with markup's memos (a test changed the languages,
    formats, URLs or thumbnails)."""
    return card_html(
        slug=slug,
        name=name,
        min_price=Decimal(min_price),
        max_price=Decimal(max_price),
        image=image,
        sold_out=sold_out,
    )


markup.forget_with(kept_card_html.cache_clear)


def kept_card_of(row: dict, sold_out: bool, language: str, prefix: str) -> SafeString:
    """kept_card_html's card of a card row (catalog.selectors.card_rows' keys: slug, name,
    min_price, max_price, image), in `language` under the URL `prefix` (the active ones:
    get_language(), get_script_prefix(), looked up once per list by the caller)."""
    return kept_card_html(
        language, prefix, row["slug"], row["name"], str(row["min_price"]),
        str(row["max_price"]), row["image"], sold_out,
    )  # fmt: skip


def rows_html(rows: dict) -> SafeString:
    """The cards of catalog.selectors.card_rows' rows, in order (none sold out: for lists
    that do not show the stock state), each kept per process (kept_card_html)."""
    language, prefix = get_language(), get_script_prefix()
    cards = (kept_card_of(row, False, language, prefix) for row in rows.values())
    return mark_safe("".join(cards))  # noqa: S308 - each card escaped


def cards_html(products) -> SafeString:
    """The cards of `products` (model instances with their images prefetched), in order."""
    url = product_url_maker()
    out = []
    for p in products:
        first = next(iter(p.images.all()), None)
        out.append(
            card_html(
                slug=p.slug,
                name=p.name,
                min_price=p.min_price,
                max_price=p.max_price,
                image=None if first is None else first.image.name,
                sold_out=getattr(p, "sold_out", False),
                url=url,
            )
        )
    return mark_safe("".join(out))  # noqa: S308 - each card escaped

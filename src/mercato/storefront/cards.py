"""A product card (image, name, price, from-price, stock state) as HTML, written in Python.

Every list of the shop front shows cards: a search page up to 32, a category page 24, a
product page 6. Rendered by the template language (an include, `{% url %}`, the images'
`first`, the thumbnail filter) they were about a third of an uncached search's CPU time;
this writes the same markup in microseconds. `storefront/partials/card.html` stays as the
readable reference: storefront/tests/test_cards.py checks both give the same HTML.
"""

from functools import lru_cache
from html import escape

from django.core.signals import setting_changed
from django.urls import get_script_prefix, reverse
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from mercato.catalog.models import ProductImage
from mercato.catalog.thumbs import thumb_url

# A slug never needs quoting (the routes' converter is <slug:slug>), so a product's or a
# category's URL is the reversed pattern with the slug put in: reverse() once per route,
# script prefix and process instead of once per card or crumb.
_SLUG = "--slug--"
_patterns: dict[tuple[str, str], tuple[str, str]] = {}


def slug_url_maker(name: str):
    """A function slug → the URL of route `name` (one taking a slug) for the current prefix."""
    key = (name, get_script_prefix())
    found = _patterns.get(key)
    if found is None:
        before, after = reverse(name, args=[_SLUG]).split(_SLUG)
        found = _patterns[key] = (before, after)
    before, after = found
    return lambda slug: f"{before}{slug}{after}"


def product_url_maker():
    """A function slug → the product page's URL."""
    return slug_url_maker("storefront:product")


def _forget_patterns(**kwargs) -> None:
    _patterns.clear()  # a test changed the URLconf


setting_changed.connect(_forget_patterns, dispatch_uid="storefront-cards-patterns")


@lru_cache(maxsize=20_000)
def _medium_thumb(name: str) -> str:
    """The thumbnail's URL, escaped for an attribute. It follows from the image's name and
    the alias's options alone (catalog.thumbs), so it is worked out once per image and
    process. An unsaved image without a file: the alias names its model, nothing is read."""
    field = ProductImage._meta.get_field("image")
    return escape(thumb_url(field.attr_class(ProductImage(), field, name), "medium"))


def card_html(
    *, slug: str, name: str, min_price, max_price, image: str | None, sold_out: bool, url=None
) -> SafeString:
    """The card of a product (catalog.selectors.card_rows gives the values; `image` is the
    first image's name, None without one). Every value is a plain string (the database's,
    gettext's, localize's), escaped with html.escape as Django's escape() does, without its
    lazy-string checks: they were a tenth of an uncached search's CPU time."""
    url = url or product_url_maker()
    if image is not None:
        thumb = _medium_thumb(image) if image else ""
        picture = f'<img src="{thumb}" alt="" width="360" height="360" loading="lazy">'
    else:
        initial = escape(name[:1])
        picture = f'<span class="noimg" aria-hidden="true">{initial}</span>'
    up = f"<small>{escape(gettext('up'))}</small>" if max_price > min_price else ""
    stock = ""
    if sold_out:
        stock = f'<span class="card-stock out">{escape(gettext("Out of stock"))}</span>'
    href = escape(url(slug))
    return mark_safe(  # noqa: S308 - every value escaped above
        f'<li class="card">\n  <a href="{href}" hx-boost="false">\n'
        f"    {picture}\n"
        f'    <span class="card-name">{escape(name)}</span>\n  </a>\n'
        f'  <span class="price">¥{escape(localize(min_price))}{up}</span>\n'
        f"  {stock}\n</li>\n"
    )


def rows_html(rows: dict) -> SafeString:
    """The cards of catalog.selectors.card_rows' rows, in order (none sold out: for lists
    that do not show the stock state)."""
    url = product_url_maker()
    cards = (card_html(**row, sold_out=False, url=url) for row in rows.values())
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

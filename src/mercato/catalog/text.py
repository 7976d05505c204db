"""Text helpers for the catalogue: pinyin slugs, sanitised HTML, barcodes."""

import nh3
from django.utils.text import slugify
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin
from stdnum import ean
from stdnum.exceptions import ValidationError as StdnumError

# Tags and attributes a product description may keep; everything else is stripped.
ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "b", "em", "i", "u", "s", "sub", "sup", "span", "div",
    "h2", "h3", "h4", "ul", "ol", "li", "blockquote", "table", "thead", "tbody", "tr",
    "th", "td", "img", "a", "figure", "figcaption",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


def sanitize_html(html: str) -> str:
    """Remove scripts, event handlers and javascript: URLs (nh3, an allow-list sanitiser)."""
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def pinyin_slug(text: str, max_length: int = 100) -> str:
    """手机 壳 → shou-ji-ke: each Chinese character becomes its pinyin, Latin text stays."""
    parts = lazy_pinyin(text or "", style=Style.NORMAL, errors="default")
    slug = slugify(" ".join(parts))[:max_length].strip("-")
    return slug or "item"


def unique_slug(model, text: str, *, exclude_pk=None, max_length: int = 100) -> str:
    base = pinyin_slug(text, max_length=max_length - 6)
    taken = set(
        model.objects.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def barcode_error(barcode: str) -> str | None:
    """None when `barcode` is empty or a valid EAN-13, else why it is not."""
    if not barcode:
        return None
    if len(barcode) != 13 or not barcode.isdigit():
        return _("An EAN-13 barcode has exactly 13 digits")
    try:
        ean.validate(barcode)
    except StdnumError:
        return _("The EAN-13 check digit is wrong")
    return None

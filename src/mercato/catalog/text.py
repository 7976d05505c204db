"""Text helpers for the catalogue: pinyin slugs, sanitised HTML, barcodes."""

from functools import lru_cache

import nh3
from django.utils.text import slugify
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin
from pypinyin.seg.simpleseg import simple_seg
from stdnum import ean

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


@lru_cache(maxsize=8192)
def _piece_pinyin(piece: str) -> tuple[str, ...]:
    return tuple(lazy_pinyin(piece, style=Style.NORMAL, errors="default"))


def pinyin_slug(text: str, max_length: int = 100) -> str:
    """手机 壳 → shou-ji-ke: each Chinese character becomes its pinyin, Latin text stays."""
    # pypinyin converts each run of Chinese characters on its own (simple_seg cuts the
    # text first, as lazy_pinyin does), so runs are cached: an import's 5,000 names share
    # most of theirs, and converting them was its slowest step.
    parts = [p for piece in simple_seg(text or "") for p in _piece_pinyin(piece)]
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


def barcode_fault(barcode: str) -> str | None:
    """None when `barcode` is empty or a valid EAN-13, else "length" or "check_digit"."""
    if not barcode:
        return None
    if len(barcode) != 13 or not barcode.isdigit():
        return "length"
    # stdnum's check digit on its own: validate's clean-up and format checks cost an import
    # more than the rest of a row's checks, and the 13 digits are checked above (isdigit
    # also takes full-width digits, which are no EAN).
    if not barcode.isascii() or ean.calc_check_digit(barcode[:12]) != barcode[12]:
        return "check_digit"
    return None


def barcode_error(barcode: str) -> str | None:
    """None when `barcode` is empty or a valid EAN-13, else why it is not."""
    fault = barcode_fault(barcode)
    if fault == "length":
        return _("An EAN-13 barcode has exactly 13 digits")
    if fault == "check_digit":
        return _("The EAN-13 check digit is wrong")
    return None
    if len(barcode) != 13 or not barcode.isdigit():
        return _("An EAN-13 barcode has exactly 13 digits")
    # stdnum's check digit on its own: validate's clean-up and format checks cost an import
    # more than the rest of a row's checks, and the 13 digits are checked above (isdigit
    # also takes full-width digits, which are no EAN).
    if not barcode.isascii() or ean.calc_check_digit(barcode[:12]) != barcode[12]:
        return _("The EAN-13 check digit is wrong")
    return None

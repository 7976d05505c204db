"""The product list's table rows, written in Python rather than in the template.

A Django template spends a few microseconds on every variable, filter and tag; fifty rows
of ten cells were the dearest part of the page (see docs/performance.md). Here each row is
one f-string over values already read by `selectors.product_list_rows`. Every text value
goes through `escape` (html.escape, quotes included); numbers and dates are formatted here.
The markup is the one the template used to write.
"""

from html import escape

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from mercato.catalog.models import ProductImage, ProductStatus

from .templatetags.backoffice import thumb_url

NO_IMAGE = '<span class="thumb empty"></span>'


def _price(row: dict) -> str:
    if not row["sku_count"]:
        return "—"
    low, high = row["min_price"], row["max_price"]
    return f"¥{low}" if high == low else f"¥{low}–{high}"


def _thumb(image_name: str | None) -> str:
    if not image_name:
        return NO_IMAGE
    # Width and height given, so that the model does not open the file to read them.
    image = ProductImage(image=image_name, width=1, height=1).image
    src = escape(thumb_url(image, "small"))
    return f'<img class="thumb" src="{src}" alt="" width="40" height="40" loading="lazy">'


def render_product_rows(rows: list[dict], *, may_price: bool) -> SafeString:
    """<tr>s for one page of `product_list_rows` values; a checkbox cell when `may_price`."""
    # One reverse() for the page: the product id is the URL's only variable part.
    url_of = reverse("backoffice:product_detail", args=[0]).removesuffix("0/")
    select = escape(_("Select"))
    statuses = {value: escape(str(label)) for value, label in ProductStatus.choices}
    html = []
    for row in rows:
        pk, name, status = row["id"], escape(row["name"]), escape(row["status"])
        check = (
            f'<td><input type="checkbox" name="product" value="{pk}" '
            f'aria-label="{select} {name}"></td>'
            if may_price
            else ""
        )
        subtitle = row["subtitle"]
        if subtitle:
            subtitle = f'<br><small class="muted">{escape(Truncator(subtitle).chars(40))}</small>'
        updated = timezone.localtime(row["updated_at"]).strftime("%Y-%m-%d %H:%M")
        html.append(
            f"<tr>{check}<td>{_thumb(row['first_image'])}</td>"
            f'<td class="mono">{escape(row["code"])}</td>'
            f'<td><a href="{url_of}{pk}/">{name}</a>{subtitle}</td>'
            f"<td>{escape(row['category__name'])}</td>"
            f"<td>{escape(row['brand__name'] or '—')}</td>"
            f'<td><span class="status status-{status}">{statuses.get(status, status)}</span></td>'
            f'<td class="num">{_price(row)}</td><td class="num">{row["sku_count"]}</td>'
            f"<td><small>{updated}</small></td></tr>\n"
        )
    return mark_safe("".join(html))  # noqa: S308 - every text value above is escaped

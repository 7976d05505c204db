"""A supplier's price list from an XLSX (or CSV) file: one row per SKU and start date.

Columns (Chinese or English headers): SKU编码/sku_code, 单价/price, 起订量/min_quantity
(optional, 1), 生效日期/valid_from, 失效日期/valid_to (optional). Every row is checked
first; a file with any bad row saves nothing and says what is wrong in each row. The file
is read by the catalogue import's reader (catalog.importing.reader).
"""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from mercato.catalog.importing.reader import detect_format, open_sheet
from mercato.catalog.models import Sku
from mercato.core.audit import acting_as
from mercato.core.errors import ValidationFailed
from mercato.core.permissions import require_perm

from .suppliers import _check_price_row, _save_prices, _supplier

HEADERS = {
    "sku_code": ("sku_code", "sku", "sku编码", "商品编码"),
    "price": ("price", "单价", "价格", "采购价"),
    "min_quantity": ("min_quantity", "moq", "起订量", "最小起订量"),
    "valid_from": ("valid_from", "生效日期", "开始日期"),
    "valid_to": ("valid_to", "失效日期", "结束日期"),
}
REQUIRED = ("sku_code", "price", "valid_from")
MAX_ROWS = 5000


@dataclass
class PriceListResult:
    saved: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row number, message)


def _column(header: str) -> str | None:
    text = header.strip().lower()
    return next((name for name, names in HEADERS.items() if text in names), None)


def _date(text: str, field_name: str):
    if not text:
        return None
    try:
        # XLSX date cells come as "2026-01-01 00:00:00"; typed ones as 2026-01-01.
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        raise ValidationFailed(
            {field_name: [_("Not a date (write 2026-01-31): %(v)s") % {"v": text}]}
        ) from None


def import_price_list(*, actor, supplier_id: int, upload, filename: str) -> PriceListResult:
    """Check every row of the file, then save them all, or none when any row is bad."""
    require_perm(actor, "procurement.change_supplier")
    supplier = _supplier(supplier_id)
    fmt = detect_format(filename)
    result, rows = PriceListResult(), []
    with open_sheet(upload, fmt=fmt, count=False) as sheet:
        columns = [_column(h) for h in sheet.header]
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            result.errors.append((1, _("Required columns are missing: %(c)s") % {
                "c": ", ".join(missing)
            }))  # fmt: skip
            return result
        for number, cells in sheet.rows:
            if len(rows) + len(result.errors) >= MAX_ROWS:
                result.errors.append((number, _("At most %(n)s rows") % {"n": MAX_ROWS}))
                break
            values = {c: cells[i] if i < len(cells) else "" for i, c in enumerate(columns) if c}
            rows.append((number, values))
    skus = dict(
        Sku.objects.filter(code__in=[v["sku_code"] for _n, v in rows]).values_list("code", "pk")
    )
    checked, seen = [], {}
    for number, values in rows:
        try:
            sku_id = skus.get(values["sku_code"])
            if sku_id is None:
                raise ValidationFailed(
                    {"sku_code": [_("Unknown SKU code: %(v)s") % {"v": values["sku_code"]}]}
                )
            valid_from = _date(values["valid_from"], "valid_from")
            row = _check_price_row(
                sku_id=sku_id,
                price=values["price"],
                min_quantity=values.get("min_quantity") or 1,
                valid_from=valid_from,
                valid_to=_date(values.get("valid_to", ""), "valid_to"),
            )
            key = (sku_id, valid_from)
            if key in seen:
                raise ValidationFailed(
                    {"sku_code": [_("Same SKU and start date as row %(n)s") % {"n": seen[key]}]}
                )
            seen[key] = number
            checked.append(row)
        except ValidationFailed as exc:
            result.errors.extend(
                (number, str(m)) for msgs in exc.field_errors.values() for m in msgs
            )
    if result.errors:
        return result
    if not checked:
        result.errors.append((1, _("The file has no price rows")))
        return result
    with transaction.atomic(), acting_as(actor):
        result.saved = _save_prices(supplier, checked)
    return result

"""Catalogue import files for tests: good rows, CSV and XLSX builders, row counts."""

import csv
import io

from openpyxl import Workbook

from mercato.catalog.importing import COLUMNS

HEADER = COLUMNS


def sku_row(n: int, product: str | None = None, **overrides) -> dict:
    """A good row for SKU n; products group SKUs in pairs unless `product` says otherwise."""
    product = product or f"P{(n + 1) // 2:04d}"
    row = {
        "product_code": product,
        "product_name": f"测试手机 {product}",
        "category": "手机数码/手机/智能手机",
        "brand": "华为",
        "status": "draft",
        "sku_code": f"{product}-S{n:03d}",
        "barcode": "",
        "specs": f"颜色=色{n};存储容量=128GB",
        "list_price": "1999.00",
        "cost_price": "1500.00",
        "weight_g": "200",
        "volume_cm3": "300",
        "subtitle": "",
        "seo_title": "",
        "seo_keywords": "",
        "seo_description": "",
    }
    row.update(overrides)
    return row


def csv_bytes(rows: list[dict], header: list[str] | None = None) -> io.BytesIO:
    header = header or list(HEADER)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(c, "") for c in header])
    return io.BytesIO(text.getvalue().encode("utf-8"))


def xlsx_bytes(rows: list[dict], header: list[str] | None = None) -> io.BytesIO:
    header = header or list(HEADER)
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(c, "") for c in header])
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def catalogue_counts() -> dict[str, int]:
    """Rows in every catalogue table (and the audit log): to prove nothing was written."""
    from auditlog.models import LogEntry
    from django.apps import apps

    counts = {m.__name__: m.objects.count() for m in apps.get_app_config("catalog").get_models()}
    counts.pop("ImportJob", None)
    counts["LogEntry"] = LogEntry.objects.count()
    return counts

"""Rows written as a CSV or XLSX file, for people who open them in Excel or WPS: the order
console's export, the catalogue's export, the supply-chain KPI and margin downloads and the
carriers' penalties."""

import csv
import io
from collections.abc import Iterable


def write_table(file, *, fmt: str, header: list, rows: Iterable[list], sheet: str) -> int:
    """Write `header` then `rows` to the binary `file`: "csv" in UTF-8 with a BOM (Excel
    opens it with the Chinese intact), else XLSX (openpyxl, write-only, one sheet named
    `sheet`). `file` is left open; returns the number of rows."""
    n = 0
    if fmt == "csv":
        text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="", write_through=True)
        writer = csv.writer(text)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            n += 1
        text.flush()
        text.detach()  # leave `file` open for the caller
        return n
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    worksheet = book.create_sheet(sheet)
    worksheet.append(list(header))
    for row in rows:
        worksheet.append(row)
        n += 1
    book.save(file)
    return n

"""A table of figures as a CSV or XLSX download (core.tables.write_table): the supply-chain
KPIs' and the margin report's."""

import io
from decimal import Decimal

from django.http import HttpResponse

from mercato.core.tables import write_table

CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def table_download(*, fmt: str, header: list, rows: list[list], sheet: str, name: str):
    """`rows` under `header` as `name`.csv or `name`.xlsx (fmt); in the sheet, Decimals
    become numbers so they add up there."""
    if fmt == "xlsx":
        rows = [[float(v) if isinstance(v, Decimal) else v for v in row] for row in rows]
    body = io.BytesIO()
    write_table(body, fmt=fmt, header=header, rows=rows, sheet=sheet[:31])
    response = HttpResponse(body.getvalue(), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response

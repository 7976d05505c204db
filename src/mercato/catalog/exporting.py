"""Export products and SKUs in the import's columns, so an exported file re-imports as is."""

from collections.abc import Callable, Iterator

from mercato.core.errors import ValidationFailed
from mercato.core.permissions import require_perm
from mercato.core.tables import write_table

from .importing.columns import COLUMNS, SOURCES, format_specs
from .importing.rows import Lookups
from .models import Sku

FORMATS = ("csv", "xlsx")
CHUNK = 2000


def export_columns(actor) -> list[str]:
    """Every column; cost_price only for those who may see cost prices (None = the system)."""
    if actor is None or actor.has_perm("catalog.view_cost_price"):
        return list(COLUMNS)
    return [c for c in COLUMNS if c != "cost_price"]


def _rows(columns: list[str]) -> Iterator[list]:
    categories = Lookups(create_brands=False).category_labels
    shown = {
        "category": lambda pk: categories.get(pk, ""),
        "brand": lambda name: name or "",
        "specs": lambda specs: format_specs(specs or {}),
    }
    convert = [shown.get(c) for c in columns]
    skus = (
        Sku.objects.order_by("product_id", "id")
        .values_list(*[SOURCES[c] for c in columns])
        .iterator(chunk_size=CHUNK)
    )
    for values in skus:
        yield [f(v) if f else v for f, v in zip(convert, values, strict=True)]


def count_export_rows() -> int:
    return Sku.objects.count()


def export_products(*, actor, file, fmt: str, progress: Callable[[int], None] | None = None) -> int:
    """Write every SKU as one row to `file` (binary); returns the number of rows."""
    if actor is not None:
        require_perm(actor, "catalog.export_products")
    if fmt not in FORMATS:
        raise ValidationFailed({"format": [f"Choose one of {', '.join(FORMATS)}, not {fmt!r}"]})
    columns = export_columns(actor)

    def reported(rows):
        for n, row in enumerate(rows, start=1):
            yield row
            if progress and n % CHUNK == 0:
                progress(n)

    n = write_table(file, fmt=fmt, header=columns, rows=reported(_rows(columns)), sheet="products")
    if progress:
        progress(n)
    return n

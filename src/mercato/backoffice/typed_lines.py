"""Lines typed into a form's text box, one a row: "SKU code[, warehouse code], quantity[,
unit price]" (commas, full-width commas, tabs or spaces between). The purchase order,
transfer, tender and purchase list forms take them."""

import re

from django.utils.translation import gettext as _

from mercato.catalog.models import Sku
from mercato.core.errors import ValidationFailed
from mercato.inventory.models import Warehouse

_SEPARATORS = re.compile(r"[,，\s]+")


def parse_typed_lines(
    text: str, *, usage: str, warehouse: bool = False, price: bool = False
) -> list[dict]:
    """[{sku_id, [warehouse_id,] quantity[, unit_price]}] of the rows, the quantity and price
    as typed (the service checks them). With `price` the price may be left out (None).
    A row of the wrong shape says `usage`; an unknown code is named; the errors are keyed
    "lines.<row from 0>" and raised together (ValidationFailed)."""
    needed = 3 if warehouse else 2
    parsed, errors = {}, {}
    for i, row in enumerate(r for r in (text or "").splitlines() if r.strip()):
        parts = [p for p in _SEPARATORS.split(row.strip()) if p]
        if len(parts) == needed or (price and len(parts) == needed + 1):
            parsed[i] = parts
        else:
            errors[f"lines.{i}"] = [usage]
    skus = dict(
        Sku.objects.filter(code__in={p[0] for p in parsed.values()}).values_list("code", "pk")
    )
    houses = {}
    if warehouse:
        houses = dict(
            Warehouse.objects.filter(code__in={p[1] for p in parsed.values()}).values_list(
                "code", "pk"
            )
        )
    rows = []
    for i, parts in parsed.items():
        if parts[0] not in skus:
            errors[f"lines.{i}"] = [_("Unknown SKU code: %(v)s") % {"v": parts[0]}]
        elif warehouse and parts[1] not in houses:
            errors[f"lines.{i}"] = [_("Unknown warehouse code: %(v)s") % {"v": parts[1]}]
        else:
            row = {"sku_id": skus[parts[0]]}
            if warehouse:
                row["warehouse_id"] = houses[parts[1]]
            row["quantity"] = parts[needed - 1]
            if price:
                row["unit_price"] = parts[needed] if len(parts) > needed else None
            rows.append(row)
    if errors:
        raise ValidationFailed(errors)
    return rows

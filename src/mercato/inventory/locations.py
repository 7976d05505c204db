"""Where stock lies in a warehouse: zones, bins (货位) and the bin of each stock row.

Pick lists (fulfillment) walk the bins in their `walk_order`; a SKU without a bin is
picked last, under "no bin".
"""

import re

from django.db import transaction
from django.utils.translation import gettext as _

from mercato.core.errors import NotFound, ValidationFailed
from mercato.core.permissions import require_perm

from .models import Bin, Stock, Warehouse, Zone

BIN_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,19}$")


def _warehouse(warehouse_id) -> Warehouse:
    warehouse = Warehouse.objects.filter(pk=warehouse_id).first()
    if warehouse is None:
        raise NotFound(_("Warehouse not found"), field="warehouse")
    return warehouse


@transaction.atomic
def define_bins(*, actor, warehouse_id: int, bins) -> list[Bin]:
    """Create zones and bins from [(zone code, bin code)]; the list's order is the walk
    order. Existing bins keep their rows (their walk order is updated). actor None:
    system set-up (demo data)."""
    if actor is not None:
        require_perm(actor, "inventory.change_warehouse")
    warehouse = _warehouse(warehouse_id)
    rows = []
    for i, item in enumerate(bins):
        try:
            zone_code, bin_code = (str(x).strip() for x in item)
        except (TypeError, ValueError):
            raise ValidationFailed({f"bins.{i}": [_("Give a zone and a bin code")]}) from None
        if not (BIN_CODE.match(zone_code) and BIN_CODE.match(bin_code)):
            raise ValidationFailed(
                {f"bins.{i}": [_("Codes are letters, digits and dashes: %(c)s") % {"c": bin_code}]}
            )
        rows.append((zone_code.upper(), bin_code.upper()))
    zones = {z.code: z for z in Zone.objects.filter(warehouse=warehouse)}
    new_zones = [Zone(warehouse=warehouse, code=c) for c in dict.fromkeys(z for z, _b in rows)]
    Zone.objects.bulk_create([z for z in new_zones if z.code not in zones])
    zones = {z.code: z for z in Zone.objects.filter(warehouse=warehouse)}
    existing = {b.code: b for b in Bin.objects.filter(warehouse=warehouse)}
    created, updated = [], []
    for order, (zone_code, code) in enumerate(rows, start=1):
        if code in existing:
            b = existing[code]
            b.walk_order, b.zone = order, zones[zone_code]
            updated.append(b)
        else:
            created.append(
                Bin(warehouse=warehouse, zone=zones[zone_code], code=code, walk_order=order)
            )
    Bin.objects.bulk_create(created)
    Bin.objects.bulk_update(updated, ["walk_order", "zone"])
    return list(Bin.objects.filter(warehouse=warehouse))


@transaction.atomic
def put_away(*, actor, sku_id: int, warehouse_id: int, bin_code: str) -> Stock:
    """Keep the units of a SKU in a warehouse in `bin_code` (the stock row is created at
    zero when missing)."""
    if actor is not None:
        require_perm(actor, "inventory.change_stock")
    bin_ = Bin.objects.filter(warehouse_id=warehouse_id, code=str(bin_code).strip().upper()).first()
    if bin_ is None:
        raise NotFound(_("No such bin in this warehouse"), field="bin")
    stock, _created = Stock.objects.get_or_create(sku_id=sku_id, warehouse_id=warehouse_id)
    Stock.objects.filter(pk=stock.pk).update(bin=bin_)
    stock.bin = bin_
    return stock

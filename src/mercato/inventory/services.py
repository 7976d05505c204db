"""Warehouses. Stock, reservations and the stock ledger come with issue 4."""

from django.core.exceptions import ValidationError
from django.db import transaction

from mercato.core.audit import acting_as
from mercato.core.errors import ValidationFailed
from mercato.core.permissions import require_perm
from mercato.core.regions import mainland_provinces

from .models import Warehouse, WarehouseProvince

WAREHOUSE_FIELDS = {"name", "province", "city", "district", "address", "contact", "phone"}


def _clean_provinces(provinces) -> list[str]:
    cleaned = list(dict.fromkeys(str(p).strip() for p in provinces or []))
    unknown = [p for p in cleaned if p not in mainland_provinces()]
    if unknown:
        raise ValidationFailed(
            {"provinces": [f"Unknown province (use the full name, e.g. 四川省): {unknown[0]}"]}
        )
    return cleaned


@transaction.atomic
def create_warehouse(
    *, actor, code: str, name: str, provinces, priority: int = 100, **fields
) -> Warehouse:
    """A warehouse and the provinces it serves (actor None: system set-up, e.g. demo data)."""
    if actor is not None:
        require_perm(actor, "inventory.add_warehouse")
    unknown = set(fields) - WAREHOUSE_FIELDS
    if unknown:
        raise ValidationFailed({f: ["Unknown field"] for f in sorted(unknown)})
    served = _clean_provinces(provinces)
    if fields.get("province") and fields["province"] not in mainland_provinces():
        raise ValidationFailed({"province": [f"Unknown province: {fields['province']}"]})
    if Warehouse.objects.filter(code=code).exists():
        raise ValidationFailed({"code": ["A warehouse with this code exists"]})
    with acting_as(actor):
        warehouse = Warehouse(code=code, name=name, priority=priority, **fields)
        try:
            warehouse.full_clean()
        except ValidationError as exc:
            raise ValidationFailed(exc.message_dict) from exc
        warehouse.save()
        WarehouseProvince.objects.bulk_create(
            WarehouseProvince(warehouse=warehouse, province=p) for p in served
        )
    return warehouse


@transaction.atomic
def set_served_provinces(*, actor, warehouse_id: int, provinces) -> Warehouse:
    """Replace the provinces a warehouse serves."""
    require_perm(actor, "inventory.change_warehouse")
    served = _clean_provinces(provinces)
    warehouse = Warehouse.objects.select_for_update().get(pk=warehouse_id)
    with acting_as(actor):
        WarehouseProvince.objects.filter(warehouse=warehouse).exclude(province__in=served).delete()
        have = set(warehouse.served.values_list("province", flat=True))
        WarehouseProvince.objects.bulk_create(
            WarehouseProvince(warehouse=warehouse, province=p) for p in served if p not in have
        )
    return warehouse

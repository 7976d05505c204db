"""Which warehouse serves which province, set for many provinces at once (warehouse
network planning applies its plan here; procurement.network computes it).

The reservation step (allocation.rank_warehouses) tries first the warehouses that serve
the delivery province, so after `assign_provinces` an order to a reassigned province is
allocated from its new warehouse (while that warehouse has the stock).
"""

import hashlib

from django.db import transaction
from django.utils.translation import gettext as _

from mercato.core.audit import acting_as
from mercato.core.errors import Conflict, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.core.regions import mainland_provinces

from .allocation import forget_warehouses
from .models import Warehouse, WarehouseProvince


def served_version() -> str:
    """A short fingerprint of every served-province row: a plan computed on one version
    is refused once another change has moved the assignment under it. One query."""
    rows = WarehouseProvince.objects.order_by("province", "warehouse_id").values_list(
        "province", "warehouse_id"
    )
    text = ";".join(f"{p}:{w}" for p, w in rows)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@transaction.atomic
def assign_provinces(*, actor, assignment: dict, expected_version: str | None = None) -> int:
    """Make each province of `assignment` ({province: warehouse id}) served by that one
    active warehouse only; provinces not named keep their warehouses. Every province and
    warehouse is checked first (ValidationFailed naming it; nothing written). With
    `expected_version` (served_version() when the plan was computed), a changed assignment
    is refused (Conflict). Returns the number of provinces whose warehouses changed."""
    require_perm(actor, "inventory.change_warehouseprovince")
    if not assignment:
        raise ValidationFailed({"assignment": [_("Nothing to apply: the plan is empty.")]})
    provinces = set(mainland_provinces())
    unknown = sorted(str(p) for p in assignment if p not in provinces)
    if unknown:
        raise ValidationFailed(
            {"assignment": [_("Unknown province: %(names)s.") % {"names": "、".join(unknown)}]}
        )
    try:
        wanted = {p: int(w) for p, w in assignment.items()}
    except (TypeError, ValueError):
        raise ValidationFailed(
            {"assignment": [_("Choose a warehouse for every province.")]}
        ) from None
    # Locked in primary-key order, as every service that locks warehouses does.
    active = set(
        Warehouse.objects.select_for_update()
        .filter(pk__in=set(wanted.values()), is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    missing = sorted(p for p, w in wanted.items() if w not in active)
    if missing:
        raise ValidationFailed(
            {
                "assignment": [
                    _("No such active warehouse for: %(names)s.") % {"names": "、".join(missing)}
                ]
            }
        )
    if expected_version is not None and expected_version != served_version():
        raise Conflict(
            _("The warehouses' provinces changed since this plan was computed; review it again."),
            field="assignment",
        )
    have: dict[str, set[int]] = {}
    for p, w in WarehouseProvince.objects.filter(province__in=wanted).values_list(
        "province", "warehouse_id"
    ):
        have.setdefault(p, set()).add(w)
    changed = [p for p, w in wanted.items() if have.get(p, set()) != {w}]
    with acting_as(actor):
        for p in changed:
            WarehouseProvince.objects.filter(province=p).exclude(warehouse_id=wanted[p]).delete()
        WarehouseProvince.objects.bulk_create(
            WarehouseProvince(warehouse_id=wanted[p], province=p)
            for p in sorted(changed)
            if wanted[p] not in have.get(p, set())
        )
    forget_warehouses()  # bulk_create and queryset delete send no per-row signals
    return len(changed)

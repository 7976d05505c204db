"""Stock-control test helpers: shipments written into the stock ledger at a chosen time
(sales velocity, ABC classes, cover and the supply-chain KPIs read them)."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from mercato.inventory.models import StockMovement
from mercato.inventory.services import apply_movement, lock_stock


@transaction.atomic
def ship_units(sku, warehouse, units: int, *, days_ago: float = 1, now=None) -> StockMovement:
    """`units` of `sku` leave `warehouse` as a shipment (ledger reason shipment), dated
    `days_ago` days before `now`."""
    stock = lock_stock(sku_id=sku.pk, warehouse_id=warehouse.pk)
    movement = apply_movement(
        stock=stock, reason=StockMovement.Reason.SHIPMENT, on_hand_delta=-units,
        reference="TEST-SHIP",
    )  # fmt: skip
    at = (now or timezone.now()) - timedelta(days=days_ago)
    # The ledger row just written (apply_movement does not read its primary key back).
    last = StockMovement.objects.filter(stock=stock).order_by("-id").values("pk")[:1]
    StockMovement.objects.filter(pk__in=last).update(created_at=at)
    return movement

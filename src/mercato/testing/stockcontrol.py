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


def seed_counts(*, users: dict) -> list:
    """Cycle counts for the page walks: one posted with a variance and one still being
    counted, in the first warehouse with stock in a zone (else by ABC class C)."""
    from mercato.inventory import counts
    from mercato.inventory.models import Stock

    clerk = users["procurement"]
    row = Stock.objects.filter(bin__isnull=False, on_hand__gt=1).order_by("pk").first()
    if row is None:
        row = Stock.objects.filter(on_hand__gt=1).order_by("pk").first()
    scope = {"zone_id": row.bin.zone_id} if row.bin_id else {"abc_class": "C"}
    done = counts.create_count_task(actor=clerk, warehouse_id=row.warehouse_id, **scope)
    lines = list(done.lines.order_by("pk"))
    found = {line.pk: line.expected for line in lines}
    found[lines[0].pk] = max(lines[0].expected - 1, 0)
    counts.record_counts(actor=clerk, task_id=done.pk, counts=found)
    counts.submit_count(actor=clerk, task_id=done.pk, reason="破损未登记")
    open_ = counts.create_count_task(actor=clerk, warehouse_id=row.warehouse_id, **scope)
    return [done, open_]

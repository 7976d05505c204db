"""The stock step through the ORM and inventory.services: every engine."""

from ..models import Reservation, Stock, StockMovement
from ..services import apply_movements
from . import Planned, PlanOutdated


class OrmStockStep:
    def reserve_as_planned(
        self, planned: list[Planned], *, reference: str, actor=None
    ) -> list[Reservation]:
        planned = sorted(planned)
        # Locked in primary-key order, as every stock change locks (no two buyers deadlock).
        locked = Stock.objects.select_for_update().filter(pk__in=[row[0] for row in planned])
        stocks = {stock.pk: stock for stock in locked.order_by("pk")}
        changes, reservations = [], []
        for stock_id, sku_id, warehouse_id, quantity in planned:
            stock = stocks.get(stock_id)
            if stock is None or stock.available < quantity:
                raise PlanOutdated
            changes.append(
                {
                    "stock": stock,
                    "reason": StockMovement.Reason.RESERVATION,
                    "actor": actor,
                    "reserved_delta": quantity,
                    "reference": reference,
                }
            )
            reservations.append(
                Reservation(
                    reference=reference, sku_id=sku_id, warehouse_id=warehouse_id, quantity=quantity
                )
            )
        # Stock rows, ledger rows and reservations: one round trip on PostgreSQL.
        apply_movements(changes, also_insert=reservations)
        return reservations


STEP = OrmStockStep()

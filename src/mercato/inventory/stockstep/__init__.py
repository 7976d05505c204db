"""Placement's stock step: reserve the units a plan chose, behind one interface.

A plan (inventory.allocation) is made on an unlocked snapshot; the step then locks the
planned stock rows in primary-key order, reserves the units where they are still free and
writes a ledger row (StockMovement) and a Reservation per row. When a row no longer holds
its units it raises PlanOutdated, with the locks held: the caller rolls back and plans
again on locked rows (inventory.reservations).

Two implementations that write the same rows (tests/test_stockstep_parity.py):
- `orm`: Django's ORM and inventory.services.apply_movements; serves every engine.
- `postgres`: the same as one statement built from the models' metadata, one round trip
  instead of three; docs/performance.md has what it saves a placement.
`stock_step()` picks the fast path on PostgreSQL unless MERCATO_STOCK_STEP = "orm".
"""

from typing import Protocol

from django.conf import settings
from django.db import connection

from ..models import Reservation


class PlanOutdated(Exception):  # noqa: N818 - a signal to the caller, not an error shown
    """A planned row no longer holds its units (another buyer took them); its lock is held:
    roll the transaction back, which gives the locks back, and plan again on locked rows."""


# (stock id, sku id, warehouse id, quantity): one planned row, each stock row once.
Planned = tuple[int, int, int, int]


class StockStep(Protocol):
    def reserve_as_planned(
        self, planned: list[Planned], *, reference: str, actor=None
    ) -> list[Reservation]:
        """Reserve the planned units for `reference` inside the caller's transaction;
        returns the reservations (unsaved objects: their keys are not read back)."""


def stock_step() -> StockStep:
    from . import orm, postgres

    if connection.vendor == "postgresql" and getattr(settings, "MERCATO_STOCK_STEP", "") != "orm":
        return postgres.STEP
    return orm.STEP

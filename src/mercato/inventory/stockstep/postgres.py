"""The stock step as one PostgreSQL statement: the fast path (docs/performance.md).

`locked` takes the planned rows' locks in primary-key order before `u` touches any of them
(u joins only locked rows); `u` reserves the units of the rows that still hold them (a
concurrent change is re-read under the lock); the ledger rows and reservations are written
for exactly the rows `u` changed. Tables and columns come from the models' `_meta`: every
column of the two inserted models is written, with the value given below or else what an
unsaved instance holds (the field's default), as Django's own INSERT would.
"""

from functools import cache

from django.db import connection
from django.utils import timezone
from psycopg import sql

from mercato.catalog.signals import sku_availability_changed

from ..models import Reservation, Stock, StockMovement
from . import Planned, PlanOutdated


def _column(model, name: str) -> sql.Identifier:
    return sql.Identifier(model._meta.get_field(name).column)


def _insert_from_u(model, values: dict[str, sql.Composable]) -> sql.Composed:
    """INSERT INTO model (every column) SELECT (its value) FROM u."""
    columns, exprs = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(sql.Identifier(field.column))
        exprs.append(
            values[field.name] if field.name in values else sql.Literal(field.get_default())
        )
    return sql.SQL("INSERT INTO {} ({}) SELECT {} FROM u").format(
        sql.Identifier(model._meta.db_table), sql.SQL(", ").join(columns), sql.SQL(", ").join(exprs)
    )


@cache
def _statement(rows: int) -> str:
    """The statement for `rows` planned rows: the rows go in as a VALUES list of that size
    (parameters id0, sku0, warehouse0, quantity0, id1, ...), so the plan PostgreSQL makes
    once for the prepared statement counts the rows it will get. With arrays (unnest and
    = ANY) the prepared statement's generic plan assumed 100 rows, cost more than a plan for
    the 3 of an order, and PostgreSQL planned the statement again on every placement
    (pg_prepared_statements: 35 custom plans in 35 runs, none generic)."""
    s = {name: _column(Stock, name) for name in ("id", "on_hand", "reserved", "updated_at")}
    now = sql.Placeholder("now")
    u = sql.SQL  # columns of `u`, named below
    ledger = _insert_from_u(
        StockMovement,
        {
            "stock": u("u.id"),
            "reason": sql.Placeholder("reason"),
            "on_hand_delta": sql.Literal(0),
            "reserved_delta": u("u.quantity"),
            "on_hand_before": u("u.on_hand"),
            "on_hand_after": u("u.on_hand"),
            "reserved_before": u("u.reserved - u.quantity"),
            "reserved_after": u("u.reserved"),
            "reference": sql.Placeholder("reference"),
            "actor": sql.SQL("{}::bigint").format(sql.Placeholder("actor")),
            "created_at": now,
        },
    )
    held = _insert_from_u(
        Reservation,
        {
            "created_at": now,
            "updated_at": now,
            "reference": sql.Placeholder("reference"),
            "sku": u("u.sku_id"),
            "warehouse": u("u.warehouse_id"),
            "quantity": u("u.quantity"),
            "status": sql.Placeholder("status"),
        },
    )
    want = sql.SQL(", ").join(
        sql.SQL("({}::bigint, {}::bigint, {}::bigint, {}::integer)").format(
            *(sql.Placeholder(f"{name}{i}") for name in ("id", "sku", "warehouse", "quantity"))
        )
        for i in range(rows)
    )
    statement = sql.SQL(
        """
WITH want (id, sku_id, warehouse_id, quantity) AS (
    VALUES {want}
), locked AS (
    SELECT {id} FROM {stock} WHERE {id} IN (SELECT id FROM want) ORDER BY {id} FOR UPDATE
), u AS (
    UPDATE {stock} s SET {reserved} = s.{reserved} + w.quantity, {updated_at} = {now}
    FROM want w
    WHERE s.{id} = w.id AND s.{id} IN (SELECT {id} FROM locked)
      AND s.{on_hand} - s.{reserved} >= w.quantity
    RETURNING s.{id} AS id, s.{on_hand} AS on_hand, s.{reserved} AS reserved, w.quantity,
              w.sku_id, w.warehouse_id
), ledger AS ({ledger}), held AS ({held})
SELECT u.id, u.on_hand, u.reserved, u.quantity FROM u
"""
    ).format(
        stock=sql.Identifier(Stock._meta.db_table),
        now=now,
        want=want,
        ledger=ledger,
        held=held,
        **s,
    )
    return statement.as_string(connection.connection)


class PostgresStockStep:
    def reserve_as_planned(
        self, planned: list[Planned], *, reference: str, actor=None
    ) -> list[Reservation]:
        planned = sorted(planned)
        now = timezone.now()
        rows = {}
        for i, (stock_id, sku_id, warehouse_id, quantity) in enumerate(planned):
            rows |= {
                f"id{i}": stock_id,
                f"sku{i}": sku_id,
                f"warehouse{i}": warehouse_id,
                f"quantity{i}": quantity,
            }
        with connection.cursor() as cursor:
            cursor.execute(
                _statement(len(planned)),
                {
                    **rows,
                    "now": now,
                    "reason": StockMovement.Reason.RESERVATION,
                    "reference": reference,
                    "actor": actor.pk if getattr(actor, "pk", None) else None,
                    "status": Reservation.Status.ACTIVE,
                },
            )
            changed = cursor.fetchall()
        if len(changed) != len(planned):
            raise PlanOutdated
        # The shop's pages show a SKU sold out when its last units go (as apply_movements).
        sku_of = {stock_id: sku_id for stock_id, sku_id, _w, _q in planned}
        sold_out = [sku_of[pk] for pk, on_hand, reserved, _q in changed if on_hand == reserved]
        if sold_out:
            sku_availability_changed.send(sender=Stock, sku_ids=sold_out)
        return [
            Reservation(
                reference=reference,
                sku_id=sku,
                warehouse_id=warehouse,
                quantity=qty,
                created_at=now,
                updated_at=now,
            )
            for _id, sku, warehouse, qty in planned
        ]


STEP = PostgresStockStep()

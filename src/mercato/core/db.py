"""Database helpers that depend on the engine."""

from decimal import Decimal

from django.db import connection


def refresh_planner_statistics() -> None:
    """ANALYZE after a bulk load, so PostgreSQL's planner sees the new row counts.

    Autovacuum would get there on its own, but only after a while: until then a freshly
    seeded table looks empty to the planner, and it picks plans like scanning every product
    on sale to find one cart's three lines (15 ms instead of 0.3 ms, measured on the
    bench database). SQLite's planner needs no statistics for our queries: a no-op there.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def insert_statement(objs) -> tuple[str, list]:
    """(sql, params) of one INSERT … VALUES of unsaved instances of one model.

    What bulk_create does, written out for order placement's hot path, where bulk_create's
    query compiler cost more Python time than the statement took in the database. Every
    concrete field but the generated primary key is written (auto_now and auto_now_add
    fields get their time as save() would give it); no signals are sent, as with
    bulk_create. (catalog.bulk.insert_objects is the one for imports of many rows.)
    """
    meta = objs[0]._meta
    fields = [f for f in meta.concrete_fields if f is not meta.pk]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs for f in fields]
    values = ", ".join([row] * len(objs))
    return f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {values}", params  # noqa: S608


def insert_rows(objs) -> None:
    """INSERT unsaved instances of one model in one statement and set their primary keys."""
    if not objs:
        return
    sql, params = insert_statement(objs)
    pk = objs[0]._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {connection.ops.quote_name(pk.column)}", params)
        # PostgreSQL and SQLite return the rows of a multi-row VALUES in their order.
        for obj, (value,) in zip(objs, cursor.fetchall(), strict=True):
            setattr(obj, pk.attname, value)
            obj._state.adding = False
            obj._state.db = "default"


def execute_together(statements: list[tuple[str, list]]) -> int:
    """Run statements that change data independently of each other; returns the last
    one's row count.

    On PostgreSQL they go as one statement (WITH s0 AS (…), s1 AS (…) last), one round
    trip instead of one each: placement writes its rows this way. They all see the
    database as it was before any of them, so none may need another's rows (an INSERT of
    lines needs its order's id, which a RETURNING gave earlier). Elsewhere, one by one.
    """
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            for sql, params in statements:
                cursor.execute(sql, params)
            return cursor.rowcount
        *first, (last_sql, last_params) = statements
        parts = [f"s{i} AS ({sql})" for i, (sql, _params) in enumerate(first)]
        sql = f"WITH {', '.join(parts)} {last_sql}" if parts else last_sql
        cursor.execute(sql, [value for _sql, params in statements for value in params])
        return cursor.rowcount


def db_decimal(value, *, places: int = 2) -> Decimal:
    """A DecimalField's value (of `places` decimal places) from a raw query.

    PostgreSQL returns a Decimal of the column's scale. SQLite keeps decimals as numbers,
    REAL or INTEGER (2999.00 comes back as 2999); the shortest text form of that number is
    the value stored, brought back to the field's scale here.
    """
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places))

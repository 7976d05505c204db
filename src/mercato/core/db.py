"""Database helpers that depend on the engine."""

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction


class Statement(NamedTuple):
    """A statement another app's service built for its own tables, to run in the caller's
    round trip (execute_together): `module` is the builder's `__name__`, the app whose
    SQL it is (mercato.testing.tablewrites judges each part by it)."""

    sql: str
    params: list
    module: str


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


@contextmanager
def planned_for_each_value() -> Iterator[None]:
    """Statements run inside are planned for their parameters each time, not prepared.

    psycopg prepares a statement on its fifth run (settings: PG_PREPARE_THRESHOLD), and
    PostgreSQL then plans it once for any parameters. Where the best plan depends on the
    value (how many subjects a LIKE pattern matches: few → the trigram index, many → the
    list's order), that one plan is wrong for half the values. SQLite prepares nothing.
    """
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    saved = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        yield
    finally:
        raw.prepare_threshold = saved


def sql_names(model, *fields: str) -> tuple[str, ...]:
    """The quoted table of `model` and the quoted columns of `fields`, from its _meta."""
    quote = connection.ops.quote_name
    return quote(model._meta.db_table), *(quote(model._meta.get_field(f).column) for f in fields)


@lru_cache(maxsize=256)
def _insert_columns(
    model, vendor: str, with_key: bool = False
) -> tuple[str, tuple[str, ...], tuple]:
    """(quoted table, quoted columns, fields) that insert_statement writes for `model`:
    every concrete field but a generated primary key, unless `with_key` (the caller took
    the key from its sequence). Built once per model, engine and key choice."""
    meta = model._meta
    fields = tuple(
        f for f in meta.concrete_fields if with_key or not (f is meta.pk and f.db_returning)
    )
    quote = connection.ops.quote_name
    return quote(meta.db_table), tuple(quote(f.column) for f in fields), fields


@lru_cache(maxsize=64)
def _single_row_insert(model, vendor: str) -> tuple[str, tuple[str, ...]]:
    table, columns, fields = _insert_columns(model, vendor)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608, E501
    return sql, tuple(f.attname for f in fields)


def single_row_insert(model) -> tuple[str, tuple[str, ...]]:
    """(INSERT … VALUES (%s, …) of one row of `model`, the attnames of its values in
    order): insert_statement's columns, for a caller that has the values ready for the
    database (no instance, no field preparation). Built once per model and engine."""
    return _single_row_insert(model, connection.vendor)


def _insert_values(obj, with_key: bool = False) -> tuple[str, tuple[str, ...], list]:
    """(quoted table, quoted columns, values) of an unsaved instance, as insert_statement
    writes them (`with_key`: as _insert_columns)."""
    db = _default_connection()
    table, columns, fields = _insert_columns(type(obj), db.vendor, with_key)
    values = [f.get_db_prep_save(f.pre_save(obj, True), db) for f in fields]
    return table, columns, values


def _default_connection():
    """The default database's connection itself, not django.db.connection: that proxy
    looks the connection up (asgiref's Local) on every attribute read, and a field
    preparing its value reads `connection.ops` and more, nine fields a cart and line."""
    return connections[DEFAULT_DB_ALIAS]


def insert_statement(objs) -> tuple[str, list]:
    """(sql, params) of one INSERT … VALUES of unsaved instances of one model.

    What bulk_create does, written out for order placement's hot path, where bulk_create's
    query compiler cost more Python time than the statement took in the database. Every
    concrete field but a generated primary key is written (a UUID key made in Python is,
    and so is a generated one the caller took from its sequence and set on every
    instance; auto_now and auto_now_add fields get their time as save() would give it);
    no signals are sent, as with bulk_create. (catalog.bulk.insert_objects is the one for
    imports of many rows.)
    """
    meta = objs[0]._meta
    with_key = not (meta.pk.db_returning and any(obj.pk is None for obj in objs))
    rows = [_insert_values(obj, with_key) for obj in objs]
    table, columns, _values = rows[0]
    params = [param for _table, _columns, row_params in rows for param in row_params]
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    values = ", ".join([row] * len(objs))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}", params  # noqa: S608


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
            _saved(obj, value)


def _saved(obj, pk) -> None:
    setattr(obj, obj._meta.pk.attname, pk)
    obj._state.adding = False
    obj._state.db = "default"


def insert_after(first: tuple[str, list], parent, child, *, link: str) -> bool:
    """Run `first`, an INSERT that may write nothing (… ON CONFLICT DO NOTHING), and only
    if it wrote its row, INSERT the unsaved `parent` and then the unsaved `child`, whose
    foreign key `link` is to `parent`: all three or nothing. Returns whether they were
    written (the primary keys of both set, and the child's `link`).

    On PostgreSQL this is one statement (WITH s0 AS (first RETURNING 1), s1 AS (INSERT
    parent SELECT … FROM s0 RETURNING id) INSERT child SELECT s1.id, … FROM s1): a
    statement is atomic by itself, so outside a transaction it needs no BEGIN and COMMIT
    either, one round trip where there were five (a new guest's session, cart and line).
    Elsewhere three statements in a transaction."""
    if connection.vendor != "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(*first)
                if cursor.rowcount != 1:
                    return False
            insert_rows([parent])
            setattr(child, link, parent)
            insert_rows([child])
        return True
    first_sql, first_params = first
    sql, at = _chained_insert(first_sql, type(parent), type(child), link)
    _table, _columns, parent_values = _insert_values(parent)
    _table, _columns, child_values = _insert_values(child)
    del child_values[at]  # the parent's new id, from s1
    with connection.cursor() as cursor:
        cursor.execute(sql, [*first_params, *parent_values, *child_values])
        row = cursor.fetchone()
    if row is None:
        return False
    _saved(parent, row[1])
    setattr(child, link, parent)
    _saved(child, row[0])
    return True


@lru_cache(maxsize=16)
def _chained_insert(first_sql: str, parent, child, link: str) -> tuple[str, int]:
    """insert_after's statement on PostgreSQL, and the position of the child's link among
    its columns (its value comes from s1, not from a parameter). Built once per shape."""
    quote = connection.ops.quote_name
    parent_pk, child_pk = quote(parent._meta.pk.column), quote(child._meta.pk.column)
    parent_table, parent_columns, _fields = _insert_columns(parent, "postgresql")
    child_table, child_columns, _fields = _insert_columns(child, "postgresql")
    link_column = quote(child._meta.get_field(link).column)
    at = child_columns.index(link_column)
    picks = ["%s"] * len(child_columns)
    picks[at] = f"s1.{parent_pk}"
    sql = (
        f"WITH s0 AS ({first_sql} RETURNING 1), "  # noqa: S608 - names from _meta
        f"s1 AS (INSERT INTO {parent_table} ({', '.join(parent_columns)}) "
        f"SELECT {', '.join(['%s'] * len(parent_columns))} FROM s0 RETURNING {parent_pk}) "
        f"INSERT INTO {child_table} ({', '.join(child_columns)}) "
        f"SELECT {', '.join(picks)} FROM s1 RETURNING {child_pk}, {link_column}"
    )
    return sql, at


def execute_together(statements: list[tuple[str, list] | Statement]) -> int:
    """Run statements that change data independently of each other; returns the last
    one's row count.

    On PostgreSQL they go as one statement (WITH s0 AS (…), s1 AS (…) last), one round
    trip instead of one each: placement writes its rows this way. They all see the
    database as it was before any of them, so none may need another's rows (an INSERT of
    lines needs its order's id, which a RETURNING gave earlier). Elsewhere, one by one.
    A (sql, params) pair is the caller's SQL; a Statement is the SQL of the app that
    built it (another app's service, writing its own table in the caller's round trip).
    """
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            for statement in statements:
                cursor.execute(statement[0], statement[1])
            return cursor.rowcount
        *first, last = statements
        parts = [f"s{i} AS ({statement[0]})" for i, statement in enumerate(first)]
        sql = f"WITH {', '.join(parts)} {last[0]}" if parts else last[0]
        cursor.execute(sql, [value for statement in statements for value in statement[1]])
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


def use_timeouts(kind: str | None) -> None:
    """Give this process's database connections the timeouts of MERCATO_DB_TIMEOUTS[kind]:
    "web" (wsgi.py, asgi.py) or "task" (the Celery worker, at start); None gives back the
    database's own (none), which other processes (management commands, migrations, the
    tests) keep.

    On PostgreSQL `lock_timeout` bounds how long one statement waits for a row lock and
    `statement_timeout` how long it may run; both are sent when the connection opens
    (libpq `options`), so they cost no round trip. A statement that exceeds them fails
    with LockNotAvailable or QueryCanceled, which the web answers as 503 "busy, try again"
    with Retry-After (mercato.core.errors_http). On SQLite, `lock_timeout` becomes the
    busy timeout: how long a writer waits for the one write lock.
    """
    from django.conf import settings
    from django.db import connections

    if kind is None:
        limits = {"lock_timeout": None, "statement_timeout": None}
    else:
        limits = settings.MERCATO_DB_TIMEOUTS[kind]
    for alias in connections:
        options = connections[alias].settings_dict.setdefault("OPTIONS", {})
        if connections[alias].vendor == "postgresql":
            options["options"] = _with_settings(options.get("options", ""), limits)
        elif connections[alias].vendor == "sqlite":
            options["timeout"] = (limits.get("lock_timeout") or 20000) / 1000
        connections[alias].close()  # the next query opens a connection with them


def _with_settings(options: str, limits: dict) -> str:
    """libpq `options` with `-c name=value` for each limit, replacing earlier values."""
    words, kept = options.split(), []
    while words:
        word = words.pop(0)
        if word == "-c" and words and words[0].split("=", 1)[0] in limits:
            words.pop(0)
            continue
        kept.append(word)
    flags = [f"-c {name}={int(value)}" for name, value in limits.items() if value is not None]
    return " ".join([*kept, *flags])


# SQLSTATEs of a statement that gave up waiting (use_timeouts): lock_not_available when
# lock_timeout passed, query_canceled when statement_timeout did.
_BUSY_SQLSTATES = {"55P03", "57014"}


def database_trouble(exc: BaseException | None) -> str:
    """Why the database did not answer, when `exc` says so: "busy" (it gave up waiting
    for a lock or on a slow statement), "unavailable" (the connection failed: a restart,
    a killed backend, the server away), else "" (not the database's fault: a bug, bad
    data). Either way the request did nothing that stays and can be tried again."""
    from django.db import InterfaceError, OperationalError

    if not isinstance(exc, OperationalError | InterfaceError):
        return ""
    if getattr(exc.__cause__, "sqlstate", None) in _BUSY_SQLSTATES:
        return "busy"
    if "database is locked" in str(exc):  # SQLite's busy timeout
        return "busy"
    return "unavailable"


def count_together(querysets: dict) -> dict:
    """{name: row count} of each queryset in one statement, SELECT (SELECT COUNT(*) FROM
    (…)), …: a page of counters (the home page's tiles) in one round trip, not one each."""
    if not querysets:
        return {}
    parts, params = [], []
    for n, queryset in enumerate(querysets.values()):
        sql, more = queryset.order_by().values("pk").query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted{n})")  # noqa: S608 - ORM SQL
        params.extend(more)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return dict(zip(querysets, row, strict=True))

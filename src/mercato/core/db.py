"""Database helpers that depend on the engine."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import (
    BooleanField,
    CharField,
    DateTimeField,
    DecimalField,
    Field,
    ForeignKey,
    IntegerField,
    TextField,
)
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone


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


def single_row_insert(model) -> tuple[str, tuple[str, ...]]:
    """(INSERT … VALUES (%s, …) of one row of `model`, the attnames of its values in
    order): insert_statement's columns, for a caller that has the values ready for the
    database (no instance, no field preparation). Built once per model and engine."""
    head, row, plan = _insert_plan(model, connection.vendor)
    return head + row, tuple(column.attname for column in plan)


class _Column(NamedTuple):
    """How insert_statement and insert_values_statement make one column's value.

    `types`: the Python types whose value Django's preparation for this field (its
    get_db_prep_save) turns into `convert(ops, value, *args)`, one backend operation, or
    leaves as is (`convert` None); None always stays None for them. `check`: a further
    condition on such a value (a Decimal finite, a datetime aware). Any other value goes
    through the field's get_db_prep_save. `now`: an auto_now/auto_now_add DateTimeField,
    whose value is the time of the insert (its pre_save); `pre_save`: another field whose
    class has a pre_save of its own (called on the instance; not written from values)."""

    field: Field
    attname: str
    types: tuple[type, ...]
    check: Callable | None
    convert: Callable | None
    args: tuple
    now: bool
    pre_save: bool


def _aware(value) -> bool:
    return value.utcoffset() is not None


def _same_methods(cls, base, *names: str) -> bool:
    return all(getattr(cls, name) is getattr(base, name) for name in names)


def _fast_preparation(
    field, ops
) -> tuple[tuple[type, ...], Callable | None, Callable | None, tuple]:
    """(types, check, convert, args) of _Column for `field` on the engine of `ops`:
    which values skip the field's get_db_prep_save, and what is done to them instead.

    Listed by class and only while the class keeps Django's own methods for it, so a
    subclass that prepares values its own way is always prepared by the field. What each
    entry does is what Django 5.2's field does for such a value (fields/__init__.py):
    CharField/TextField return a str as is; IntegerField returns ops.adapt_integerfield_
    value(value, internal type) (psycopg's Int4 … on PostgreSQL); an auto field's key
    returns ops.validate_autopk_value(value); BooleanField a bool as is; DecimalField a
    finite Decimal through ops.adapt_decimalfield_value; DateTimeField an aware datetime
    through ops.adapt_datetimefield_value (a str on SQLite); a ForeignKey what its target
    field does."""
    cls = type(field)
    if isinstance(field, ForeignKey):
        if cls.get_db_prep_save is not ForeignKey.get_db_prep_save:
            return (), None, None, ()
        # ForeignKey.get_db_prep_save: None (and "" for a non-string target) is NULL, any
        # other value the target's preparation; the int keys here are never "".
        return _fast_preparation(field.target_field, ops)
    if cls.get_db_prep_save is not Field.get_db_prep_save:
        return (), None, None, ()
    prep = ("get_db_prep_value", "get_prep_value", "to_python")
    ops_cls = type(ops)
    if _same_methods(cls, CharField, *prep) or _same_methods(cls, TextField, *prep):
        return (str,), None, None, ()
    if isinstance(field, AutoFieldMixin):
        if _same_methods(cls, AutoFieldMixin, "get_db_prep_value") and _same_methods(
            cls, IntegerField, "get_prep_value"
        ):
            return (int,), None, ops_cls.validate_autopk_value, ()
        return (), None, None, ()
    if _same_methods(cls, IntegerField, "get_db_prep_value", "get_prep_value"):
        return (int,), None, ops_cls.adapt_integerfield_value, (field.get_internal_type(),)
    if _same_methods(cls, BooleanField, *prep):
        return (bool,), None, None, ()
    if _same_methods(cls, DecimalField, *prep):
        convert = ops_cls.adapt_decimalfield_value
        return (Decimal,), Decimal.is_finite, convert, (field.max_digits, field.decimal_places)
    if _same_methods(cls, DateTimeField, *prep):
        return (datetime,), _aware, ops_cls.adapt_datetimefield_value, ()
    return (), None, None, ()


@lru_cache(maxsize=256)
def _insert_plan(model, vendor: str, with_key: bool = False) -> tuple[str, str, tuple]:
    """(INSERT INTO table (columns) VALUES, one row's "(%s, …)", its _Columns) of
    insert_statement for `model`. Built once per model, engine and key choice."""
    table, columns, fields = _insert_columns(model, vendor, with_key)
    ops = _default_connection().ops
    plan = []
    for f in fields:
        types, check, convert, args = _fast_preparation(f, ops)
        # DateTimeField's pre_save is the time for auto_now(_add), else the value itself.
        own_time = type(f).pre_save is DateTimeField.pre_save
        now = own_time and (f.auto_now or f.auto_now_add)
        pre_save = not own_time and type(f).pre_save is not Field.pre_save
        plan.append(_Column(f, f.attname, types, check, convert, args, now, pre_save))
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "  # noqa: S608 - names from _meta
    return head, "(" + ", ".join(["%s"] * len(columns)) + ")", tuple(plan)


def _prepare_all(plan: tuple, values: list, db) -> list:
    """`values` of the columns of `plan` (one row, or rows one after the other) as their
    fields' get_db_prep_save would give them (see _Column). One loop, no call per value
    but the conversion: it runs for ~90 values a placement."""
    ops = db.ops
    prepared = []
    for column, value in zip(plan * (len(values) // len(plan)), values, strict=True):
        if value is None and column.types:
            prepared.append(None)
        elif type(value) in column.types and (column.check is None or column.check(value)):
            convert = column.convert
            prepared.append(value if convert is None else convert(ops, value, *column.args))
        else:
            prepared.append(column.field.get_db_prep_save(value, db))
    return prepared


def _insert_values(obj, with_key: bool = False) -> tuple[str, tuple[str, ...], list]:
    """(quoted table, quoted columns, values) of an unsaved instance, as insert_statement
    writes them (`with_key`: as _insert_columns)."""
    db = _default_connection()
    table, columns, _fields = _insert_columns(type(obj), db.vendor, with_key)
    _head, _row, plan = _insert_plan(type(obj), db.vendor, with_key)
    return table, columns, _instance_values(obj, plan, db)


def _instance_values(obj, plan: tuple, db) -> list:
    values = []
    for column in plan:
        if column.now or column.pre_save:
            values.append(column.field.pre_save(obj, True))  # sets the time, as save() does
        else:
            values.append(getattr(obj, column.attname))
    return _prepare_all(plan, values, db)


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
    no signals are sent, as with bulk_create. Values are prepared as the fields prepare
    them, most without the field's calls (_Column). (catalog.bulk.insert_objects is the
    one for imports of many rows.)
    """
    meta = objs[0]._meta
    with_key = not (meta.pk.db_returning and any(obj.pk is None for obj in objs))
    db = _default_connection()
    head, row, plan = _insert_plan(type(objs[0]), db.vendor, with_key)
    params = []
    for obj in objs:
        params += _instance_values(obj, plan, db)
    return head + ", ".join([row] * len(objs)), params


def insert_values_statement(model, rows: list[dict]) -> tuple[str, list]:
    """insert_statement of rows given as {attname: value} instead of instances: the rows
    Model(**row) would make and insert_statement write, without making them (a model
    instance costs more Python than its row's values). A column missing from a row gets
    the field's default, as the instance would; auto_now/auto_now_add ones the time of
    the insert, whatever the row says. The primary key is written when every row gives
    it or it is not generated by the database."""
    meta = model._meta
    with_key = not (meta.pk.db_returning and any(row.get(meta.pk.attname) is None for row in rows))
    db = _default_connection()
    head, row_sql, plan = _insert_plan(model, db.vendor, with_key)
    values = []
    for row in rows:
        for column in plan:
            if column.now:
                values.append(timezone.now())
            elif column.pre_save:
                raise ValueError(f"{column.field} prepares its value from an instance")
            elif column.attname in row:
                values.append(row[column.attname])
            else:
                values.append(column.field.get_default())
    return head + ", ".join([row_sql] * len(rows)), _prepare_all(plan, values, db)


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

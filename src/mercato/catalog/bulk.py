"""Bulk inserts (imports, spec values, demo data): COPY on PostgreSQL, executemany elsewhere.

bulk_create spends most of its time preparing every value through its field and quoting
parameters into SQL text in Python. COPY (PostgreSQL) and one prepared INSERT run with
executemany (SQLite) take the rows as they are (values prepared by the model fields
themselves only where the driver needs it) and are several times faster for tens of
thousands of rows.
"""

from functools import partial
from operator import attrgetter

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import F, lookups
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone
from psycopg import sql

SLICE = 500


class _AnyOf(lookups.In):
    """`field IN (…)`, sent to PostgreSQL as `field = ANY(%s)` with one array parameter.

    An import's lookups name 2,000 codes at a time: with IN, Django prepares each value
    and psycopg splits a query of 2,000 placeholders in Python, which cost more than the
    queries took in the database. Other engines get the plain IN.
    """

    not_blank = False

    def as_sql(self, compiler, connection):
        sql, params = super().as_sql(compiler, connection)
        return self._and_not_blank(sql, compiler, connection), params

    def as_postgresql(self, compiler, connection):
        values = [v for v in self.rhs if v is not None]
        if not values:
            raise EmptyResultSet  # as IN does: no query for nothing
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return self._and_not_blank(f"{lhs} = ANY(%s)", compiler, connection), (
            *lhs_params,
            values,
        )

    def _and_not_blank(self, sql, compiler, connection):
        if not self.not_blank:
            return sql
        lhs, _ = self.process_lhs(compiler, connection)
        return f"({sql} AND {lhs} <> '')"


def any_of(field: str, values, *, not_blank: bool = False) -> _AnyOf:
    """A filter() condition: `field` (a path such as "product__code") is one of `values`.

    `not_blank`: for a text field whose index leaves out '' (a partial unique index such
    as the SKU barcode's). `field <> ''` is then written into the SQL as it is, not as a
    parameter: PostgreSQL uses such an index only when the query proves the index's
    condition, which a parameter cannot once the statement is prepared (after five runs,
    a generic plan) — an import's barcode lookup then scanned the whole SKU table per chunk.
    """
    lookup = _AnyOf(F(field), list(values))
    lookup.not_blank = not_blank
    return lookup


# Fields whose Python value psycopg writes as is: no get_db_prep_save needed (it is the
# identity for these on PostgreSQL, and calling it per cell was most of the insert time).
PLAIN_FIELDS = (
    models.CharField, models.TextField, models.IntegerField, models.BooleanField,
    models.DecimalField, models.ForeignKey,
)  # fmt: skip


def _value_getters(fields, *, mappings: bool):
    now = timezone.now()
    # The connection itself, not the django.db.connection proxy: the proxy looks the
    # connection up (a thread-local read) on every use, once per cell here.
    db = connections[DEFAULT_DB_ALIAS]
    postgres = db.vendor == "postgresql"
    getters = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            # psycopg writes an aware datetime as is; sqlite3 wants Django's text form.
            stored = now if postgres else f.get_db_prep_save(now, db)
            getters.append(partial(_given, stored) if mappings else partial(_stamp, f, now, stored))
        elif mappings:
            getters.append(_mapping_getter(f, db))
        elif isinstance(f, PLAIN_FIELDS):  # CharField covers SlugField
            getters.append(attrgetter(f.attname))
        else:
            getters.append(partial(_prepared, f, db))
    return getters


def _mapping_getter(f, db):
    """Read f's value from a dict by attname; a missing key gets the field's default."""
    plain = isinstance(f, PLAIN_FIELDS)
    if f.has_default() and callable(f.default):
        # A callable default (dict, uuid4) is made per row, as a model instance would.
        def value(row):
            v = row[f.attname] if f.attname in row else f.get_default()
            return v if plain else f.get_db_prep_save(v, db)

        return value
    default = f.get_default()
    if plain:
        return lambda row: row.get(f.attname, default)
    return lambda row: f.get_db_prep_save(row.get(f.attname, default), db)


def _given(stored, row):
    return stored


def _stamp(field, now, stored, obj):
    setattr(obj, field.attname, now)
    return stored


def _prepared(field, db, obj):
    return field.get_db_prep_save(field.pre_save(obj, add=True), db)


def insert_objects(model, objs: list, *, key: str | None = None) -> None:
    """Insert `objs` of `model`; with `key` (a unique field), set their pks afterwards.

    `objs` are unsaved instances, or dicts of field attnames to values (a missing field gets
    its default): building 20,000 model instances was a third of an import's Python time.
    `key` needs instances. Sends no signals, as bulk_create.
    """
    if not objs:
        return
    # Every column but a generated id (a one-to-one primary key is written like any field).
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoFieldMixin)]
    values = _value_getters(fields, mappings=isinstance(objs[0], dict))
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table),
            sql.SQL(", ").join(sql.Identifier(f.column) for f in fields),
        )
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for obj in objs:
                copy.write_row([value(obj) for value in values])
    else:
        quote = connection.ops.quote_name
        # Table and column names come from the model, quoted; values are parameters.
        statement = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
            quote(table),
            ", ".join(quote(f.column) for f in fields),
            ", ".join(["%s"] * len(fields)),
        )
        with connection.cursor() as cursor:
            # In slices: executemany holds all its rows at once, memory stays flat.
            for start in range(0, len(objs), SLICE):
                cursor.executemany(
                    statement,
                    [[value(obj) for value in values] for obj in objs[start : start + SLICE]],
                )
    if key:
        pks = dict(
            model.objects.filter(any_of(key, [getattr(o, key) for o in objs])).values_list(
                key, "pk"
            )
        )
        for obj in objs:
            obj.pk = pks[getattr(obj, key)]
            obj._state.adding = False


# The first ANALYZE once this many rows are written, then each time they grew this many
# times since the last one.
FIRST_STATISTICS_AT = 2000
STATISTICS_GROWTH = 8


def refresh_statistics(models, *, rows_written: int, last: list[int]) -> None:
    """ANALYZE the tables an import fills: once they hold a first chunk, then each time
    the rows written grew STATISTICS_GROWTH times (`last` holds the count at the last run,
    0 before the first).

    A long import inside one transaction fills tables the planner has no statistics for:
    `barcode = ANY(…)` or `product_id = ANY(…)` then looks unselective and turns into a
    sequential scan per chunk (a 100,000-row import without any ANALYZE spent 207 s in
    the barcode lookup). The planner scales the sampled statistics to the table's current
    size by itself, and the codes, barcodes and product ids of an import stay distinct as
    the tables grow, so a sample taken early stays good: ANALYZE at every doubling (six
    times for 100,000 rows, 3 s of the database's CPU) bought nothing over every eighth
    growth (twice).
    """
    if connection.vendor != "postgresql":
        return
    if rows_written < max(FIRST_STATISTICS_AT, STATISTICS_GROWTH * last[0]):
        return
    last[0] = rows_written
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(model._meta.db_table)))

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
from django.db import connection, models
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

    def as_postgresql(self, compiler, connection):
        values = [v for v in self.rhs if v is not None]
        if not values:
            raise EmptyResultSet  # as IN does: no query for nothing
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, values)


def any_of(field: str, values) -> _AnyOf:
    """A filter() condition: `field` (a path such as "product__code") is one of `values`."""
    return _AnyOf(F(field), list(values))


# Fields whose Python value psycopg writes as is: no get_db_prep_save needed (it is the
# identity for these on PostgreSQL, and calling it per cell was most of the insert time).
PLAIN_FIELDS = (
    models.CharField, models.TextField, models.IntegerField, models.BooleanField,
    models.DecimalField, models.ForeignKey,
)  # fmt: skip


def _value_getters(fields, *, mappings: bool):
    now = timezone.now()
    postgres = connection.vendor == "postgresql"
    getters = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            # psycopg writes an aware datetime as is; sqlite3 wants Django's text form.
            stored = now if postgres else f.get_db_prep_save(now, connection)
            getters.append(partial(_given, stored) if mappings else partial(_stamp, f, now, stored))
        elif mappings:
            getters.append(_mapping_getter(f))
        elif isinstance(f, PLAIN_FIELDS):  # CharField covers SlugField
            getters.append(attrgetter(f.attname))
        else:
            getters.append(partial(_prepared, f))
    return getters


def _mapping_getter(f):
    """Read f's value from a dict by attname; a missing key gets the field's default."""
    plain = isinstance(f, PLAIN_FIELDS)
    if f.has_default() and callable(f.default):
        # A callable default (dict, uuid4) is made per row, as a model instance would.
        def value(row):
            v = row[f.attname] if f.attname in row else f.get_default()
            return v if plain else f.get_db_prep_save(v, connection)

        return value
    default = f.get_default()
    if plain:
        return lambda row: row.get(f.attname, default)
    return lambda row: f.get_db_prep_save(row.get(f.attname, default), connection)


def _given(stored, row):
    return stored


def _stamp(field, now, stored, obj):
    setattr(obj, field.attname, now)
    return stored


def _prepared(field, obj):
    return field.get_db_prep_save(field.pre_save(obj, add=True), connection)


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


def refresh_statistics(models, *, rows_written: int, last: list[int]) -> None:
    """ANALYZE the tables an import fills, each time they doubled in size.

    A long import inside one transaction fills tables the planner still believes empty:
    lookups by code then turn into sequential scans and every chunk gets slower. Doubling
    keeps it to a handful of ANALYZE runs (each samples, so it stays cheap).
    """
    if connection.vendor != "postgresql" or rows_written < 2 * last[0]:
        return
    last[0] = max(rows_written, 1000)
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(model._meta.db_table)))

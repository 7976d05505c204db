"""Bulk inserts (imports, spec values, demo data): COPY on PostgreSQL, executemany elsewhere.

bulk_create spends most of its time preparing every value through its field and quoting
parameters into SQL text in Python. COPY (PostgreSQL) and one prepared INSERT run with
executemany (SQLite) take the rows as they are (values prepared by the model fields
themselves only where the driver needs it) and are several times faster for tens of
thousands of rows.
"""

from functools import partial
from operator import attrgetter

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone
from psycopg import sql

SLICE = 500
# Fields whose Python value psycopg writes as is: no get_db_prep_save needed (it is the
# identity for these on PostgreSQL, and calling it per cell was most of the insert time).
PLAIN_FIELDS = (
    models.CharField, models.TextField, models.IntegerField, models.BooleanField,
    models.DecimalField, models.ForeignKey,
)  # fmt: skip


def _value_getters(fields):
    now = timezone.now()
    postgres = connection.vendor == "postgresql"
    getters = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            # psycopg writes an aware datetime as is; sqlite3 wants Django's text form.
            stored = now if postgres else f.get_db_prep_save(now, connection)
            getters.append(partial(_stamp, f.attname, now, stored))
        elif isinstance(f, PLAIN_FIELDS):  # CharField covers SlugField
            getters.append(attrgetter(f.attname))
        else:
            getters.append(partial(_prepared, f))
    return getters


def _stamp(attname, now, stored, obj):
    setattr(obj, attname, now)
    return stored


def _prepared(field, obj):
    return field.get_db_prep_save(field.pre_save(obj, add=True), connection)


def insert_objects(model, objs: list, *, key: str | None = None) -> None:
    """Insert `objs` of `model`; with `key` (a unique field), set their pks afterwards.

    Sends no signals, as bulk_create.
    """
    if not objs:
        return
    # Every column but a generated id (a one-to-one primary key is written like any field).
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoFieldMixin)]
    values = _value_getters(fields)
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
            model.objects.filter(**{f"{key}__in": [getattr(o, key) for o in objs]}).values_list(
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

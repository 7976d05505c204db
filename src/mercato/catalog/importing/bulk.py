"""Bulk inserts for imports: COPY on PostgreSQL, bulk_create elsewhere.

bulk_create spends most of its time quoting parameters into SQL text in Python; COPY
streams the rows (values prepared by the model fields themselves, as bulk_create would)
and is several times faster for tens of thousands of rows.
"""

from django.db import connection
from psycopg import sql


def insert_objects(model, objs: list, *, key: str | None = None) -> None:
    """Insert `objs` of `model`; with `key` (a unique field), set their pks afterwards."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table),
        sql.SQL(", ").join(sql.Identifier(f.column) for f in fields),
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for obj in objs:
            copy.write_row(
                [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
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

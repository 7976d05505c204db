"""ORM queries compiled once per process, run again with other values.

On placement's hot path Django spent more CPU building a statement than the database
spent running it (a cart's lines with their SKUs and the shipping rate: 1.9 ms of Python
to build, 0.17 ms for the whole call written out; docs/performance.md). Writing such
statements by hand lists columns and other apps' tables in the wrong module, so instead
the ORM builds the statement once, from the models, with stand-in values; each later call
puts its own values where the stand-ins were and runs the same text, turning the rows
into what the queryset would have returned (the fields' converters included).

    lines = CompiledQuery(
        "cart.selected_lines",
        lambda cart_id: CartLine.objects.filter(cart_id=cart_id).values("id", "sku_id"),
    )
    lines.rows(cart_id=7)  # [{"id": ..., "sku_id": ...}], one query

The builder must return a values() or values_list() queryset whose shape depends only on
which arguments are None (an `IS NULL` instead of `= %s`): one statement is kept per
engine and pattern of None. A value the builder turns into something else before it
reaches the statement (a model instance instead of its id, a list) cannot stand in:
pass plain ints and strings.
"""

import itertools
import threading
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models.query import ValuesIterable, ValuesListIterable

# Stand-ins for ints: the top of a 32-bit integer column, downwards. Inside every integer
# field's range (Django leaves a lookup outside it out of the statement: EmptyResultSet),
# and no row id or quantity this shop uses as a constant in a query.
_STAND_IN_INTS = itertools.count(2**31 - 1, -1)


def _stand_in(name: str, value):
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"CompiledQuery: {name} must be an int or a str, not {value!r}")
    if isinstance(value, int):
        return next(_STAND_IN_INTS)
    return f"\ue000{name}\ue000"  # private-use characters: no shop text holds them


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple  # the constants; stand-ins replaced at each call
    slots: dict[int, tuple[str, type]]  # param position -> (argument name, its type there)
    names: tuple[str, ...]  # the columns, as values() names them
    converters: tuple  # (position, (functions, expression)) as the compiler gives them
    flat: bool  # values_list(): tuples instead of dicts


class CompiledQuery:
    def __init__(self, name: str, build):
        self.name = name
        self._build = build
        self._statements: dict[tuple, _Statement] = {}
        self._lock = threading.Lock()

    def _compile(self, values: dict) -> _Statement:
        stand_ins = {k: _stand_in(k, v) for k, v in values.items() if v is not None}
        queryset = self._build(**{**values, **stand_ins})
        if queryset._iterable_class not in (ValuesIterable, ValuesListIterable):
            raise TypeError(f"{self.name}: build a values() or values_list() queryset")
        compiler = queryset.query.get_compiler(connection=connection)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # a stand-in outside its field's range (a small integer)
            raise ValueError(f"{self.name}: a stand-in value left the statement") from None
        slots = {}
        for name, stand_in in stand_ins.items():
            kind = type(stand_in)
            # The backend may wrap the value in a subclass that names its SQL type
            # (psycopg's Int4 for a 32-bit column): each call's value is wrapped the same.
            found = [
                i
                for i, p in enumerate(params)
                if isinstance(p, kind) and not isinstance(p, bool) and p == stand_in
            ]
            if not found:  # the builder changed the value on its way into the statement
                raise ValueError(f"{self.name}: {name} does not reach the statement {sql}")
            slots.update({i: (name, type(params[i])) for i in found})
        query = queryset.query
        names = (*query.extra_select, *query.values_select, *query.annotation_select)
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        return _Statement(
            sql=sql,
            params=tuple(params),
            slots=slots,
            names=names,
            converters=tuple(compiler.get_converters(fields).items()),
            flat=queryset._iterable_class is not ValuesIterable,
        )

    def _statement(self, values: dict) -> _Statement:
        key = (connection.vendor, tuple(sorted(k for k, v in values.items() if v is None)))
        statement = self._statements.get(key)
        if statement is None:
            with self._lock:
                statement = self._statements.get(key) or self._compile(values)
                self._statements[key] = statement
        return statement

    def rows(self, **values) -> list:
        """The queryset's rows for these values: dicts (values()) or tuples (values_list())."""
        statement = self._statement(values)
        params = list(statement.params)
        for i, (name, kind) in statement.slots.items():
            value = values[name]
            params[i] = value if type(value) is kind else kind(value)
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, params)
            rows = cursor.fetchall()
        if statement.converters:
            rows = [list(row) for row in rows]
            for row in rows:
                for position, (functions, expression) in statement.converters:
                    value = row[position]
                    for convert in functions:
                        value = convert(value, expression, connection)
                    row[position] = value
        if statement.flat:
            return [tuple(row) for row in rows]
        return [dict(zip(statement.names, row, strict=True)) for row in rows]

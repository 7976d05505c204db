"""SQLite: an FTS5 table search_fts (rowid = product id; columns a name and brand, b own
category, c details, d fallback)."""

import json

from django.db import DatabaseError, connection

from ..documents import Document
from ..models import SearchTerm
from ..query import Fts5Dialect, ParsedQuery
from ..vocabulary import TermRow
from .database import TERM_COLUMNS, DatabaseBackend, quote

MAX_CANDIDATES = 400


class SqliteBackend(DatabaseBackend):
    dialect = Fts5Dialect()

    def write_text_index(self, documents: list[Document], removed: set[int]) -> None:
        ids = [d.product_id for d in documents] + list(removed)
        with connection.cursor() as cursor:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("%s" for _ in chunk)
                cursor.execute(f"DELETE FROM search_fts WHERE rowid IN ({marks})", chunk)  # noqa: S608
            cursor.executemany(
                "INSERT INTO search_fts (rowid, a, b, c, d) VALUES (%s, %s, %s, %s, %s)",
                [(d.product_id, d.name, d.category, d.detail, d.fallback) for d in documents],
            )

    def clear_text_index(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM search_fts")

    def arm(self, expression: str) -> str:
        # Not correlated: SQLite runs each subquery once per statement and keeps its rows.
        return "search_fts.rowid IN (SELECT rowid FROM search_fts WHERE search_fts MATCH %s)"

    def ranked_sql(self, order: str, exclude: bool) -> str:
        # Only products on sale: the index may lag a status change by one task.
        # `order` is built from the dialect's CASE arms: placeholders and numbers only.
        excluded = "AND search_fts.rowid NOT IN (SELECT value FROM json_each(%s)) "
        return (
            "SELECT search_fts.rowid FROM search_fts "  # noqa: S608
            "JOIN catalog_product p ON p.id = search_fts.rowid "
            f"LEFT JOIN {self.popularity_table()} pp ON pp.product_id = search_fts.rowid "
            "WHERE search_fts MATCH %s AND p.status = %s "
            + (excluded if exclude else "")
            + f"ORDER BY {order} DESC, COALESCE(pp.units_sold, 0) DESC, "
            "search_fts.rowid DESC LIMIT %s"
        )

    def exclude_param(self, ids):
        return json.dumps(list(ids))

    def match(self, query: ParsedQuery, *, limit: int, exclude=()) -> list[int]:
        try:
            return super().match(query, limit=limit, exclude=exclude)
        except DatabaseError:
            # A query FTS5 cannot parse finds nothing rather than failing the page.
            return []

    def prefix_condition(self, column: str) -> str:
        # Binary collation: a range is a prefix, and the column's index serves it.
        return f"({column} >= %s AND {column} < %s)"

    def prefix_param(self, prefix: str):
        return [prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)]

    def similar_spellings(self, tokens: list[str]) -> list[TermRow]:
        # Spellings of a similar length that begin with the token's first or second letter
        # (a typo rarely changes both): a few hundred rows for the edit distance.
        conditions, params = [], []
        for token in tokens:
            for head in dict.fromkeys(token[:2]):
                conditions.append("(spell >= %s AND spell < %s AND length BETWEEN %s AND %s)")
                params += [head, chr(ord(head) + 1), len(token) - 2, len(token) + 2]
        if not conditions:
            return []
        sql = (
            f"SELECT {TERM_COLUMNS} FROM {quote(SearchTerm)} WHERE "  # noqa: S608
            + " OR ".join(conditions)
            + f" LIMIT {MAX_CANDIDATES * len(tokens)}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [TermRow(*row) for row in cursor.fetchall()]

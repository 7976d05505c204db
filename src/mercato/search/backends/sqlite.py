"""SQLite: an FTS5 table search_fts (rowid = product id; columns a name and brand, b own
category, c details, d fallback)."""

import json

from django.db import DatabaseError, connection

from mercato.catalog.models import ProductStatus

from ..documents import Document
from ..facets import Hit
from ..models import SearchDocument
from ..query import Fts5Dialect, ParsedQuery
from .database import DatabaseBackend, quote

# Not correlated: SQLite runs the subquery once per statement and keeps its rows.
ARM = "search_fts.rowid IN (SELECT rowid FROM search_fts WHERE search_fts MATCH %s)"


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

    def match(self, query: ParsedQuery, *, limit: int, exclude=()) -> list[Hit]:
        """The score is a sum of CASE expressions, one per group, whose arms test the
        document against a field-restricted MATCH (a subquery SQLite runs once per
        statement, not per row)."""
        expression = self.dialect.match(query)
        if not expression or limit <= 0:
            return []
        arm_params: list = []
        score = []
        for arms in self.dialect.score_clauses(query):
            whens = []
            for arm_expression, value in arms:
                whens.append(f"WHEN {ARM} THEN {value:.4f}")
                arm_params.append(arm_expression)
            score.append("(CASE " + " ".join(whens) + " ELSE 0 END)")
        columns, joins = self.listed("search_fts.rowid", "sd")
        # The score holds placeholders and numbers only.
        sql = (
            f"SELECT {columns}, {' + '.join(score) or '0'} AS score FROM search_fts "  # noqa: S608
            f"JOIN {quote(SearchDocument)} sd ON sd.product_id = search_fts.rowid {joins} "
            "WHERE search_fts MATCH %s AND p.status = %s "
            "AND search_fts.rowid NOT IN (SELECT value FROM json_each(%s)) "
            "ORDER BY score DESC, COALESCE(pp.units_sold, 0) DESC, "
            "search_fts.rowid DESC LIMIT %s"
        )
        params = [*arm_params, expression, ProductStatus.ON_SALE, json.dumps(list(exclude))]
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, [*params, limit])
                return [Hit(*row) for row in cursor.fetchall()]
        except DatabaseError:
            # A query FTS5 cannot parse finds nothing rather than failing the page.
            return []

    def prefix_condition(self, column: str) -> str:
        # Binary collation: a range is a prefix, and the column's index serves it.
        return f"({column} >= %s AND {column} < %s)"

    def prefix_param(self, prefix: str):
        return [prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)]

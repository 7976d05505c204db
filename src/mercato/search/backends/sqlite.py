"""SQLite: an FTS5 table (search_fts, rowid = product id) ranked by BM25."""

from django.db import DatabaseError, connection

from mercato.catalog.models import ProductStatus

from ..documents import Document
from ..query import ParsedQuery, to_fts5
from .database import DatabaseBackend

# BM25 weights of the columns name, meta (brand, category), body.
WEIGHTS = (10.0, 4.0, 1.0)


class SqliteBackend(DatabaseBackend):
    def write_text_index(self, documents: list[Document], removed: set[int]) -> None:
        ids = [d.product_id for d in documents] + list(removed)
        with connection.cursor() as cursor:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("%s" for _ in chunk)
                cursor.execute(f"DELETE FROM search_fts WHERE rowid IN ({marks})", chunk)  # noqa: S608
            cursor.executemany(
                "INSERT INTO search_fts (rowid, name, meta, body) VALUES (%s, %s, %s, %s)",
                [(d.product_id, d.name, d.meta, d.body) for d in documents],
            )

    def clear_text_index(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM search_fts")

    def match(self, query: ParsedQuery, limit: int) -> list[int]:
        expression = to_fts5(query)
        if not expression:
            return []
        # Only products on sale: the index may lag a status change by one task.
        sql = (
            "SELECT search_fts.rowid FROM search_fts JOIN catalog_product p "
            "ON p.id = search_fts.rowid WHERE search_fts MATCH %s AND p.status = %s "
            "ORDER BY bm25(search_fts, %s, %s, %s), search_fts.rowid DESC LIMIT %s"
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, [expression, ProductStatus.ON_SALE, *WEIGHTS, limit])
                return [row[0] for row in cursor.fetchall()]
        except DatabaseError:
            # A query FTS5 cannot parse finds nothing rather than failing the page.
            return []

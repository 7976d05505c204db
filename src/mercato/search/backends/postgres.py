"""PostgreSQL: a weighted tsvector over pre-segmented tokens, GIN-indexed; pg_trgm for
the spelling vocabulary."""

from django.db import connection

from mercato.catalog.models import ProductStatus

from ..documents import Document
from ..query import ParsedQuery, to_tsquery
from .database import DatabaseBackend

# Trigram similarity below which a vocabulary word is not considered (iphnoe ~ iphone: 0.27).
TRIGRAM_LIMIT = 0.2


class PostgresBackend(DatabaseBackend):
    def write_text_index(self, documents: list[Document], removed: set[int]) -> None:
        pass  # the tsvector is a generated column of SearchDocument

    def clear_text_index(self) -> None:
        pass

    def rebuilt(self) -> None:
        # Rows added in bulk wait in the GIN index's pending list, which every search then
        # scans until a vacuum merges it; merge it now and give the planner statistics.
        with connection.cursor() as cursor:
            cursor.execute("SELECT gin_clean_pending_list('search_document_vector_idx')")
            cursor.execute("SELECT gin_clean_pending_list('search_term_trgm_idx')")
            cursor.execute("ANALYZE search_searchdocument")
            cursor.execute("ANALYZE search_searchterm")

    def match(self, query: ParsedQuery, limit: int) -> list[int]:
        expression = to_tsquery(query)
        if not expression:
            return []
        # Rank normalisation 1: divide by 1 + log(length), so a short exact name wins.
        # Only products on sale (the index may lag a status change by one task), checked
        # per matching row by primary key: a join lets the planner start from the product
        # table, which without fresh statistics means a scan of the catalogue per query.
        sql = (
            "SELECT d.product_id FROM search_searchdocument d, to_tsquery('simple', %s) q "
            "WHERE d.vector @@ q "
            "AND (SELECT p.status FROM catalog_product p WHERE p.id = d.product_id) = %s "
            "ORDER BY ts_rank(d.vector, q, 1) DESC, d.product_id DESC LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [expression, ProductStatus.ON_SALE, limit])
            return [row[0] for row in cursor.fetchall()]

    def similar_candidates(self, tokens: list[str]) -> list[str]:
        # `%` uses the trigram GIN index; its threshold is set for this query only.
        sql = (
            "SELECT DISTINCT term FROM search_searchterm, unnest(%s::text[]) AS t(token) "
            "WHERE term %% t.token"
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_limit(%s::real)", [TRIGRAM_LIMIT])
            cursor.execute(sql, [tokens])
            return [row[0] for row in cursor.fetchall()]

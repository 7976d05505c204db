"""PostgreSQL: a weighted tsvector over the token lists (A name and brand, B own category,
C details, D fallback), GIN-indexed; pg_trgm on the vocabulary's spellings for typos."""

from django.db import connection

from ..documents import Document
from ..models import SearchDocument, SearchTerm
from ..query import TsQueryDialect
from ..vocabulary import TermRow
from .database import TERM_COLUMNS, DatabaseBackend, quote

# Trigram similarity below which a spelling is not considered (iphnoe ~ iphone: 0.27).
TRIGRAM_LIMIT = 0.2


class PostgresBackend(DatabaseBackend):
    dialect = TsQueryDialect()

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
            cursor.execute(f"ANALYZE {quote(SearchDocument)}")
            cursor.execute(f"ANALYZE {quote(SearchTerm)}")

    def arm(self, expression: str) -> str:
        return "d.vector @@ %s::tsquery"

    def ranked_sql(self, order: str, exclude: bool) -> str:
        # Only products on sale (the index may lag a status change by one task), checked
        # per matching row by primary key: a join lets the planner start from the product
        # table, which without fresh statistics means a scan of the catalogue per query.
        return (
            f"SELECT d.product_id FROM {quote(SearchDocument)} d "  # noqa: S608
            f"LEFT JOIN {self.popularity_table()} pp ON pp.product_id = d.product_id "
            "WHERE d.vector @@ %s::tsquery "
            "AND (SELECT p.status FROM catalog_product p WHERE p.id = d.product_id) = %s "
            + ("AND NOT (d.product_id = ANY(%s)) " if exclude else "")
            + f"ORDER BY {order} DESC, COALESCE(pp.units_sold, 0) DESC, d.product_id DESC "
            "LIMIT %s"
        )

    def exclude_param(self, ids):
        return list(ids)

    def prefix_condition(self, column: str) -> str:
        return f"{column} LIKE %s"

    def prefix_param(self, prefix: str):
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return [escaped + "%"]

    def similar_spellings(self, tokens: list[str]) -> list[TermRow]:
        # `%` uses the trigram GIN index; its threshold is set for this query only.
        sql = (
            f"SELECT DISTINCT {TERM_COLUMNS} FROM {quote(SearchTerm)}, "  # noqa: S608
            "unnest(%s::text[]) AS t(token) WHERE spell %% t.token"
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_limit(%s::real)", [TRIGRAM_LIMIT])
            cursor.execute(sql, [tokens])
            return [TermRow(*row) for row in cursor.fetchall()]

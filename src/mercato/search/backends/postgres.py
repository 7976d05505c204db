"""PostgreSQL: a weighted tsvector over the token lists (A name and brand, B own category,
C details, D fallback), GIN-indexed; pg_trgm on the vocabulary's spellings for typos."""

from django.db import connection

from mercato.catalog.models import ProductStatus

from ..documents import Document
from ..facets import Hit
from ..models import SearchDocument, SearchTerm
from ..query import ParsedQuery, TsQueryDialect
from ..vocabulary import TermRow
from . import TermLookup
from .database import TERM_COLUMNS, DatabaseBackend, quote

TERM_ALIASED = ", ".join(f"t.{c.strip()}" for c in TERM_COLUMNS.split(","))

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
        # A rebuild deletes every row and writes it again: vacuum the dead ones away (not
        # possible inside a transaction, where ANALYZE alone runs).
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            cursor.execute("SELECT gin_clean_pending_list('search_document_vector_idx')")
            cursor.execute("SELECT gin_clean_pending_list('search_term_trgm_idx')")
            cursor.execute(f"{command} {quote(SearchDocument)}")
            cursor.execute(f"{command} {quote(SearchTerm)}")

    def match(self, query: ParsedQuery, *, limit: int, exclude=()) -> list[Hit]:
        """One statement whatever the query: the score's arms go in as arrays (group,
        tsquery, value), so PostgreSQL prepares the statement once and plans it no more (it
        spent longer planning than running the CASE expressions of other queries).

        The matches are found once (`m`, through the GIN index) and scored in one pass over
        matches x arms, each group counting its best arm: a subquery per matching row, as
        before, set up two aggregates for every row (2 of the 3.5 ms of a 130-match query).
        """
        expression = self.dialect.match(query)
        if not expression or limit <= 0:
            return []
        groups, expressions, values = [], [], []
        for index, arms in enumerate(self.dialect.score_clauses(query)):
            for arm_expression, value in arms:
                groups.append(index)
                expressions.append(arm_expression)
                values.append(value)
        columns, joins = self.listed("m.product_id", "m")
        sql = (
            "WITH m AS MATERIALIZED (SELECT d.product_id, d.spec_values, d.vector "  # noqa: S608
            f"FROM {quote(SearchDocument)} d "
            "WHERE d.vector @@ %s::tsquery AND NOT (d.product_id = ANY(%s))), "
            "s AS (SELECT x.product_id, sum(x.best) AS score FROM (SELECT m.product_id, "
            "max(a.v) AS best FROM m, unnest(%s::int[], %s::tsquery[], %s::float8[]) "
            "AS a(g, q, v) WHERE m.vector @@ a.q GROUP BY m.product_id, a.g) AS x "
            "GROUP BY x.product_id) "
            f"SELECT {columns}, COALESCE(s.score, 0) AS score "
            f"FROM m LEFT JOIN s ON s.product_id = m.product_id {joins} "
            "WHERE p.status = %s "
            "ORDER BY score DESC, COALESCE(pp.units_sold, 0) DESC, m.product_id DESC LIMIT %s"
        )
        params = [expression, list(exclude), groups, expressions, values, ProductStatus.ON_SALE]
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, limit])
            return [Hit(*row) for row in cursor.fetchall()]

    def lookup_terms(self, lookup: TermLookup) -> list[TermRow]:
        """One statement whatever the query (arrays for the words, the spellings and the
        ranges of unfinished ones), so it is prepared once: the generic form's OR lists
        changed with every query and were planned every time."""

        def ranges(prefixes):
            prefixes = sorted(p for p in prefixes if p)
            return prefixes, [p[:-1] + chr(ord(p[-1]) + 1) for p in prefixes]

        spell_low, spell_high = ranges(lookup.spell_prefixes)
        term_low, term_high = ranges(lookup.term_prefixes)
        table = quote(SearchTerm)
        sql = (
            f"SELECT {TERM_COLUMNS} FROM {table} WHERE term = ANY(%s) OR spell = ANY(%s) "  # noqa: S608
            "OR initials = ANY(%s) OR fuzzy = ANY(%s) "
            f"UNION SELECT {TERM_ALIASED} FROM unnest(%s::text[], %s::text[]) AS r(low, high) "
            f"JOIN {table} t ON t.spell ~>=~ r.low AND t.spell ~<~ r.high "
            f"UNION SELECT {TERM_ALIASED} FROM unnest(%s::text[], %s::text[]) AS r(low, high) "
            f"JOIN {table} t ON t.term ~>=~ r.low AND t.term ~<~ r.high"
        )
        params = [
            sorted(lookup.terms), sorted(lookup.spells), sorted(lookup.initials),
            sorted(lookup.fuzzy), spell_low, spell_high, term_low, term_high,
        ]  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [TermRow(*row) for row in cursor.fetchall()]

    def prefix_condition(self, column: str) -> str:
        return f"{column} LIKE %s"

    def prefix_param(self, prefix: str):
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return [escaped + "%"]

    def similar_spellings(self, tokens: list[str]) -> list[TermRow]:
        # Trigrams find typos anywhere in a long word (`%` uses the GIN index; its
        # threshold is set for this session); the shared prefix ranges find those of
        # short words that share few trigrams (nkie, nike).
        sql = (
            f"SELECT DISTINCT {TERM_COLUMNS} FROM {quote(SearchTerm)}, "  # noqa: S608
            "unnest(%s::text[]) AS t(token) WHERE spell %% t.token"
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_limit(%s::real)", [TRIGRAM_LIMIT])
            cursor.execute(sql, [tokens])
            rows = {TermRow(*row) for row in cursor.fetchall()}
        return list(rows | set(super().similar_spellings(tokens)))

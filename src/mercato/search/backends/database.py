"""What the PostgreSQL and SQLite backends share: documents, vocabulary, the ranking SQL.

The database finds and ranks the matching products (`match`, per vendor through a
`Dialect` and a few statements); filters, facets, sorting and paging then run on the
product table like a category page (search.listing).
"""

from django.db import connection, transaction

from mercato.catalog.models import ProductPopularity, ProductStatus

from ..documents import Document, build_documents, term_counts
from ..models import SearchDocument, SearchTerm
from ..query import Dialect, ParsedQuery
from ..vocabulary import TermRow, write_terms
from . import TermLookup

BATCH = 500
# Ranked matches considered for filters and sorting: beyond this, nobody pages.
MAX_MATCHES = 1000
TERM_COLUMNS = "term, spell, initials, fuzzy, kind, docs"


def quote(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


class DatabaseBackend:
    dialect: Dialect

    # -- per vendor -------------------------------------------------------------------------

    def write_text_index(self, documents: list[Document], removed: set[int]) -> None:
        raise NotImplementedError

    def clear_text_index(self) -> None:
        raise NotImplementedError

    def ranked_sql(self, order: str, exclude: bool) -> str:
        """SELECT the ids of products on sale matching a text-search expression (param),
        status (param), not in a list of ids (param, when `exclude`), ordered by the score
        `order` (its own params), then popularity, at most LIMIT (param)."""
        raise NotImplementedError

    def arm(self, expression: str) -> str:
        """An SQL condition: the document matches this text-search expression (one param)."""
        raise NotImplementedError

    def prefix_condition(self, column: str) -> str:
        """An SQL condition: `column` starts with the (one) parameter."""
        raise NotImplementedError

    def prefix_param(self, prefix: str):
        raise NotImplementedError

    def similar_spellings(self, tokens: list[str]) -> list[TermRow]:
        raise NotImplementedError

    # -- writing ----------------------------------------------------------------------------

    def index_products(self, ids, *, full: bool = False) -> int:
        ids = list(ids)
        written = 0
        for start in range(0, len(ids), BATCH):
            documents, removed = build_documents(ids[start : start + BATCH])
            with transaction.atomic():
                SearchDocument.objects.filter(
                    product_id__in=[d.product_id for d in documents] + list(removed)
                ).delete()
                SearchDocument.objects.bulk_create(
                    SearchDocument(
                        product_id=d.product_id,
                        name_tokens=d.name,
                        category_tokens=d.category,
                        detail_tokens=d.detail,
                        fallback_tokens=d.fallback,
                    )
                    for d in documents
                )
                self.write_text_index(documents, removed)
                write_terms(term_counts(documents), full=full)
            written += len(documents)
        return written

    def remove(self, ids) -> None:
        ids = set(ids)
        with transaction.atomic():
            SearchDocument.objects.filter(product_id__in=ids).delete()
            self.write_text_index([], ids)

    def rebuilt(self) -> None:
        """After a full rebuild: let the database tidy the index up (nothing by default)."""

    def clear(self) -> None:
        with transaction.atomic():
            SearchDocument.objects.all().delete()
            SearchTerm.objects.all().delete()
            self.clear_text_index()

    # -- reading ----------------------------------------------------------------------------

    def lookup_terms(self, lookup: TermLookup) -> list[TermRow]:
        conditions, params = [], []
        for column, values in [
            ("term", lookup.terms),
            ("spell", lookup.spells),
            ("initials", lookup.initials),
            ("fuzzy", lookup.fuzzy),
        ]:
            values = sorted(v for v in values if v)
            if values:
                conditions.append(f"{column} IN ({', '.join(['%s'] * len(values))})")
                params += values
        for column, prefixes in [("spell", lookup.spell_prefixes), ("term", lookup.term_prefixes)]:
            for prefix in sorted(p for p in prefixes if p):
                conditions.append(self.prefix_condition(column))
                params += self.prefix_param(prefix)
        if not conditions:
            return []
        sql = (
            f"SELECT {TERM_COLUMNS} FROM {quote(SearchTerm)} WHERE "  # noqa: S608
            + " OR ".join(conditions)
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [TermRow(*row) for row in cursor.fetchall()]

    def match(self, query: ParsedQuery, *, limit: int, exclude=()) -> list[int]:
        expression = self.dialect.match(query)
        if not expression or limit <= 0:
            return []
        params: list = []
        score = []
        for arms in self.dialect.score_clauses(query):
            whens = []
            for arm_expression, value in arms:
                whens.append(f"WHEN {self.arm(arm_expression)} THEN {value:.4f}")
                params.append(arm_expression)
            score.append("(CASE " + " ".join(whens) + " ELSE 0 END)")
        sql = self.ranked_sql(order=" + ".join(score) or "0", exclude=bool(exclude))
        where = [expression, ProductStatus.ON_SALE]
        if exclude:
            where.append(self.exclude_param(exclude))
        params = [*where, *params, limit]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [row[0] for row in cursor.fetchall()]

    def exclude_param(self, ids):
        raise NotImplementedError

    @staticmethod
    def popularity_table() -> str:
        return quote(ProductPopularity)

"""What the PostgreSQL and SQLite backends share: documents, vocabulary, the ranking SQL.

The database finds and ranks the matching products (`match`, per vendor through a
`Dialect` and a few statements); filters, facets, sorting and paging then run on the
product table like a category page (search.listing).
"""

from django.db import connection, transaction

from mercato.catalog.models import Brand, Category, Product, ProductPopularity

from .. import dictionary
from ..documents import Document, build_documents, term_counts
from ..facets import Hit
from ..models import SearchDocument, SearchTerm
from ..query import Dialect, ParsedQuery
from ..vocabulary import TermRow, write_terms
from . import TermLookup

BATCH = 500
MAX_CANDIDATES = 400  # spellings compared with one misspelt word
# Ranked matches considered for filters and sorting: beyond this, nobody pages.
MAX_MATCHES = 1000
TERM_COLUMNS = 'term, spell, initials, fuzzy, kind, docs, "primary", sold'


def quote(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


class DatabaseBackend:
    dialect: Dialect

    # -- per vendor -------------------------------------------------------------------------

    def write_text_index(self, documents: list[Document], removed: set[int]) -> None:
        raise NotImplementedError

    def clear_text_index(self) -> None:
        raise NotImplementedError

    def prefix_condition(self, column: str) -> str:
        """An SQL condition: `column` starts with the (one) parameter."""
        raise NotImplementedError

    def prefix_param(self, prefix: str):
        raise NotImplementedError

    def similar_spellings(self, tokens: list[str]) -> list[TermRow]:
        """Spellings of a similar length that begin with the token's first or second letter
        (a typo rarely changes both): a few hundred rows for the edit distance."""
        conditions, params = [], []
        for token in tokens:
            for head in dict.fromkeys(token[:2]):
                conditions.append(
                    f"({self.prefix_condition('spell')} AND length BETWEEN %s AND %s)"
                )
                params += [*self.prefix_param(head), len(token) - 2, len(token) + 2]
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
                        spec_values=d.spec_values,
                    )
                    for d in documents
                )
                self.write_text_index(documents, removed)
                write_terms(term_counts(documents), full=full)
                dictionary.index_changed()
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
            dictionary.index_changed()

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

    def match(self, query: ParsedQuery, *, limit: int, exclude=()) -> list[Hit]:
        raise NotImplementedError

    @staticmethod
    def listed(document_id: str, document: str = "d") -> tuple[str, str]:
        """(columns, joins) that give each match what the listing needs (search.facets.Hit),
        for the document id column `document_id` (SearchDocument's alias `document`).
        Only products on sale are listed: the index may lag a status change by one task."""
        columns = (
            f"{document_id}, b.slug, b.name, p.category_id, c.slug, c.name, p.min_price, "
            f"p.published_at, COALESCE(pp.units_sold, 0), {document}.spec_values"
        )
        joins = (
            f"JOIN {quote(Product)} p ON p.id = {document_id} "
            f"JOIN {quote(Category)} c ON c.id = p.category_id "
            f"LEFT JOIN {quote(Brand)} b ON b.id = p.brand_id "
            f"LEFT JOIN {quote(ProductPopularity)} pp ON pp.product_id = {document_id}"
        )
        return columns, joins

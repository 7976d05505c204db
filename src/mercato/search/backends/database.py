"""What the PostgreSQL and SQLite backends share: documents, vocabulary, filters, sorting.

The database finds and ranks the matching products (`match`, per vendor); filters,
facets, sorting and paging then run on the product table like a category page.
"""

from django.db import transaction

from mercato.catalog.models import Product, ProductStatus

from .. import text
from ..documents import Document, build_documents
from ..models import SearchDocument, SearchTerm
from ..query import ParsedQuery
from . import SearchResult

# Ranked matches considered for filters and sorting: beyond this, nobody pages.
MAX_MATCHES = 1000
BATCH = 500


class DatabaseBackend:
    def match(self, query: ParsedQuery, limit: int) -> list[int]:
        """Ids of the products on sale that match, best first, at most `limit`."""
        raise NotImplementedError

    def write_text_index(self, documents: list[Document], removed: set[int]) -> None:
        raise NotImplementedError

    def clear_text_index(self) -> None:
        raise NotImplementedError

    def similar_candidates(self, tokens: list[str]) -> list[str]:
        """Vocabulary words that might be near these tokens (a cheap pre-filter)."""
        lengths = {n for t in tokens for n in range(len(t) - 2, len(t) + 3)}
        return list(SearchTerm.objects.filter(length__in=lengths).values_list("term", flat=True))

    # -- writing ------------------------------------------------------------------------

    def index_products(self, ids) -> int:
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
                        meta_tokens=d.meta,
                        body_tokens=d.body,
                    )
                    for d in documents
                )
                self.write_text_index(documents, removed)
                terms = set().union(*(d.latin_terms() for d in documents)) if documents else set()
                SearchTerm.objects.bulk_create(
                    [SearchTerm(term=t, length=len(t)) for t in sorted(terms)],
                    ignore_conflicts=True,
                    batch_size=BATCH,
                )
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

    # -- reading ------------------------------------------------------------------------

    def known_terms(self, tokens: list[str]) -> set[str]:
        if not tokens:
            return set()
        return set(SearchTerm.objects.filter(term__in=tokens).values_list("term", flat=True))

    def similar_terms(self, tokens: list[str]) -> dict[str, list[str]]:
        tokens = [t for t in tokens if text.typo_budget(t)]
        if not tokens:
            return {}
        candidates = self.similar_candidates(tokens)
        found: dict[str, list[str]] = {}
        for token in tokens:
            budget = text.typo_budget(token)
            scored = sorted(
                (text.damerau_distance(token, c, budget), c) for c in candidates if c != token
            )
            best = [c for d, c in scored if d <= budget]
            if best:
                nearest = min(d for d, c in scored if d <= budget)
                found[token] = [c for d, c in scored if d == nearest][:3]
        return found

    def suggest(self, *, query: ParsedQuery, limit: int) -> list[int]:
        if query.is_empty:
            return []
        return self.match(query, limit)

    def search(
        self, *, query: ParsedQuery, filters, sort: str, page: int, per_page: int
    ) -> SearchResult:
        from ..listing import filter_sort_page  # the shared category-page machinery

        ranked = [] if query.is_empty else self.match(query, MAX_MATCHES)
        products = Product.objects.filter(pk__in=ranked, status=ProductStatus.ON_SALE)
        return filter_sort_page(
            products=products,
            ranked=ranked,
            filters=filters,
            sort=sort,
            page=page,
            per_page=per_page,
        )

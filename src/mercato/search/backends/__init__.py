"""Where the search index lives. `get_backend()` picks one by the database vendor.

docs/search.md describes the interface and how to plug in a search server.
"""

from dataclasses import dataclass, field
from typing import Protocol

from django.db import connection

from ..query import ParsedQuery


@dataclass
class SearchResult:
    ids: list[int]  # the page's product ids, in display order
    total: int  # products matching query and filters
    facets: list = field(default_factory=list)  # as catalog.facets.facets_for returns them


class SearchBackend(Protocol):
    def index_products(self, ids) -> int:
        """(Re)index these products; those not on sale leave the index. Returns how many
        documents were written."""

    def remove(self, ids) -> None:
        """Take these products out of the index."""

    def clear(self) -> None:
        """Empty the index (before a full rebuild)."""

    def rebuilt(self) -> None:
        """Called once a full rebuild has indexed everything (merge, optimise, analyse)."""

    def search(
        self, *, query: ParsedQuery, filters, sort: str, page: int, per_page: int
    ) -> SearchResult:
        """One page of on-sale products matching the query, narrowed by the facet filters
        (URL parameters as catalog.facets reads them), with the facets to show."""

    def suggest(self, *, query: ParsedQuery, limit: int) -> list[int]:
        """Best-matching product ids for a query whose last word is still being typed."""

    def similar_terms(self, tokens: list[str]) -> dict[str, list[str]]:
        """For each misspelt Latin word, the vocabulary words it may have meant."""

    def known_terms(self, tokens: list[str]) -> set[str]:
        """Which of these Latin words are in the vocabulary."""


_backends: dict[str, SearchBackend] = {}


def get_backend() -> SearchBackend:
    vendor = connection.vendor
    if vendor not in _backends:
        if vendor == "postgresql":
            from .postgres import PostgresBackend

            _backends[vendor] = PostgresBackend()
        elif vendor == "sqlite":
            from .sqlite import SqliteBackend

            _backends[vendor] = SqliteBackend()
        else:
            raise RuntimeError(f"No search backend for the {vendor} database")
    return _backends[vendor]

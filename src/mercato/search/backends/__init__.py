"""Where the search index lives. `get_backend()` picks one by the database vendor.

docs/search.md describes the interface and how to plug in a search server.
"""

from dataclasses import dataclass, field
from typing import Protocol

from django.db import connection

from ..query import ParsedQuery
from ..vocabulary import TermRow


@dataclass
class TermLookup:
    """What a query needs from the vocabulary, asked in one go."""

    terms: set[str] = field(default_factory=set)  # tokens as they are
    spells: set[str] = field(default_factory=set)  # pinyin or Latin spellings
    initials: set[str] = field(default_factory=set)
    fuzzy: set[str] = field(default_factory=set)  # fuzzy-sound keys
    spell_prefixes: set[str] = field(default_factory=set)  # unfinished Latin words
    term_prefixes: set[str] = field(default_factory=set)  # unfinished Chinese words

    def __bool__(self) -> bool:
        return any(
            (self.terms, self.spells, self.initials, self.fuzzy, self.spell_prefixes,
             self.term_prefixes)
        )  # fmt: skip


class SearchBackend(Protocol):
    def index_products(self, ids, *, full: bool = False) -> int:
        """(Re)index these products; those not on sale leave the index. Returns how many
        documents were written. `full`: part of a rebuild (vocabulary counts add up)."""

    def remove(self, ids) -> None:
        """Take these products out of the index."""

    def clear(self) -> None:
        """Empty the index (before a full rebuild)."""

    def rebuilt(self) -> None:
        """Called once a full rebuild has indexed everything (merge, optimise, analyse)."""

    def match(self, query: ParsedQuery, *, limit: int, exclude=()) -> list:
        """The products on sale matching the query's required groups, best first
        (docs/search.md, "Relevance"), at most `limit`, without the ids in `exclude`: one
        search.facets.Hit each (brand, category, price, ... for filters and facets)."""

    def lookup_terms(self, lookup: TermLookup) -> list[TermRow]:
        """Vocabulary rows for what a query needs to be read."""

    def similar_spellings(self, tokens: list[str]) -> list[TermRow]:
        """Vocabulary rows whose spelling may be a misspelt token's (a cheap pre-filter)."""


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

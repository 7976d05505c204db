"""The index's vocabulary: every token with the ways it is typed (pinyin readings,
initials, a fuzzy-sound key), where it was found (`TermKind`) and in how many products.

Queries are read against it (search.parsing): pinyin, initials and unfinished words become
the likeliest terms, and a Chinese word that is not in the index is matched by sound.
"""

import math
from dataclasses import dataclass

from django.db import connection

from . import text
from .models import SearchTerm, TermKind

MAX_TERM = 60
MAX_SPELL = 120
BATCH = 500


@dataclass(frozen=True)
class TermRow:
    term: str
    spell: str
    initials: str
    fuzzy: str
    kind: int
    docs: int

    @property
    def main(self) -> bool:
        """Found in a product's own text (name, brand, category, details), not only in
        the fallback field."""
        return self.kind >= TermKind.SPEC

    def prior(self) -> float:
        """How likely a shopper means this term: brands and categories first, then by
        the number of products that hold it."""
        return KIND_PRIOR[self.kind] + math.log1p(self.docs)


KIND_PRIOR = {
    TermKind.BRAND: 4.0,
    TermKind.CATEGORY: 4.0,
    TermKind.WORD: 2.0,
    TermKind.SPEC: 1.0,
    TermKind.FALLBACK: 0.0,
}


def spellings(term: str) -> list[tuple[str, str, str]]:
    """(spelling, initials, fuzzy key) of each way to type `term`: its pinyin readings for
    Chinese, itself for Latin letters and digits, nothing for mixed tokens (1.5匹)."""
    if not text.is_cjk(term):
        return [(term, "", "")]
    if any(not text.is_cjk(ch) for ch in term):
        return []
    out = []
    for syllables in text.readings(term):
        spell = "".join(syllables)
        initials = "".join(s[0] for s in syllables) if len(syllables) >= 2 else ""
        out.append((spell, initials, text.fuzzy_key(syllables)))
    return out


def write_terms(terms: dict[str, tuple[int, int]], *, full: bool) -> None:
    """Add {term: (kind, products)} to the vocabulary. In a full rebuild the product counts
    add up batch after batch; re-indexing a few products only adds new terms and raises a
    term's kind (its count stays as the last rebuild left it)."""
    rows = []
    for term, (kind, docs) in sorted(terms.items()):
        if not term or len(term) > MAX_TERM:
            continue
        for spell, initials, fuzzy in spellings(term):
            if spell and len(spell) <= MAX_SPELL:
                rows.append((term, spell, initials[:30], fuzzy[:MAX_SPELL], kind, docs, len(spell)))
    if not rows:
        return
    table = connection.ops.quote_name(SearchTerm._meta.db_table)
    docs = f"{table}.docs + excluded.docs" if full else f"{table}.docs"
    sql = (
        f"INSERT INTO {table} (term, spell, initials, fuzzy, kind, docs, length) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (term, spell) DO UPDATE SET "
        f"docs = {docs}, kind = CASE WHEN excluded.kind > {table}.kind "
        f"THEN excluded.kind ELSE {table}.kind END"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])

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
    primary: bool = True
    sold: int = 0

    @property
    def main(self) -> bool:
        """Found in a product's own text (name, brand, category, details), not only in
        the fallback field."""
        return self.kind >= TermKind.SPEC

    def prior(self) -> float:
        """How likely a shopper means this term: brands and categories first, then by
        the number of products that hold it; a character's rarer sound counts less."""
        prior = (
            KIND_PRIOR[self.kind]
            + DOCS_PRIOR * math.log1p(self.docs)
            + SOLD_PRIOR * math.log1p(self.sold)
        )
        return prior if self.primary else prior * OTHER_READING


KIND_PRIOR = {
    TermKind.BRAND: 5.0,
    TermKind.CATEGORY: 5.0,
    TermKind.WORD: 2.0,
    TermKind.SPEC: 1.0,
    TermKind.FALLBACK: 0.0,
}
DOCS_PRIOR = 0.5
SOLD_PRIOR = 0.3
OTHER_READING = 0.8


def spellings(term: str) -> list[tuple[str, str, str, bool]]:
    """(spelling, initials, fuzzy key, in context) of each way to type `term`: its pinyin
    readings for Chinese (the reading in context first), itself for Latin letters and
    digits, nothing for mixed tokens (1.5匹)."""
    if not text.is_cjk(term):
        return [(term, "", "", True)]
    if any(not text.is_cjk(ch) for ch in term):
        return []
    out = []
    for index, syllables in enumerate(text.readings(term)):
        spell = "".join(syllables)
        initials = "".join(s[0] for s in syllables) if len(syllables) >= 2 else ""
        out.append((spell, initials, text.fuzzy_key(syllables), index == 0))
    return out


def write_terms(terms: dict[str, tuple[int, int, int]], *, full: bool) -> None:
    """Add {term: (kind, products, units sold)} to the vocabulary. In a full rebuild the
    counts add up batch after batch; re-indexing a few products only adds new terms and
    raises a term's kind (its counts stay as the last rebuild left them)."""
    rows = []
    for term, (kind, docs, sold) in sorted(terms.items()):
        if not term or len(term) > MAX_TERM:
            continue
        for spell, initials, fuzzy, primary in spellings(term):
            if spell and len(spell) <= MAX_SPELL:
                rows.append(
                    (term, spell, initials[:30], fuzzy[:MAX_SPELL], kind, docs, sold, primary,
                     len(spell))
                )  # fmt: skip
    if not rows:
        return
    table = connection.ops.quote_name(SearchTerm._meta.db_table)
    quoted_primary = connection.ops.quote_name("primary")
    docs = f"{table}.docs + excluded.docs" if full else f"{table}.docs"
    sold = f"{table}.sold + excluded.sold" if full else f"{table}.sold"
    sql = (
        f"INSERT INTO {table} (term, spell, initials, fuzzy, kind, docs, sold, "  # noqa: S608
        f"{quoted_primary}, length) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
        f"ON CONFLICT (term, spell) DO UPDATE SET docs = {docs}, sold = {sold}, "
        f"kind = CASE WHEN excluded.kind > {table}.kind "
        f"THEN excluded.kind ELSE {table}.kind END"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])

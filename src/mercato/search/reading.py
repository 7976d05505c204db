"""What the vocabulary says about a query's words: one lookup, then indexes by term,
spelling, initials and sound (used by search.parsing and search.chinese)."""

import math
from collections import defaultdict
from dataclasses import dataclass, field

from . import text
from .backends import TermLookup, get_backend
from .models import TermKind
from .vocabulary import TermRow

MAX_SPAN = 6  # longest Chinese span looked up as one word
MIN_PREFIX_LATIN = 3  # an unfinished Latin word (typed and sent) from this many letters
# Weight of a group: 1 + this x ln(REFERENCE / (1 + products holding it)).
INFORMATIVE = 0.25
REFERENCE = 10_000


@dataclass
class Vocabulary:
    rows: list[TermRow] = field(default_factory=list)

    def __post_init__(self):
        self.by_term: dict[str, TermRow] = {}
        self.by_spell: dict[str, list[TermRow]] = defaultdict(list)
        self.by_initials: dict[str, list[TermRow]] = defaultdict(list)
        self.by_fuzzy: dict[str, list[TermRow]] = defaultdict(list)
        for row in self.rows:
            self.add(row)

    def add(self, row: TermRow) -> None:
        best = self.by_term.get(row.term)
        if best is None or (row.kind, row.docs) > (best.kind, best.docs):
            self.by_term[row.term] = row
        self.by_spell[row.spell].append(row)
        if row.initials:
            self.by_initials[row.initials].append(row)
        if row.fuzzy:
            self.by_fuzzy[row.fuzzy].append(row)

    def main(self, term: str) -> bool:
        row = self.by_term.get(term)
        return bool(row and row.main)

    def known(self, term: str) -> bool:
        return term in self.by_term

    def docs(self, term: str) -> int:
        row = self.by_term.get(term)
        return row.docs if row else 0

    def kind(self, term: str) -> int:
        row = self.by_term.get(term)
        return row.kind if row else 0

    def prior(self, term: str) -> float:
        row = self.by_term.get(term)
        return row.prior() if row else 0.0

    def with_prefix(self, prefix: str, *, spelled: bool) -> list[TermRow]:
        """Main terms whose spelling (or, for Chinese, the term) begins with `prefix`."""
        if spelled:
            rows = [r for r in self.rows if r.spell.startswith(prefix) and r.spell != prefix]
        else:
            rows = [r for r in self.rows if r.term.startswith(prefix) and r.term != prefix]
        return [r for r in rows if r.main]


def informativeness(docs: int) -> float:
    return 1.0 + INFORMATIVE * math.log(REFERENCE / (1 + docs))


def is_entity(kind: int) -> bool:
    return kind >= TermKind.CATEGORY


def spans(run: str, max_len: int = MAX_SPAN):
    """(start, end) of every span of a Chinese run up to `max_len` characters."""
    for i in range(len(run)):
        for j in range(i + 1, min(len(run), i + max_len) + 1):
            yield i, j


def plan_lookup(pieces, *, typing: bool) -> TermLookup:
    """Everything the pieces of a query need from the vocabulary, in one TermLookup."""
    lookup = TermLookup()
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        if piece.kind == "unit":
            lookup.terms.add(piece.text)
        elif piece.kind == "latin":
            token = piece.text
            lookup.terms.add(token)
            lookup.spells.add(token)
            if len(token) >= 2:
                lookup.initials.add(token)
            if len(token) >= 4:  # pinyin or initials typed without spaces: huaweishouji
                for i, j in spans(token, max_len=len(token)):
                    if j - i >= 2:
                        lookup.spells.add(token[i:j])
                        lookup.initials.add(token[i:j])
            if len(token) >= MIN_PREFIX_LATIN or (typing and last and len(token) >= 2):
                lookup.spell_prefixes.add(token)
        else:
            run = piece.text
            lookup.terms.update(piece.tokens)
            syllables = text.syllables(run)
            aligned = len(syllables) == len(run)
            for i, j in spans(run):
                lookup.terms.add(run[i:j])
                if aligned and j - i >= 2:
                    lookup.spells.add("".join(syllables[i:j]))
                    lookup.fuzzy.add(text.fuzzy_key(syllables[i:j]))
            if last:
                for n in range(1, min(MAX_SPAN, len(run)) + 1):
                    lookup.term_prefixes.add(run[-n:])
    return lookup


def read(pieces, *, typing: bool) -> Vocabulary:
    lookup = plan_lookup(pieces, typing=typing)
    return Vocabulary(get_backend().lookup_terms(lookup) if lookup else [])

"""Reading a run of Chinese characters that the index does not know word for word.

jieba cuts the run; when a word is neither in the index nor in the dictionary, the run is
read again character by character against the vocabulary, choosing the cheapest cover:

    cost  what
    1     a word of the index, or a word of the synonym dictionary
    1.3   a word found only in the fallback field (a parent category's inner word: 电器)
    1+1   per character: a word that sounds the same (冲峰衣 → 冲锋衣, 电饭包 → 电饭煲)
    1+1.5 per character: a word that sounds alike (吸成器 → 吸尘器, 打应机 → 打印机)
    1.5   the beginning of a word, at the end of the query (蓝牙耳 → 蓝牙耳机)
    2.5   one character the index holds only as a character (the 车 of 婴儿车)
    3     one character the index lacks

Words become required groups; characters become boosts (they order, they do not filter),
unless nothing else is left; unknown characters are reported as not found.
"""

from dataclasses import dataclass, field

from . import text
from .reading import MAX_SPAN, Vocabulary

EXACT, FALLBACK_WORD, SAME_SOUND, SIMILAR_SOUND = 1.0, 1.3, 1.0, 1.5
PREFIX, CHARACTER, UNKNOWN = 1.5, 2.5, 3.0
MAX_CANDIDATES = 3


@dataclass
class Segment:
    text: str  # the characters of the query it covers
    kind: str  # exact, synonym, correction, prefix, fallback, character, unknown
    terms: list[str] = field(default_factory=list)  # what it stands for, likeliest first


def _differences(a: str, b: str) -> int:
    return sum(1 for x, y in zip(a, b, strict=False) if x != y) + abs(len(a) - len(b))


def _sound_candidates(span: str, syllables, vocabulary: Vocabulary) -> list[tuple[float, list]]:
    """(cost, terms) of main terms of the same length that sound the same or alike."""
    if len(span) < 2 or not syllables:
        return []
    out = []
    same = [
        r
        for r in vocabulary.by_spell.get("".join(syllables), [])
        if r.main and len(r.term) == len(span) and r.term != span and text.is_cjk(r.term)
    ]
    if same:
        best = min(_differences(span, r.term) for r in same)
        terms = [r.term for r in same if _differences(span, r.term) == best]
        out.append((EXACT + SAME_SOUND * best, terms))
    alike = [
        r
        for r in vocabulary.by_fuzzy.get(text.fuzzy_key(syllables), [])
        if r.main and len(r.term) == len(span) and r.term != span and text.is_cjk(r.term)
    ]
    if alike:
        best = min(_differences(span, r.term) for r in alike)
        terms = [r.term for r in alike if _differences(span, r.term) == best]
        out.append((EXACT + SIMILAR_SOUND * best, terms))
    return out


def _by_prior(terms, vocabulary: Vocabulary) -> list[str]:
    ordered = sorted(dict.fromkeys(terms), key=lambda t: -vocabulary.prior(t))
    return ordered[:MAX_CANDIDATES]


def cover(
    run: str, vocabulary: Vocabulary, synonyms, *, at_end: bool, typing: bool = False
) -> list[Segment]:
    """The cheapest reading of `run` as segments (see the module's table). A word's
    beginning is read at the end of the query from two characters, or from one while the
    shopper is still typing (榨汁机's 机 is not 机械工业出版社 unfinished)."""
    syllables = text.syllables(run)
    aligned = len(syllables) == len(run)
    n = len(run)
    best: list[tuple[float, int] | None] = [None] * (n + 1)
    back: list[tuple[int, Segment] | None] = [None] * (n + 1)
    best[0] = (0.0, 0)

    def offer(i: int, j: int, cost: float, segment: Segment) -> None:
        if best[i] is None:
            return
        total = (best[i][0] + cost, best[i][1] + 1)
        if best[j] is None or total < best[j]:
            best[j], back[j] = total, (i, segment)

    for i in range(n):
        for j in range(i + 1, min(n, i + MAX_SPAN) + 1):
            span = run[i:j]
            if vocabulary.main(span):
                offer(i, j, EXACT, Segment(span, "exact", [span]))
            elif span in synonyms:
                offer(i, j, EXACT, Segment(span, "synonym", [span]))
            elif len(span) >= 2 and vocabulary.known(span):
                offer(i, j, FALLBACK_WORD, Segment(span, "fallback", [span]))
            elif len(span) == 1:
                if vocabulary.known(span):
                    offer(i, j, CHARACTER, Segment(span, "character", [span]))
                else:
                    offer(i, j, UNKNOWN, Segment(span, "unknown", []))
            if len(span) >= 2 and not vocabulary.main(span) and span not in synonyms:
                sounds = syllables[i:j] if aligned else []
                for cost, terms in _sound_candidates(span, sounds, vocabulary):
                    offer(i, j, cost, Segment(span, "correction", _by_prior(terms, vocabulary)))
            if at_end and j == n and (typing or j - i >= 2) and not vocabulary.main(span):
                longer = [r.term for r in vocabulary.with_prefix(span, spelled=False)]
                if longer:
                    offer(i, j, PREFIX, Segment(span, "prefix", _by_prior(longer, vocabulary)))
    segments = []
    j = n
    while j > 0:
        i, segment = back[j]
        segments.append(segment)
        j = i
    return list(reversed(segments))

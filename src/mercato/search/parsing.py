"""Reading a customer's query into a ParsedQuery (search.query).

1. The query is cut into pieces with the process's dictionary (search.dictionary): units
   (256g, 65in), Latin words, runs of Chinese cut by jieba.
2. Everything the pieces need is looked up in the vocabulary at once (search.reading).
3. Each piece becomes groups:
   - a Latin word stands for itself when the index holds it, and for the Chinese terms it
     spells (shouji → 手机), abbreviates (sj → 手机, hw → 华为), splits into (huaweishouji →
     华为 手机), begins (huaw → 华为) or, misspelt, is nearest to (huawie → huawei); the
     likeliest reading (brands and categories, then the products holding it) weighs most;
   - a Chinese word stands for itself and its synonyms; a run with words the index lacks
     is read by search.chinese (compounds, typos by sound, unfinished words);
   - function words (的, 和) only order results.
"""

from dataclasses import dataclass, field

from . import chinese, dictionary, reading, text
from .backends import get_backend
from .models import TermKind
from .query import Alternative, Group, ParsedQuery

MAX_TOKENS = 20
MAX_ALTERNATIVES = 6
SYNONYM = 0.95
CORRECTED = 0.9
NEAR = 0.85  # a reading this close to the likeliest counts as nearly as much
SECONDARY = 0.3  # other readings: after every product of the likeliest
ROUTE = {"exact": 1.0, "spell": 1.0, "initials": 0.9, "split": 0.9, "prefix": 0.8, "typo": 0.75}
STOP_WORDS = frozenset(
    "的 了 和 与 及 或 之 在 是 给 我 要 买 想 有 吗 呢 啊 吧 个 款 一个 一款 什么 适合 "
    "推荐 怎么样 哪个 哪款 好用 有没有 想买 一台 一部 一双 一件 一套 请问 求 用的 用".split()
)


@dataclass
class Piece:
    kind: str  # unit, latin, cjk
    text: str
    tokens: list[str] = field(default_factory=list)


def pieces_of(query: str, analyzer) -> list[Piece]:
    pieces = []
    for kind, run in text.runs(query):
        if kind == "unit":
            pieces.append(Piece("unit", run, [run]))
        elif kind == "latin":
            pieces += [Piece("latin", t, [t]) for t in text.latin_tokens(run)]
        else:
            pieces.append(Piece("cjk", run, analyzer.cut(run)))
    return _syllables_joined(pieces)[:MAX_TOKENS]


def _syllables_joined(pieces: list[Piece]) -> list[Piece]:
    """Pinyin typed a syllable at a time (lan ya er ji) is one word (lanyaerji): two or
    more Latin pieces in a row, each one syllable, are joined. A lone syllable rarely
    means anything, and the joined word is then read as any pinyin is (spelling, split)."""
    out: list[Piece] = []
    run: list[Piece] = []

    def flush():
        if len(run) >= 2:
            joined = "".join(p.text for p in run)
            out.append(Piece("latin", joined, [joined]))
        else:
            out.extend(run)
        run.clear()

    for piece in pieces:
        if piece.kind == "latin" and text.is_syllable(piece.text):
            run.append(piece)
        else:
            flush()
            out.append(piece)
    flush()
    return out


class _Reader:
    def __init__(self, query: str, vocabulary: reading.Vocabulary, found: dictionary.Dictionary):
        self.vocabulary = vocabulary
        self.synonyms = found.synonyms
        self.analyzer = found.analyzer
        self.dictionary_spelled = found.spelled
        self.parsed = ParsedQuery(text=query)
        self.completions: list[str] = []

    # -- building groups --------------------------------------------------------------------

    def synonym_alternatives(self, word: str) -> list[Alternative]:
        return [
            Alternative(tuple(self.analyzer.tokens(other)), SYNONYM)
            for other in self.synonyms.get(word, ())
            if self.analyzer.tokens(other)
        ]

    def weighed(self, scored: dict[str, float]) -> list[Alternative]:
        """Alternatives from {term: score}: the likeliest 1, close ones NEAR, the rest after."""
        if not scored:
            return []
        ranked = sorted(scored.items(), key=lambda kv: -kv[1])[:MAX_ALTERNATIVES]
        top = ranked[0][1] or 1.0
        out = []
        for term, score in ranked:
            ratio = score / top
            weight = 1.0 if ratio >= 0.999 else NEAR if ratio >= NEAR else SECONDARY * ratio
            out.append(Alternative((term,), round(weight, 4)))
        return out

    def group(self, alternatives: list[Alternative], words: str, *, boost: bool = False) -> None:
        unique = list({a.tokens: a for a in alternatives if a.tokens}.values())
        if not unique:
            return
        vocabulary = self.vocabulary
        docs = max(min(vocabulary.docs(t) for t in a.tokens) for a in unique)
        kinds = {vocabulary.kind(t) for a in unique for t in a.tokens}
        entity = any(reading.is_entity(kind) for kind in kinds)
        category = TermKind.CATEGORY in kinds
        group = Group(unique, reading.informativeness(docs), words, entity, category)
        (self.parsed.boosts if boost else self.parsed.groups).append(group)

    def complete(self, terms) -> None:
        """The brands and categories the last word may finish as, likeliest first."""
        vocabulary = self.vocabulary
        entities = {t for t in terms if reading.is_entity(vocabulary.kind(t))}
        # A brand's Latin name spelt like its Chinese one (huawei, 华为) is one suggestion,
        # in Chinese; equal priors are ordered Chinese first, then by the text, so every
        # database and process suggests the same.
        spelled = {"".join(text.syllables(t)) for t in entities if text.is_cjk(t)}
        entities = {t for t in entities if text.is_cjk(t) or t not in spelled}
        self.completions = sorted(
            entities, key=lambda t: (-vocabulary.prior(t), not text.is_cjk(t), t)
        )

    # -- Latin words ------------------------------------------------------------------------

    def latin_word(self, token: str, *, completing: bool) -> bool:
        """Groups for a Latin word; False when only a spelling correction could help."""
        vocabulary = self.vocabulary
        scored: dict[str, float] = {}

        def offer(row, route):
            if row.main:
                score = row.prior() * ROUTE[route]
                scored[row.term] = max(scored.get(row.term, 0.0), score)

        for row in vocabulary.by_spell.get(token, []):
            offer(row, "exact" if row.term == token else "spell")
        if len(token) >= 2:
            for row in vocabulary.by_initials.get(token, []):
                offer(row, "initials")
        alternatives = self.weighed(scored)
        if not scored:
            for word in self.dictionary_spelled.get(token, ()):  # dsj → 电视机, a synonym
                alternatives += self.synonym_alternatives(word)
        if not alternatives and not completing:
            pieces = self.split(token)
            if pieces:
                for rows in pieces:
                    scored_piece = {r.term: r.prior() * ROUTE["split"] for r in rows}
                    self.group(self.weighed(scored_piece), token)
                return True
        if completing or not alternatives:
            if len(token) >= reading.MIN_PREFIX_LATIN or completing:
                for row in vocabulary.with_prefix(token, spelled=True):
                    offer(row, "prefix")
                alternatives = self.weighed(scored) + [a for a in alternatives if len(a.tokens) > 1]
        if completing:
            self.complete(a.tokens[0] for a in alternatives if len(a.tokens) == 1)
        alternatives += self.synonym_alternatives(token)
        if not alternatives:
            return False
        self.group(alternatives, token)
        return True

    def split(self, token: str) -> list[list]:
        """Pinyin or initials typed without spaces: huaweishouji → 华为 | 手机, xmsb → 小米 |
        手表 or 鼠标: the vocabulary rows of each piece (fewest pieces, likeliest terms)."""
        for table in (self.vocabulary.by_spell, self.vocabulary.by_initials):
            n = len(token)
            best: list[tuple[int, float, list] | None] = [None] * (n + 1)
            best[0] = (0, 0.0, [])
            for i in range(n):
                if best[i] is None:
                    continue
                for j in range(i + 2, n + 1):
                    rows = [r for r in table.get(token[i:j], []) if r.main]
                    if not rows:
                        continue
                    pieces, prior, found = best[i]
                    top = max(r.prior() for r in rows)
                    candidate = (pieces + 1, prior - top, [*found, rows])
                    if best[j] is None or candidate[:2] < best[j][:2]:
                        best[j] = candidate
            if best[n] is not None and 2 <= best[n][0] <= 4:
                return best[n][2]
        return []

    def corrected(self, tokens: list[str]) -> set[str]:
        """Spelling corrections for Latin words nothing else could read (one more query)."""
        rows = get_backend().similar_spellings(tokens)
        fixed = set()
        for token in tokens:
            budget = text.typo_budget(token)
            near = [
                (text.damerau_distance(token, r.spell, budget), r)
                for r in rows
                if r.main and r.spell != token
            ]
            near = [(d, r) for d, r in near if d <= budget]
            # A dictionary word spelt nearer than anything in the index (iphnoe → iphone,
            # which the dictionary reads as 苹果 手机) stands for its synonyms.
            words = [
                (text.damerau_distance(token, word, budget), word)
                for word in self.synonyms
                if text.is_latin(word) and word != token and abs(len(word) - len(token)) <= budget
            ]
            words = sorted((d, w) for d, w in words if d <= budget)
            if words and (not near or words[0][0] < min(d for d, _ in near)):
                self.parsed.corrections[token] = words[0][1]
                self.group(
                    [
                        Alternative(a.tokens, round(a.weight * ROUTE["typo"], 4))
                        for a in self.synonym_alternatives(words[0][1])
                    ],
                    token,
                )
                fixed.add(token)
                continue
            if not near:
                continue
            closest = min(d for d, _ in near)
            scored: dict[str, float] = {}
            for d, row in near:
                if d == closest:
                    scored[row.term] = max(scored.get(row.term, 0.0), row.prior())
            alternatives = self.weighed(scored)
            self.parsed.corrections[token] = alternatives[0].tokens[0]
            self.group(
                [Alternative(a.tokens, round(a.weight * ROUTE["typo"], 4)) for a in alternatives]
                + self.synonym_alternatives(alternatives[0].tokens[0]),
                token,
            )
            fixed.add(token)
        return fixed

    # -- Chinese runs -------------------------------------------------------------------------

    def chinese_run(self, piece: Piece, *, at_end: bool, completing: bool) -> None:
        vocabulary, synonyms = self.vocabulary, self.synonyms
        tokens = piece.tokens
        direct = all(vocabulary.main(t) or t in synonyms or t in STOP_WORDS for t in tokens) or (
            len(tokens) == 1 and vocabulary.known(tokens[0])
        )
        if direct:
            segments = [chinese.Segment(t, self._direct_kind(t), [t]) for t in tokens]
        else:
            segments = chinese.cover(
                piece.text, vocabulary, synonyms, at_end=at_end, typing=completing
            )
            # A function word only orders, even when some product's name holds it (好饿的
            # 毛毛虫): 送爸爸的剃须刀 must not list books for its 的.
            segments = [
                chinese.Segment(s.text, "stop", [s.text]) if s.text in STOP_WORDS else s
                for s in segments
            ]
        required = [s for s in segments if s.kind not in ("character", "unknown", "stop")]
        single = [s for s in segments if len(s.text) == 1 and s.kind in ("character", "exact")]
        if len(single) == len(required) + len([s for s in segments if s.kind == "character"]):
            if len(single) * 2 < len(piece.text):
                # Mostly characters no product holds (榨汁机: only 机 is known): one
                # common character would stand for the query and list anything.
                segments = [
                    chinese.Segment(s.text, "stop", [s.text]) if s in single else s
                    for s in segments
                ]
                required = []
        for index, segment in enumerate(segments):
            last = completing and index == len(segments) - 1
            self.segment(segment, alone=not required, completing=last)

    def _direct_kind(self, token: str) -> str:
        if token in STOP_WORDS:
            return "stop"
        if self.vocabulary.main(token):
            return "exact"
        if token in self.synonyms:
            return "synonym"
        return "fallback" if len(token) >= 2 else "character"

    def segment(self, segment: chinese.Segment, *, alone: bool, completing: bool) -> None:
        kind, words = segment.kind, segment.text
        vocabulary = self.vocabulary
        if kind == "unknown":
            self.parsed.ignored.append(words)
            return
        if kind in ("character", "stop"):
            alternative = Alternative((words,), anywhere=kind == "character")
            self.group([alternative], words, boost=not alone or kind == "stop")
            return
        alternatives: list[Alternative] = []
        if kind == "exact":
            alternatives.append(Alternative((words,)))
        elif kind == "fallback":
            alternatives.append(Alternative((words,), anywhere=True))
        elif kind == "synonym":
            inner = chinese.cover(words, vocabulary, {}, at_end=False)
            if inner and all(s.kind == "exact" for s in inner):
                alternatives.append(Alternative(tuple(s.text for s in inner), CORRECTED))
        else:  # correction, prefix
            scored = {t: vocabulary.prior(t) for t in segment.terms}
            alternatives += [
                Alternative(a.tokens, round(a.weight * CORRECTED, 4)) for a in self.weighed(scored)
            ]
            if not completing:
                self.parsed.corrections[words] = segment.terms[0]
        if completing:
            scored = {r.term: r.prior() for r in vocabulary.with_prefix(words, spelled=False)}
            alternatives += [
                Alternative(a.tokens, round(a.weight * ROUTE["prefix"], 4))
                for a in self.weighed(scored)
            ]
            self.complete([*(a.tokens[0] for a in alternatives if len(a.tokens) == 1)])
        lead = segment.terms[0] if segment.terms else words
        alternatives += self.synonym_alternatives(lead)
        self.group(alternatives, words)


def parse_query(
    query: str, *, typing: bool = False, versions: dictionary.Versions | None = None
) -> ParsedQuery:
    """Read a query (docs/search.md, "How a query is read"). `typing`: the last word may be
    unfinished (suggestions as you type).

    With the `versions` a search has read, the reading is kept by this process's dictionary
    under the vocabulary's token (search.dictionary.index_changed): the same query again
    costs no segmentation, no vocabulary lookup and no spelling search until the words or
    the index change. Callers must not change what it returns."""
    found = dictionary.current(versions=versions)
    if versions is None:
        return _read(query, typing, found)
    return found.remember((query, typing, versions.index), lambda: _read(query, typing, found))


def _read(query: str, typing: bool, found: dictionary.Dictionary) -> ParsedQuery:
    pieces = pieces_of(query, found.analyzer)
    reader = _Reader(query, reading.read(pieces, typing=typing), found)
    misspelt = []
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        if piece.kind == "unit":
            reader.group([Alternative((piece.text,))], piece.text)
        elif piece.kind == "latin":
            if not reader.latin_word(piece.text, completing=typing and last):
                misspelt.append(piece.text)
        else:
            reader.chinese_run(piece, at_end=last, completing=typing and last)
    if misspelt:
        fixed = reader.corrected([t for t in misspelt if text.typo_budget(t)])
        for token in misspelt:
            if token not in fixed:  # nothing reads it: kept, so that it is reported
                reader.group([Alternative((token,))], token)
    reader.parsed.completions = reader.completions
    return reader.parsed

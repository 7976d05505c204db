"""Text to search tokens: cleaning, jieba segmentation, pinyin and pinyin initials.

Documents and queries go through the same functions, so a token in the index and a token
in a query always compare equal. Tokens hold only letters and digits (lower case, half
width), which makes them safe to quote in an FTS5 MATCH or a PostgreSQL tsquery.
"""

import logging
import re
import threading
import unicodedata

import jieba
from pypinyin import Style, lazy_pinyin

MAX_QUERY_LENGTH = 100

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_IS_CJK = re.compile(rf"[{_CJK}]")
_LATIN = re.compile(r"[a-z]+")
_LETTERS_DIGITS = re.compile(r"[a-z]+|[0-9]+")

jieba.setLogLevel(logging.WARNING)  # its dictionary-loading chatter is not our log

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_user_words: set[str] = set()


def clean_query(raw: str | None) -> tuple[str, bool]:
    """(the query as searched, whether it was shortened): control characters dropped."""
    text = "".join(
        " " if unicodedata.category(ch)[0] in "CZ" else ch for ch in str(raw or "")[:2000]
    )
    text = " ".join(text.split())
    if len(text) > MAX_QUERY_LENGTH:
        return text[:MAX_QUERY_LENGTH].rstrip(), True
    return text, False


def normalize(text: str) -> str:
    """Full-width to half-width (NFKC) and lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def is_cjk(token: str) -> bool:
    return bool(_IS_CJK.search(token))


def is_latin(token: str) -> bool:
    return bool(_LATIN.fullmatch(token))


def tokenizer() -> jieba.Tokenizer:
    """Our own jieba instance (the global one is left to others), built once per process."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                tok = jieba.Tokenizer()
                tok.initialize()
                _tokenizer = tok
    return _tokenizer


def add_user_words(words) -> None:
    """Teach jieba catalogue words (brands, categories, specs, synonyms) so they stay whole."""
    tok = tokenizer()
    for word in words:
        word = normalize(word).strip()
        if word and is_cjk(word) and word not in _user_words:
            # A high frequency makes jieba prefer the whole word over its parts.
            tok.add_word(word, freq=200000)
            _user_words.add(word)


def segment(text: str, *, for_index: bool = False) -> list[str]:
    """Tokens of `text` in order. For documents, also the shorter words inside long ones
    (智能手机 → 智能, 手机, 智能手机) so a query for either part finds them."""
    tokens: list[str] = []
    for run in _RUNS.findall(normalize(text)):
        if not is_cjk(run):
            tokens.append(run)
            parts = _LETTERS_DIGITS.findall(run)
            if for_index and len(parts) > 1:
                tokens.extend(parts)  # x12 → x12, x, 12
            continue
        words = list(tokenizer().cut(run))
        if for_index:
            # The query is cut in precise mode: index those words too, as search mode can
            # skip one (大容量 gives 容量 and 大容量, never the 大 a query may carry).
            words = list(dict.fromkeys([*tokenizer().cut_for_search(run), *words]))
        tokens.extend(w for w in words if w.strip())
    return tokens


def pinyin_of(word: str) -> tuple[str, str]:
    """手机 → ("shouji", "sj"); ("", "") for a word without Chinese characters."""
    if not is_cjk(word):
        return "", ""
    syllables = [s for s in lazy_pinyin(word, style=Style.NORMAL, errors="ignore") if s]
    return "".join(syllables), "".join(s[0] for s in syllables)


def index_tokens(text: str) -> list[str]:
    """Document tokens: each word, its pinyin and (for words of two or more characters) its
    initials. 华为手机 → 华为 huawei hw 手机 shouji sj."""
    out: list[str] = []
    for token in segment(text, for_index=True):
        out.append(token)
        full, initials = pinyin_of(token)
        if full:
            out.append(full)
            if len(token) >= 2:
                out.append(initials)
    return out


def damerau_distance(a: str, b: str, limit: int) -> int:
    """Edit distance with transpositions (iphnoe → iphone is 1); stops early past `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def typo_budget(token: str) -> int:
    """How many edits a Latin word may be off: none below 4 letters, 1 up to 6, then 2."""
    if len(token) < 4:
        return 0
    return 1 if len(token) <= 6 else 2

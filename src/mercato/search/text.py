"""Text to search tokens, the same way for documents and queries: cleaning, normalising,
units, Latin words, pinyin readings. Chinese segmentation is `search.analyzer`'s.

A token is lower case and half width and holds letters, digits and Chinese characters;
a number keeps its decimal point (1.5匹). Tokens never hold quotes or spaces, so they are
safe to quote in an FTS5 MATCH or a PostgreSQL tsquery.
"""

import itertools
import re
import unicodedata

import opencc
from pypinyin import Style, lazy_pinyin, pinyin

MAX_QUERY_LENGTH = 100

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_IS_CJK = re.compile(rf"[{_CJK}]")
_LATIN = re.compile(r"[a-z]+")
_LETTERS_DIGITS = re.compile(r"[a-z]+|[0-9]+(?:\.[0-9]+)?")
# Apostrophes inside a word join it (L'Oréal → loreal, Arc'teryx → arcteryx).
_APOSTROPHES = re.compile(r"['’‘`´ʼ′]")

# Units a shopper writes in many ways, to one spelling each: 256G = 256GB, 65寸 = 65英寸,
# 2万毫安 = 20000mAh. Storage and weight share g and t (256G, 500g): the other words of a
# query tell a phone from a bag of nuts. 码 (shoe and clothes sizes) is the bare number.
UNITS = {
    "g": ["gb", "g", "克", "千兆"],
    "t": ["tb", "t"],
    "kg": ["kg", "公斤", "千克"],
    "mg": ["mg", "毫克"],
    "ml": ["ml", "毫升"],
    "l": ["l", "升", "公升"],
    "mah": ["mah", "毫安时", "毫安"],
    "w": ["w", "瓦"],
    "in": ["英寸", "寸", "吋", "inch", "in", '"'],
    "mm": ["mm", "毫米"],
    "cm": ["cm", "厘米"],
    "m": ["m", "米"],
    "hz": ["hz", "赫兹"],
    "p": ["p"],
    "k": ["k"],
    "": ["码"],
}
# Counting words kept with their number as one token (3包, 80抽, 1.5匹), so a lone 包 in
# "80抽×3包" never matches a query's 包.
COUNTERS = "匹人段岁片抽包条罐袋盒瓶支只件套层档挡级代核色"
_UNIT_OF = {alias: unit for unit, aliases in UNITS.items() for alias in aliases}
_UNIT_ALIASES = sorted(_UNIT_OF, key=len, reverse=True)
_NUMBER_UNIT = re.compile(
    r"(?<![a-z0-9.])(\d+(?:\.\d+)?)\s*(万)?\s*("
    + "|".join(re.escape(a) for a in _UNIT_ALIASES)
    + rf"|[{COUNTERS}])(?![a-z])"
)
# Two numbers joined by + are a phone's memory and storage (8+256, 12 + 512): read as
# 8gb and 256gb, as its spec 8GB+256GB is. The second is a storage size (32 or more).
_STORAGE_PAIR = re.compile(r"(?<![0-9.a-z])(\d{1,2})\s*\+\s*(\d{2,4})(?![0-9.a-z])")
# Runs the segmenter sees: a unit token, a run of Chinese, a run of letters and digits
# (joined by - or . inside: type-c, 1.5, wi-fi).
_RUNS = re.compile(rf"\x01([^\x02]+)\x02|([{_CJK}]+)|([a-z0-9]+(?:[-.][a-z0-9]+)*)")

# Traditional Chinese (shoppers in Taiwan and Hong Kong, product names from their suppliers)
# to the Simplified the catalogue is written in, Taiwan's own words included (滑鼠 → 鼠标,
# 隨身碟 → U盘, 筆記型電腦 → 笔记本电脑). Documents and queries both pass through it.
_TO_SIMPLIFIED = opencc.OpenCC("tw2sp")

# Similar-sounding initials and finals that shoppers (and input methods) mix up.
_FUZZY_INITIALS = [("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"), ("r", "l"), ("h", "f")]
_FUZZY_FINALS = [("iang", "ian"), ("uang", "uan"), ("ang", "an"), ("eng", "en"), ("ing", "in")]
MAX_READINGS = 4


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
    """Full width to half width, lower case, accents and apostrophes removed, Traditional
    Chinese to Simplified: ＮＩＫＥ → nike, L'Oréal → loreal, Lancôme → lancome,
    藍牙耳機 → 蓝牙耳机."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text or "").lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    if _IS_CJK.search(text):
        text = _TO_SIMPLIFIED.convert(text)
    return _APOSTROPHES.sub("", text)


def is_cjk(token: str) -> bool:
    return bool(_IS_CJK.search(token))


def is_latin(token: str) -> bool:
    return bool(_LATIN.fullmatch(token))


def _number(digits: str, wan: str | None) -> str:
    if wan:
        value = float(digits) * 10000
        digits = str(int(value)) if value == int(value) else str(value)
    if "." in digits:
        digits = digits.rstrip("0").rstrip(".")
    return digits


def _unit_token(match: re.Match) -> str:
    digits, wan, unit = match.groups()
    return f" \x01{_number(digits, wan)}{_UNIT_OF.get(unit, unit)}\x02 "


def _storage_pair(match: re.Match) -> str:
    memory, storage = match.groups()
    return f"{memory}gb {storage}gb" if int(storage) >= 32 else match.group(0)


# One syllable of pinyin (an initial, then a final): lan ya er ji is typed 蓝牙耳机.
_SYLLABLE = re.compile(
    r"(zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(iang|iong|uang|ueng|ang|eng|ing|ong|ian|iao|uai|uan|ai|ei|ao|ou|an|en|er|ia|ie|iu"
    r"|in|ua|uo|ui|un|ue|ve|a|o|e|i|u|v)"
)


def is_syllable(token: str) -> bool:
    """One pinyin syllable without tone (lan, ya, er, zhuang); also accepts a few
    combinations Mandarin lacks, which costs nothing here."""
    match = _SYLLABLE.fullmatch(token)
    return bool(match) and (match.group(1) is not None or match.group(2)[0] in "aoe")


def runs(text: str) -> list[tuple[str, str]]:
    """The text as (kind, run): kind "unit" (256g, 65in, 1.5匹), "cjk" or "latin"
    (letters and digits, maybe joined by - or .), in order."""
    marked = _STORAGE_PAIR.sub(_storage_pair, normalize(text))
    marked = _NUMBER_UNIT.sub(_unit_token, marked)
    out = []
    for unit, cjk, latin in _RUNS.findall(marked):
        if unit:
            out.append(("unit", unit))
        elif cjk:
            out.append(("cjk", cjk))
        else:
            out.append(("latin", latin))
    return out


def latin_tokens(run: str, *, for_index: bool = False) -> list[str]:
    """type-c → typec (and type, c); x12 → x12 (a document also holds x and 12)."""
    parts = [p for p in re.split(r"-", run) if p]
    joined = "".join(parts)
    tokens = [joined] if joined else []
    if for_index:
        if len(parts) > 1:
            tokens += parts
        pieces = _LETTERS_DIGITS.findall(joined)
        if len(pieces) > 1:
            tokens += pieces
    return list(dict.fromkeys(t for t in tokens if t))


def syllables(word: str) -> list[str]:
    """The pinyin syllables of a Chinese word in context: 空调 → [kong, tiao]."""
    return [s for s in lazy_pinyin(word, style=Style.NORMAL, errors="ignore") if s]


def readings(word: str) -> list[list[str]]:
    """Every likely way to type `word` in pinyin, as syllable lists: the reading in context
    first, then those of characters with several (美的 → mei de, mei di), at most
    MAX_READINGS."""
    if not is_cjk(word):
        return []
    first = syllables(word)
    # Character by character: for a whole word pypinyin gives only its reading in context.
    options = [pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore") for ch in word]
    options = [o[0] if o else [] for o in options]
    if len(options) != len(first) or not all(options):
        return [first] if first else []
    found = [first]
    for combo in itertools.product(*[[s for s in opts if s][:3] for opts in options]):
        if len(found) >= MAX_READINGS:
            break
        if list(combo) not in found:
            found.append(list(combo))
    return found


def fuzzy_syllable(syllable: str) -> str:
    """zhong → zon, ling → lin, fei → fei, hui → fui: sounds that are often confused."""
    for a, b in _FUZZY_INITIALS:
        if syllable.startswith(a):
            syllable = b + syllable[len(a) :]
            break
    for a, b in _FUZZY_FINALS:
        if syllable.endswith(a):
            syllable = syllable[: -len(a)] + b
            break
    return syllable


def fuzzy_key(syllable_list: list[str]) -> str:
    return "".join(fuzzy_syllable(s) for s in syllable_list)


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

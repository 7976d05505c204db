"""The recipient's name: present, not gibberish, not abusive (rules, not a list of bad
names).

Gibberish is judged by the shape of the text: digits or symbols in a name, a character
repeated three times (啊啊啊, aaa), a run along a keyboard row or the alphabet (asdf,
qwer, abcd, 1234), a word with no vowel or a long run of consonants (sdfgh), text made
only of interjections and particles (哈哈哈, 的了是), placeholder words instead of a name
(测试, test), or a Chinese name too long to be one. Abusive words come from a word list
(data/abusive_zh.txt) and, for English, better-profanity's list. Names of minorities with
a middle dot (阿卜杜拉·艾则孜), pinyin and Western names pass.
"""

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext_noop

from .findings import Finding

MISSING = gettext_noop("The recipient's name is missing.")
NO_NAME = gettext_noop("The recipient's name is not a name (only a title or a placeholder).")
GIBBERISH = gettext_noop("The recipient's name looks like gibberish.")
TEST = gettext_noop("The recipient's name marks a test or fake order.")
ABUSIVE = gettext_noop("The recipient's name contains abusive words.")
ABUSIVE_ADDRESS = gettext_noop("The address contains abusive words.")

DOTS = "·•・.．"
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN_NAME = re.compile(r"^[A-Za-z][A-Za-z .'\-]*$")
VOWELS = set("aeiouy")
KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "abcdefghijklmnopqrstuvwxyz", "1234567890")
# Interjections, particles and fillers: a "name" made only of these is no name.
FILLERS = set("啊阿哈呵嘿嘻哦噢喔嗯呃唉哎呀吧呢吗嘛啦咯哟喽哇呐嗨哼额的了是在和与也就都还")
# Placeholders people type where a name belongs.
PLACEHOLDER_TEST = set(
    "测试 测试员 测试单 测试订单 试试 试单 假的 test tester testing demo fake dummy abc xyz".split()
)
PLACEHOLDER_NO_NAME = set(
    "某某 某人 某某某 无名 无名氏 匿名 不知道 随便 没有 无 空 收货人 收件人 姓名 名字 用户 客户 "
    "顾客 买家 亲 我 本人 自己 先生 女士 小姐 老板 朋友 null none n/a na unknown name admin root "
    "xxx xx x".split()
)
MAX_HAN = 6  # 复姓 + three characters; longer names carry a middle dot


@lru_cache(maxsize=1)
def _abusive_words() -> tuple[str, ...]:
    path = Path(__file__).resolve().parent.parent / "data" / "abusive_zh.txt"
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.strip().lower()
        if word and not word.startswith("#"):
            words.append(word)
    return tuple(words)


@lru_cache(maxsize=1)
def _abuse_matchers() -> tuple[re.Pattern, frozenset[str]]:
    """The word list as one pattern (words found anywhere: Chinese ones and Latin ones
    longer than two letters) and the set of Latin words that count only as whole words."""
    words = _abusive_words()
    anywhere = [w for w in words if len(w) > 2 or not w.isascii()]
    pattern = re.compile("|".join(re.escape(w) for w in sorted(anywhere, key=len, reverse=True)))
    return pattern, frozenset(w for w in words if w.isascii())


@lru_cache(maxsize=1)
def _profanity():
    from better_profanity import Profanity

    return Profanity()  # its default English word list, with leetspeak variants


def squeeze(text: str) -> str:
    """Lower case, full-width forms folded (ＡＢＣ → abc), spaces and punctuation removed."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(ch for ch in text if ch.isalnum())


def contains_abuse(text: str, *, english: bool = True) -> bool:
    """Abusive words in `text`: the Chinese list everywhere, better-profanity's English
    list where `english` (names; addresses hold placeholders like "xxx" that it flags)."""
    squeezed = squeeze(text)
    if not squeezed:
        return False
    anywhere, whole_words = _abuse_matchers()
    if anywhere.search(squeezed):
        return True
    # Short Latin abbreviations (sb, tmd, cnm) count only as a whole word.
    words = re.findall(r"[a-z]+", unicodedata.normalize("NFKC", text or "").lower())
    if any(w in whole_words for w in words):
        return True
    # English profanity, but not in words that spell Chinese syllables: better-profanity
    # lists "wang" and "dong", the pinyin of 王 and 董 (Wang Fang, Dong Hua are names).
    latin = " ".join(w for w in words if not is_pinyin(w))
    return english and bool(latin) and _profanity().contains_profanity(latin)


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """Every toneless pinyin syllable (wang, zhuang, lü as lu and lv), from pypinyin's
    dictionary of characters."""
    from pypinyin.pinyin_dict import pinyin_dict

    found = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            plain = unicodedata.normalize("NFKD", reading)
            found.add("".join(ch for ch in plain if not unicodedata.combining(ch)))
            if "ü" in reading:
                found.add(reading.replace("ü", "v"))
    return frozenset(s for s in found if s.isascii() and s.isalpha())


@lru_cache(maxsize=5_000)
def is_pinyin(word: str) -> bool:
    """`word` (lower case) is one or more pinyin syllables run together (wang, xiaoming)."""
    syllables, n = _syllables(), len(word)
    ok = [True] + [False] * n
    for end in range(1, n + 1):
        ok[end] = any(
            ok[start] and word[start:end] in syllables for start in range(max(0, end - 6), end)
        )
    return ok[n]


def _repeats(text: str, times: int = 3) -> bool:
    return any(text[i] * times == text[i : i + times] for i in range(len(text) - times + 1))


def _keyboard_run(text: str, length: int = 4) -> bool:
    for i in range(len(text) - length + 1):
        chunk = text[i : i + length]
        if any(chunk in row or chunk in row[::-1] for row in KEYBOARD_ROWS):
            return True
    return False


def _latin_gibberish(word: str) -> bool:
    if len(word) == 1:
        return True
    if len(word) >= 4 and not (set(word) & VOWELS):
        return True
    return bool(re.search(r"[^aeiouy\W\d_]{5,}", word))


def _han_gibberish(han: str) -> bool:
    if all(ch in FILLERS for ch in han):
        return True
    return len(han) > MAX_HAN


@lru_cache(maxsize=20_000)
def check_name(name: str) -> tuple[Finding, ...]:
    text = unicodedata.normalize("NFKC", (name or "").strip())
    if not text:
        return (Finding("info_missing", "incomplete", MISSING),)
    if contains_abuse(text):
        return (Finding("abusive_words", "malicious", ABUSIVE, text),)
    squeezed = squeeze(text)
    if not squeezed:  # only dashes, dots or exclamation marks: no name was given
        return (Finding("info_missing", "incomplete", NO_NAME, text),)
    if squeezed in PLACEHOLDER_TEST:
        return (Finding("name_gibberish", "malicious", TEST, text),)
    if squeezed in PLACEHOLDER_NO_NAME or text.lower() in PLACEHOLDER_NO_NAME:
        return (Finding("info_missing", "incomplete", NO_NAME, text),)
    gibberish = Finding("name_gibberish", "malicious", GIBBERISH, text)
    if any(ch.isdigit() for ch in text):
        return (gibberish,)
    allowed_marks = set(DOTS) | {" ", "-", "'"}
    if any(not (ch.isalpha() or ch in allowed_marks) for ch in text):
        return (gibberish,)  # symbols, emoji, punctuation
    if _repeats(squeezed) or _keyboard_run(squeezed):
        return (gibberish,)
    han = "".join(HAN.findall(text))
    latin_words = re.findall(r"[a-z]+", text.lower())
    if han and latin_words:
        return ()  # 张San, Li 小明: unusual, but people write names so
    if han:
        parts = [p for p in re.split(f"[{re.escape(DOTS)} ]", text) if p]
        if len(parts) > 1:  # 阿卜杜拉·艾则孜: each part a name of its own
            return (gibberish,) if any(all(c in FILLERS for c in p) for p in parts) else ()
        if len(han) != len(squeezed):
            return (gibberish,)  # other scripts mixed in
        return (gibberish,) if _han_gibberish(han) else ()
    if LATIN_NAME.match(text):
        return (gibberish,) if any(_latin_gibberish(w) for w in latin_words) else ()
    return (gibberish,)  # other scripts: kana, hangul, Cyrillic ... not a delivery name here

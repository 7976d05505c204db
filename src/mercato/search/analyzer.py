"""Chinese segmentation: one jieba tokenizer per process, built from one word list.

jieba's own dictionary plus the shop's words (brands, categories, spec values, the
synonym and colloquial dictionary; see `search.dictionary`) make the tokenizer. The same
list gives the same tokenizer in every process, whichever of them indexes a product or
searches: a product's index and a query for it are cut alike. When the list changes the
tokenizer is built anew from jieba's dictionary (never patched), so a process that has
seen old words cuts exactly as a fresh one does.
"""

import logging
import threading
from collections.abc import Iterable

import jieba

from . import text

jieba.setLogLevel(logging.WARNING)  # its dictionary-loading chatter is not our log

# Frequency given to the shop's words: high enough that jieba keeps them whole.
WORD_FREQUENCY = 200_000
MAX_WORD_LENGTH = 16

_lock = threading.Lock()
_base: jieba.Tokenizer | None = None


def _base_tokenizer() -> jieba.Tokenizer:
    """jieba's dictionary, loaded once per process (about a second) and never changed."""
    global _base
    if _base is None:
        with _lock:
            if _base is None:
                tok = jieba.Tokenizer()
                tok.initialize()
                _base = tok
    return _base


def dictionary_words(words: Iterable[str]) -> frozenset[str]:
    """The words jieba is taught: normalised, with Chinese in them, without spaces."""
    out = set()
    for word in words:
        word = text.normalize(word).strip()
        if word and " " not in word and text.is_cjk(word) and len(word) <= MAX_WORD_LENGTH:
            out.add(word)
    return frozenset(out)


class Analyzer:
    """Cuts text into tokens; built from jieba's dictionary and `words`."""

    def __init__(self, words: Iterable[str] = ()):
        self.words = dictionary_words(words)
        base = _base_tokenizer()
        if not self.words:
            self._tok = base  # nothing to add: jieba's own dictionary, shared, never changed
            return
        tok = jieba.Tokenizer()
        # A copy of the loaded dictionary instead of loading it again (as jieba's
        # initialize would): the same words, a fraction of the time.
        tok.FREQ, tok.total = dict(base.FREQ), base.total
        tok.initialized = True
        for word in sorted(self.words):  # sorted: the same totals in every process
            tok.add_word(word, freq=WORD_FREQUENCY)
        self._tok = tok

    def cut(self, run: str) -> list[str]:
        """A run of Chinese characters in words, as a query is read: 华为手机 → 华为, 手机."""
        return [w for w in self._tok.cut(run) if w.strip()]

    def cut_for_index(self, run: str) -> list[str]:
        """The words of `cut` and the shorter words that begin or end them (from jieba's
        search mode): 智能手机 → 智能手机, 智能, 手机; a query for any of them finds it.

        A shorter word is kept when it begins the long one, or ends it after at least two
        characters: 充电器 gives 充电 but not 电器 (充|电器), so 电器 finds appliances,
        not chargers; 吸油烟机's inner 油烟 is dropped too."""
        words = self.cut(run)
        out = list(words)
        for word in words:
            if len(word) < 3:
                continue
            for sub in self._tok.cut_for_search(word):
                if sub != word and (
                    word.startswith(sub) or (word.endswith(sub) and len(word) - len(sub) >= 2)
                ):
                    out.append(sub)
        return list(dict.fromkeys(out))

    def tokens(self, value: str, *, for_index: bool = False) -> list[str]:
        """Every token of `value` in order: units, Latin words, Chinese words."""
        out: list[str] = []
        for kind, run in text.runs(value):
            if kind == "unit":
                out.append(run)
            elif kind == "latin":
                out.extend(text.latin_tokens(run, for_index=for_index))
            else:
                out.extend(self.cut_for_index(run) if for_index else self.cut(run))
        return out


_plain: Analyzer | None = None


def plain() -> Analyzer:
    """The analyzer over jieba's dictionary alone, shared by the process: text indexed with
    it (the service knowledge base's articles) is cut the same way whatever the shop's words
    are, today and after they change."""
    global _plain
    if _plain is None:
        _plain = Analyzer()
    return _plain

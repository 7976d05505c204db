"""The shop's dictionary, one per server process: the words jieba keeps whole (brands,
categories, every word of the synonym and colloquial groups) and the groups themselves.

It is built from the database the first time a process segments text, whether it indexes
(`mercato rebuild_search_index`, the re-index task) or searches, so two processes looking
at the same database cut text alike. Its fingerprint is kept in `DictionaryState`: when
synonyms, brands or categories change, `refresh()` writes the new fingerprint and bumps the
shop version (cached result pages were found with the old words); each search reads the
fingerprint in the statement that reads the shop version (`read_versions`), and a process
builds its dictionary again when it differs.
"""

import hashlib
import json
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

from django.db import connection, transaction

from mercato.catalog.models import Brand, CacheVersion, Category
from mercato.catalog.shopcache import NAME as SHOP_VERSION_NAME
from mercato.catalog.shopcache import bump_shop_version

from . import text
from .analyzer import Analyzer, dictionary_words
from .models import DictionaryState, SynonymGroup

_lock = threading.Lock()
PARSED = 4096  # queries a process keeps read (search.parsing.parse_query), the latest used


@dataclass
class Dictionary:
    analyzer: Analyzer
    # word → what else it means, each a phrase of one or more words (normalised)
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fingerprint: str = ""
    # pinyin or initials → the dictionary's Chinese words typed so (dsj → 电视机): words a
    # shopper types that the index may not hold
    spelled: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # (query, typing, vocabulary token) → the query as read with these words and that
    # vocabulary (search.parsing): a new dictionary starts empty.
    parsed: OrderedDict = field(default_factory=OrderedDict, repr=False)
    parsed_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def remember(self, key, read):
        """`read()`'s value, kept under `key` for the next time (bounded, least recently
        used out). Two threads may both read a new key: the value is the same."""
        with self.parsed_lock:
            found = self.parsed.get(key)
            if found is not None:
                self.parsed.move_to_end(key)
                return found
        found = read()
        with self.parsed_lock:
            self.parsed[key] = found
            while len(self.parsed) > PARSED:
                self.parsed.popitem(last=False)
        return found


@dataclass
class _State:
    current: Dictionary | None = None
    stored: str | None = None  # the fingerprint read from the database at the last check


_state = _State()


def synonym_map(groups) -> dict[str, tuple[str, ...]]:
    """{word: other words} from (terms, one_way) pairs: every word of a two-way group means
    the others; in a one-way group only the first means the rest."""
    out: dict[str, list[str]] = {}
    for terms, one_way in groups:
        terms = [text.normalize(t).strip() for t in terms if t and t.strip()]
        keys = terms[:1] if one_way else terms
        for key in keys:
            others = [t for t in terms if t != key]
            out.setdefault(key, [])
            out[key] += [t for t in others if t not in out[key]]
    return {k: tuple(v) for k, v in out.items() if v}


def _read() -> tuple[list[str], list[tuple[list[str], bool]]]:
    groups = [
        (list(terms), bool(one_way))
        for terms, one_way in SynonymGroup.objects.order_by("pk").values_list("terms", "one_way")
    ]
    words = [
        *Brand.objects.values_list("name", flat=True),
        *Category.objects.values_list("name", flat=True),
        *(term for terms, _one_way in groups for term in terms),
    ]
    return words, groups


def _fingerprint(words, groups) -> str:
    raw = json.dumps([sorted(set(words)), groups], ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def _stored_fingerprint() -> str:
    return DictionaryState.objects.values_list("fingerprint", flat=True).first() or ""


@dataclass(frozen=True)
class Versions:
    """What a search reads before anything else: the shop version (catalog.shopcache, the
    result cache's key), the stored dictionary fingerprint and the vocabulary's token
    (`index_changed`)."""

    shop: int
    fingerprint: str
    index: str = ""


def read_versions() -> Versions:
    """The shop version, the dictionary's fingerprint and the vocabulary's token in one
    statement. Every change of the dictionary bumps the shop version, and so does every
    product saved: read apart, the first search after any product change paid a second
    query for the fingerprint."""
    state = DictionaryState._meta.db_table
    sql = (
        f"SELECT (SELECT version FROM {CacheVersion._meta.db_table} WHERE name = %s), "  # noqa: S608
        f"(SELECT fingerprint FROM {state} ORDER BY id LIMIT 1), "
        f"(SELECT index_token FROM {state} ORDER BY id LIMIT 1)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [SHOP_VERSION_NAME])
        version, fingerprint, index = cursor.fetchone()
    return Versions(version or 0, fingerprint or "", index or "")


def index_changed() -> None:
    """The vocabulary was written (a product indexed, the index emptied): a new token, so
    every process reads its queries again. Called in the transaction that wrote, as its
    last statement: the token moves when (and only if) the words do, and its row lock is
    held only until that commit."""
    token = uuid.uuid4().hex
    if not DictionaryState.objects.update(index_token=token):
        DictionaryState.objects.create(index_token=token)


def _load() -> Dictionary:
    words, groups = _read()
    fingerprint = _fingerprint(words, groups)
    current = _state.current
    if current is not None and current.fingerprint == fingerprint:
        return current
    analyzer = (
        current.analyzer
        if current is not None and current.analyzer.words == dictionary_words(words)
        else Analyzer(words)
    )
    synonyms = synonym_map(groups)
    _state.current = Dictionary(analyzer, synonyms, fingerprint, _spelled(synonyms))
    return _state.current


def _spelled(synonyms) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for word in synonyms:
        if " " in word or not text.is_cjk(word) or not all(text.is_cjk(c) for c in word):
            continue
        syllables = text.syllables(word)
        keys = {"".join(syllables)}
        if len(word) > 1:
            keys.add("".join(s[0] for s in syllables))
        for key in keys:
            out.setdefault(key, []).append(word)
    return {k: tuple(v) for k, v in out.items()}


def current(*, versions: Versions | None = None) -> Dictionary:
    """This process's dictionary, built again when the stored fingerprint has moved since
    this process last looked. A search passes the versions it has just read (no query
    here); indexing passes none and the fingerprint is read (one small query a batch)."""
    stored = versions.fingerprint if versions is not None else _stored_fingerprint()
    with _lock:
        if _state.current is None:
            _state.stored = stored
            return _load()
        if stored != _state.stored:
            _state.stored = stored
            if stored != _state.current.fingerprint:
                return _load()
        return _state.current


def refresh() -> bool:
    """Read the dictionary's words from the database again; when they differ from the
    stored fingerprint, store the new one and bump the shop version (cached result pages
    were found with the old words): every process, this one included, builds its
    tokenizer again when it next cuts text. True when it changed."""
    fingerprint = _fingerprint(*_read())
    with transaction.atomic():
        row = DictionaryState.objects.select_for_update().first()
        if row is not None and row.fingerprint == fingerprint:
            return False
        if row is None:
            DictionaryState.objects.create(fingerprint=fingerprint)
        else:
            row.fingerprint = fingerprint
            row.save(update_fields=["fingerprint", "changed_at"])
        bump_shop_version()
    return True


def forget() -> None:
    """Drop this process's dictionary (tests that switch databases)."""
    with _lock:
        _state.current, _state.stored = None, None

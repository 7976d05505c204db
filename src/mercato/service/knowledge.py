"""The knowledge base (咨询手册): articles by category, each edit a new numbered version
(the old ones stay readable, can be compared and restored), published or archived, and found
with the shop's Chinese text handling (search.text, search.analyzer: Traditional to
Simplified, jieba words, pinyin and initials).

Who may: `service.view_article` reads (every agent); `service.edit_article` writes,
publishes and archives (客户主管). Bad input raises a DomainError naming the field and
writes nothing.

Search: each article's current version is kept as words (ArticleTerm), one row per word
and pinyin reading, weighed by where the word is (title 3, category 2, text 1). A query is
cut the same way; a Latin word also matches the pinyin (tuihuo) or initials (th) of a
Chinese word. An article's score is the sum, over the query's words it holds, of the
word's weight times its rarity (log(1 + articles / articles holding it)); more of the
query's words first, then the higher score.
"""

import difflib
import math
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mercato.core.errors import Conflict, NotFound, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.search import analyzer, text, vocabulary
from mercato.search.parsing import STOP_WORDS, pieces_of

from .models import (
    Article,
    ArticleCategory,
    ArticleStatus,
    ArticleTerm,
    ArticleVersion,
    Direction,
)
from .services import _text  # the tickets' rule for a required, bounded text

EDIT = "service.edit_article"
MAX_TITLE, MAX_BODY, MAX_NOTE = 120, 20_000, 200
A = ArticleStatus
ALLOWED = {
    A.DRAFT: {A.PUBLISHED, A.ARCHIVED},
    A.PUBLISHED: {A.ARCHIVED},
    A.ARCHIVED: {A.PUBLISHED},
}
TITLE, CATEGORY, BODY = 3.0, 2.0, 1.0
SPELLED, INITIALS = 0.9, 0.8  # a pinyin or initials match counts a little less
PAIR = 0.5  # two characters in a row that are not one of jieba's words
# Words of a question that say nothing about its topic (支付失败怎么办 is about 支付失败).
QUESTION_WORDS = frozenset(
    "怎么 怎么办 怎样 如何 什么 为什么 为啥 哪里 哪些 多久 是否 能否".split()
)
MAX_QUERY_WORDS = 20
MAX_TEXT_WORDS = 60  # of a conversation's text, for suggestions
MAX_TEXT = 4000
NEAR_BEST = 0.4  # a suggestion scores at least this share of the best one's
# Words of a conversation that say nothing about its topic.
CHAT_WORDS = frozenset(
    "您好 你好 谢谢 感谢 麻烦 客服 亲 亲亲 问 问题 一下 这个 那个 可以 "
    "能 不能 还 没有 已经 现在 时候 今天 昨天 我们 你们 他们 请 帮 帮忙 看看 收到".split()
)


# -- writing --------------------------------------------------------------------------------
def _locked(article_id) -> Article:
    article = Article.objects.select_for_update().filter(pk=article_id).first()
    if article is None:
        raise NotFound(_("No such article."), field="article")
    return article


def _category(category_id) -> ArticleCategory:
    category = ArticleCategory.objects.filter(pk=category_id).first() if category_id else None
    if category is None:
        raise ValidationFailed({"category": [_("Choose a category.")]})
    return category


def _new_version(article, *, actor, title, body, note, now) -> ArticleVersion:
    """The next version of `article` (whose row the caller holds locked), made current."""
    last = article.versions.aggregate(n=Max("number"))["n"] or 0
    version = ArticleVersion.objects.create(
        article=article, number=last + 1, title=title, body=body, note=note,
        author=actor if getattr(actor, "pk", None) else None, created_at=now,
    )  # fmt: skip
    article.current = version
    article.updated_at = now
    article.save(update_fields=["current", "updated_at", "category"])
    index_article(article)
    return version


@transaction.atomic
def save_category(*, actor, name: str, position: int = 0, category_id=None) -> ArticleCategory:
    """A new category, or (with `category_id`) one renamed or moved: its articles are then
    searched by the new name."""
    require_perm(actor, EDIT)
    name = _text(name, "name", limit=40)
    if ArticleCategory.objects.filter(name=name).exclude(pk=category_id).exists():
        raise ValidationFailed({"name": [_("A category of this name exists.")]})
    if category_id is None:
        return ArticleCategory.objects.create(name=name, position=position)
    category = ArticleCategory.objects.select_for_update().filter(pk=category_id).first()
    if category is None:
        raise NotFound(_("No such category."), field="category")
    renamed = category.name != name
    category.name, category.position = name, position
    category.save(update_fields=["name", "position"])
    if renamed:
        for article in category.articles.select_related("current", "category"):
            index_article(article)
    return category


def create_category(*, actor, name: str, position: int = 0) -> ArticleCategory:
    return save_category(actor=actor, name=name, position=position)


@transaction.atomic
def create_article(
    *, actor, category_id, title: str, body: str, note: str = "", now=None
) -> Article:
    """A new draft article with its first version."""
    require_perm(actor, EDIT)
    now = now or timezone.now()
    category = _category(category_id)
    title = _text(title, "title", limit=MAX_TITLE)
    body = _text(body, "body", limit=MAX_BODY)
    note = _text(note, "note", limit=MAX_NOTE, required=False)
    article = Article.objects.create(category=category, created_at=now, updated_at=now)
    _new_version(article, actor=actor, title=title, body=body, note=note, now=now)
    return article


@transaction.atomic
def edit_article(
    *, actor, article_id, title: str, body: str, note: str = "", category_id=None,
    base_number: int | None = None, now=None,
) -> Article:  # fmt: skip
    """A new version with this title and text (the earlier ones stay). `base_number`: the
    version the editor started from; when someone saved another since, the edit is refused
    (it would silently undo theirs)."""
    require_perm(actor, EDIT)
    now = now or timezone.now()
    article = _locked(article_id)
    title = _text(title, "title", limit=MAX_TITLE)
    body = _text(body, "body", limit=MAX_BODY)
    note = _text(note, "note", limit=MAX_NOTE, required=False)
    current = article.current
    if base_number is not None and current is not None and current.number != base_number:
        raise Conflict(
            _("Version %(n)s was saved while you were editing; open it and edit again.")
            % {"n": current.number},
            field="base_number",
        )
    category = _category(category_id) if category_id else article.category
    if current and (current.title, current.body, article.category_id) == (
        title, body, category.pk,
    ):  # fmt: skip
        raise ValidationFailed({"body": [_("Nothing changed.")]})
    article.category = category
    _new_version(article, actor=actor, title=title, body=body, note=note, now=now)
    return article


@transaction.atomic
def restore_version(*, actor, article_id, number, now=None) -> Article:
    """A new version with the title and text of version `number`."""
    require_perm(actor, EDIT)
    now = now or timezone.now()
    article = _locked(article_id)
    old = article.versions.filter(number=number).first() if str(number).isdigit() else None
    if old is None:
        raise ValidationFailed({"number": [_("No such version of this article.")]})
    if article.current_id == old.pk:
        raise ValidationFailed({"number": [_("This is the current version.")]})
    note = _("Restored version %(n)s") % {"n": old.number}
    _new_version(article, actor=actor, title=old.title, body=old.body, note=note, now=now)
    return article


@transaction.atomic
def set_article_status(*, actor, article_id, status: str, now=None) -> Article:
    """Publish (agents see it, suggestions offer it) or archive (kept, offered no more)."""
    require_perm(actor, EDIT)
    article = _locked(article_id)
    if status not in A.values:
        raise ValidationFailed({"status": [_("Unknown status.")]})
    if status not in ALLOWED[article.status]:
        raise Conflict(
            _("A %(current)s article cannot become %(target)s.")
            % {"current": A(article.status).label, "target": A(status).label},
            field="status",
        )
    article.status = status
    article.updated_at = now or timezone.now()
    article.save(update_fields=["status", "updated_at"])
    return article


# -- comparing versions -----------------------------------------------------------------------
@dataclass
class DiffLine:
    kind: str  # same, added, removed, changed
    parts: list = field(default_factory=list)  # (same | added | removed, text)


def _lines(version: ArticleVersion) -> list[str]:
    return [version.title, "", *version.body.splitlines()]


def diff_versions(old: ArticleVersion, new: ArticleVersion) -> list[DiffLine]:
    """The title and text of `old` against `new`, line by line; a changed line shows what
    was removed and added within it, character by character (Chinese has no spaces)."""
    a, b = _lines(old), _lines(new)
    out: list[DiffLine] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out += [DiffLine("same", [("same", line)]) for line in a[i1:i2]]
        elif op == "replace" and i2 - i1 == j2 - j1:
            for old_line, new_line in zip(a[i1:i2], b[j1:j2], strict=True):
                out.append(DiffLine("changed", _inline(old_line, new_line)))
        else:
            out += [DiffLine("removed", [("removed", line)]) for line in a[i1:i2]]
            out += [DiffLine("added", [("added", line)]) for line in b[j1:j2]]
    return out


def _inline(old: str, new: str) -> list[tuple[str, str]]:
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new).get_opcodes():
        if op == "equal":
            parts.append(("same", old[i1:i2]))
        else:
            if i2 > i1:
                parts.append(("removed", old[i1:i2]))
            if j2 > j1:
                parts.append(("added", new[j1:j2]))
    return parts


# -- the search index ------------------------------------------------------------------------
def _topical(token: str) -> bool:
    """Not a function word, a question word or a lone Chinese character."""
    return not (
        token in STOP_WORDS or token in QUESTION_WORDS or (len(token) == 1 and text.is_cjk(token))
    )


def _words(value: str) -> dict[str, float]:
    """An article's words as indexed, {word: share of its field's weight}: jieba's words
    (with the shorter words inside long ones) fully, and every two Chinese characters in a
    row at PAIR, so a word jieba cut otherwise here is still found (退货运费 is cut
    退|货运费, yet holds 退货 and 运费)."""
    out: dict[str, float] = {}
    for kind, run in text.runs(value):
        if kind == "cjk":
            for i in range(len(run) - 1):
                out.setdefault(run[i : i + 2], PAIR)
    for token in analyzer.plain().tokens(value, for_index=True):
        if len(token) <= 60:
            out[token] = 1.0
    return {word: share for word, share in out.items() if _topical(word)}


def index_article(article: Article) -> None:
    """Write the search words of the article's current version (and category)."""
    ArticleTerm.objects.filter(article=article).delete()
    version = article.current
    if version is None:
        return
    weights: dict[str, float] = {}
    words = set()  # jieba's words (not only pairs): only these are found by initials
    for value, weight in ((version.title, TITLE), (article.category.name, CATEGORY),
                          (version.body, BODY)):  # fmt: skip
        for word, share in _words(value).items():
            weights[word] = max(weights.get(word, 0.0), weight * share)
            if share == 1.0:
                words.add(word)
    rows = []
    for word, weight in sorted(weights.items()):
        spelled = vocabulary.spellings(word) if text.is_cjk(word) else []
        for spell, initials, _fuzzy, _primary in spelled or [("", "", "", True)]:
            # Pairs across two words (签收后 → 收后) would answer initials at random.
            initials = initials[:30] if word in words else ""
            rows.append(
                ArticleTerm(article=article, term=word, spell=spell[:120], initials=initials,
                            weight=weight)
            )  # fmt: skip
    ArticleTerm.objects.bulk_create(rows)


def reindex_articles() -> int:
    """Index every article again (after jieba or pypinyin changed): their number."""
    articles = list(Article.objects.select_related("current", "category"))
    with transaction.atomic():
        for article in articles:
            index_article(article)
    return len(articles)


# -- searching --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Word:
    token: str
    latin: bool  # may be pinyin or initials


def query_words(query: str) -> list[Word]:
    """A search box's words: Traditional read as Simplified, pinyin typed a syllable at a
    time joined (tui huo → tuihuo), function words left out."""
    cleaned, _shortened = text.clean_query(query)
    words = []
    for piece in pieces_of(cleaned, analyzer.plain()):
        tokens = _paired(piece.tokens) if piece.kind == "cjk" else piece.tokens
        words += [Word(t, piece.kind == "latin") for t in tokens if _topical(t)]
    return list(dict.fromkeys(words))[:MAX_QUERY_WORDS]


def _paired(tokens: list[str]) -> list[str]:
    """Chinese words, with a run of lone characters read as the pairs it holds, as the
    index keeps them (到账, cut 到|账, is the pair 到账)."""
    out, run = [], []
    for token in [*tokens, ""]:
        if len(token) == 1 and text.is_cjk(token):
            run.append(token)
            continue
        if len(run) >= 2:
            out += [run[i] + run[i + 1] for i in range(len(run) - 1)]
        out += [*run, token] if token else run
        run = []
    return out


def conversation_words(value: str) -> list[Word]:
    """The words of a conversation that may name its topic (no greetings, no function
    words, no lone characters), each once, in order. Latin words are matched as words and
    as whole pinyin, never as initials (ok, hi)."""
    words = []
    for token in _paired(analyzer.plain().tokens(str(value or "")[:MAX_TEXT])):
        if not _topical(token) or token in CHAT_WORDS or len(token) == 1 or token.isdigit():
            continue
        words.append(Word(token, False))
        if text.is_latin(token):
            words.append(Word(token, True))
    return list(dict.fromkeys(words))[:MAX_TEXT_WORDS]


@dataclass
class Found:
    article_id: int
    matched: int
    score: float


def rank(words: list[Word], *, statuses=(A.PUBLISHED,), initials: bool = True,
         common: float | None = None) -> list[Found]:  # fmt: skip
    """Articles in `statuses` holding any of `words`, best first (two queries). `common`:
    words held by more than this share of the articles are left out (a conversation's
    everyday words)."""
    if not words:
        return []
    terms = {w.token for w in words}
    latin = {w.token for w in words if w.latin}
    condition = Q(term__in=terms)
    if latin:
        condition |= Q(spell__in=latin)
        if initials:
            condition |= Q(initials__in={t for t in latin if len(t) >= 2})
    rows = list(
        ArticleTerm.objects.filter(condition, article__status__in=statuses).values_list(
            "article_id", "term", "spell", "initials", "weight"
        )
    )
    if not rows:
        return []
    total = Article.objects.filter(status__in=statuses).count()
    # The query's words by what they match: one look-up per row, however many words.
    as_term = {w.token: w for w in words}
    as_spell = {w.token: w for w in words if w.latin}
    as_initials = {t: w for t, w in as_spell.items() if initials and len(t) >= 2}
    by_word: dict[Word, dict[int, float]] = {}
    for article_id, term, spell, initials_of, weight in rows:
        for word, value in (
            (as_term.get(term), weight),
            (as_spell.get(spell), weight * SPELLED),
            (as_initials.get(initials_of), weight * INITIALS),
        ):
            if word is not None:
                best = by_word.setdefault(word, {})
                best[article_id] = max(best.get(article_id, 0.0), value)
    found: dict[int, Found] = {}
    for articles in by_word.values():
        if common is not None and total >= 4 and len(articles) > common * total:
            continue
        rarity = math.log(1 + total / len(articles))
        for article_id, value in articles.items():
            hit = found.setdefault(article_id, Found(article_id, 0, 0.0))
            hit.matched += 1
            hit.score += value * rarity
    return sorted(found.values(), key=lambda f: (-f.matched, -round(f.score, 6), -f.article_id))


def articles_in_order(ids) -> list[Article]:
    by_id = Article.objects.select_related("current", "category").in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


def search_articles(query: str, *, statuses=(A.PUBLISHED,), limit: int = 50) -> list[Article]:
    """Articles for a search box's query, best first; [] when nothing matches."""
    hits = rank(query_words(query), statuses=statuses)[:limit]
    return articles_in_order([h.article_id for h in hits])


def suggest_articles(text, limit=5) -> list[Article]:
    """The published articles that best match a conversation's or a ticket's text (a
    canned answer for the agent), best first, each scoring at least NEAR_BEST of the best
    one: objects with .pk, .title and .body (of the current version) and .category. At
    most three queries; [] when nothing fits."""
    hits = rank(conversation_words(text), initials=False, common=0.5)
    hits.sort(key=lambda f: (-round(f.score, 6), -f.article_id))
    # A long conversation shares a stray word with many articles: keep those near the best.
    hits = [h for h in hits if h.score >= NEAR_BEST * hits[0].score] if hits else []
    return articles_in_order([h.article_id for h in hits[: max(int(limit), 0)]])


LIST_LIMIT = 100


def article_list(*, user, query: str = "", category_id=None, status: str = "") -> list[Article]:
    """The articles `user` may read (agents: published ones; editors: any, or `status`),
    at most LIST_LIMIT: for a search query the best first, else by category, newest first."""
    statuses = [A.PUBLISHED]
    if user.has_perm(EDIT):
        statuses = [status] if status else A.values
    query = (query or "").strip()
    if query:
        found = search_articles(query, statuses=statuses, limit=LIST_LIMIT)
        return [a for a in found if not category_id or a.category_id == int(category_id)]
    articles = Article.objects.filter(status__in=statuses).select_related("current", "category")
    if category_id:
        articles = articles.filter(category_id=category_id)
    ordered = articles.order_by("category__position", "category__name", "-updated_at")
    return list(ordered[:LIST_LIMIT])


def readable_article(*, user, article_id) -> Article | None:
    """One article with its versions (and their authors), None when there is none or
    `user` may not read it (an agent reads published articles only)."""
    article = (
        Article.objects.select_related("current__author", "category")
        .prefetch_related("versions__author")
        .filter(pk=article_id)
        .first()
    )
    if article is None or (article.status != A.PUBLISHED and not user.has_perm(EDIT)):
        return None
    return article


def ticket_text(ticket) -> str:
    """What a ticket is about: its subject and the customer's messages (from the
    prefetched thread, no query when `ticket.messages` is prefetched)."""
    said = [m.body for m in ticket.messages.all() if m.direction == Direction.INBOUND]
    return "\n".join([ticket.subject, *said])

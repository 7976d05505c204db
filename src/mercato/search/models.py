from django.db import models
from django.utils.translation import gettext_lazy as _

from mercato.catalog.models import Product
from mercato.core.models import TimeStampedModel


class TermKind(models.IntegerChoices):
    """Where a term is found, by how much it speaks for a product (higher first): a query's
    pinyin, initials or unfinished word is read as the likeliest terms (hw → 华为 before
    户外, both before 红外 in a spec)."""

    FALLBACK = 1, _("character or parent-category word")
    SPEC = 2, _("spec value or description word")
    WORD = 3, _("word of a name")
    CATEGORY = 4, _("category")
    BRAND = 5, _("brand")


class SearchDocument(models.Model):
    """The searchable text of one product on sale, as space-separated tokens per field,
    weighed in this order:

    name_tokens      (A) the name and the brand (Chinese, Latin, joined: esteelauder)
    category_tokens  (B) the product's own (leaf) category, whole and in words
    detail_tokens    (C) spec values, subtitle, SEO keywords, code, parent categories whole
    fallback_tokens  (D) parent categories' inner words and single Chinese characters: a
                     query word matches here only when the rest of the index lacks it, so
                     手机数码's 手机 never makes a charger a phone

    The text search itself lives beside it, per database: on PostgreSQL a generated,
    weighted tsvector column with a GIN index; on SQLite the FTS5 table `search_fts`
    (rowid = product id, columns a, b, c, d). Both are created in migrations.
    """

    product = models.OneToOneField(
        Product, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    name_tokens = models.TextField(blank=True)
    category_tokens = models.TextField(blank=True)
    detail_tokens = models.TextField(blank=True)
    fallback_tokens = models.TextField(blank=True)
    # The spec values of the product's active SKUs, "name\tvalue" a line: search counts its
    # spec facets from the matches without another query (search.facets).
    spec_values = models.TextField(blank=True)
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")

    def __str__(self) -> str:
        return f"search document of product {self.product_id}"


class SearchTerm(models.Model):
    """A token of the index and one way to type it in Latin letters: the vocabulary that
    queries are read against (pinyin, initials, unfinished words, typos). 华为 has the
    spelling huawei (initials hw); a Latin token is its own spelling. Written when products
    are indexed; `docs` counts the products holding it as of the last full rebuild (later
    re-indexing only adds terms), `sold` their units sold (catalog.ProductPopularity)."""

    term = models.CharField(max_length=60)
    spell = models.CharField(max_length=120)
    initials = models.CharField(max_length=30, blank=True, db_index=True)
    fuzzy = models.CharField(max_length=120, blank=True, db_index=True)
    kind = models.PositiveSmallIntegerField(choices=TermKind.choices, default=TermKind.WORD)
    primary = models.BooleanField(default=True)  # the reading in context (not 活力 as guoli)
    docs = models.PositiveIntegerField(default=0)
    sold = models.PositiveIntegerField(default=0)  # units sold of those products
    length = models.PositiveSmallIntegerField(db_index=True)  # of the spelling

    class Meta:
        verbose_name = _("search term")
        verbose_name_plural = _("search terms")
        constraints = [
            models.UniqueConstraint(fields=["term", "spell"], name="searchterm_term_spell_unique")
        ]
        indexes = [models.Index(fields=["spell"], name="searchterm_spell_idx")]

    def __str__(self) -> str:
        return f"{self.term} ({self.spell})"


class DictionaryState(models.Model):
    """One row: the fingerprint of the dictionary (the words jieba keeps whole and the
    synonym groups). A server process whose tokenizer was built from another fingerprint
    builds it again, so every process cuts text alike."""

    fingerprint = models.CharField(max_length=64, blank=True)
    changed_at = models.DateTimeField(auto_now=True)
    # A new random token whenever the vocabulary (SearchTerm) is written: a process keeps
    # the queries it has read under it (search.parsing), and reads them again once it moves.
    index_token = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        verbose_name = _("search dictionary state")
        verbose_name_plural = _("search dictionary state")

    def __str__(self) -> str:
        return self.fingerprint


class SynonymGroup(TimeStampedModel):
    """Words customers use for the same thing (手机, 移动电话): a query for one finds all.

    One-way (`one_way`): the first word means the others, not the other way round
    (橙子 → 脐橙, 冰糖橙: a search for 脐橙 does not bring 冰糖橙). A word may be the
    searched word of one group only. Terms may be phrases (iphone → 苹果 手机): all their
    words must match."""

    terms = models.JSONField(_("terms"), default=list)
    one_way = models.BooleanField(_("one way"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonym groups")
        permissions = [("manage_search", "Can manage search synonyms and read search logs")]

    def __str__(self) -> str:
        if self.one_way:
            return f"{self.terms[0]} → {', '.join(self.terms[1:])}"
        return " = ".join(self.terms)


class SearchQueryDay(models.Model):
    """How often a (cleaned, lower-case) query was searched on one day, and how often it
    found nothing: hot searches and the zero-result log both read it."""

    query = models.CharField(_("query"), max_length=100)
    day = models.DateField(_("day"))
    searches = models.PositiveIntegerField(_("searches"), default=0)
    zero_results = models.PositiveIntegerField(_("searches without results"), default=0)
    last_seen = models.DateTimeField(_("last searched"))

    class Meta:
        ordering = ["-day", "-searches"]
        verbose_name = _("search query count")
        verbose_name_plural = _("search query counts")
        constraints = [
            models.UniqueConstraint(fields=["query", "day"], name="searchqueryday_unique")
        ]
        indexes = [models.Index(fields=["day", "query"], name="searchqueryday_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.query} ×{self.searches}"


class HiddenHotSearch(models.Model):
    """A query operations keep out of the hot-search list (a typo, a competitor, a joke)."""

    query = models.CharField(_("query"), max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("hidden hot search")
        verbose_name_plural = _("hidden hot searches")

    def __str__(self) -> str:
        return self.query

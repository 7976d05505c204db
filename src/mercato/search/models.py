from django.db import models
from django.utils.translation import gettext_lazy as _

from mercato.catalog.models import Product
from mercato.core.models import TimeStampedModel


class SearchDocument(models.Model):
    """The searchable text of one product on sale, as space-separated tokens per field.

    The text search itself lives beside it, per database: on PostgreSQL a generated,
    weighted tsvector column with a GIN index; on SQLite the FTS5 table `search_fts`
    (rowid = product id). Both are created in migration 0002.
    """

    product = models.OneToOneField(
        Product, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    name_tokens = models.TextField(blank=True)
    meta_tokens = models.TextField(blank=True)  # brand and category path
    body_tokens = models.TextField(blank=True)  # subtitle, spec values, SEO keywords, codes
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")

    def __str__(self) -> str:
        return f"search document of product {self.product_id}"


class SearchTerm(models.Model):
    """A Latin word of the index (brand names, pinyin, model words): the vocabulary that
    misspelt words are corrected against. Terms are only added; rebuilding clears them."""

    term = models.CharField(max_length=60, unique=True)
    length = models.PositiveSmallIntegerField(db_index=True)

    class Meta:
        verbose_name = _("search term")
        verbose_name_plural = _("search terms")

    def __str__(self) -> str:
        return self.term


class SynonymGroup(TimeStampedModel):
    """Words customers use for the same thing (手机, 移动电话): a query for one finds all."""

    terms = models.JSONField(_("terms"), default=list)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonym groups")
        permissions = [("manage_search", "Can manage search synonyms and read search logs")]

    def __str__(self) -> str:
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

"""Promotions: what the shop gives, to whom, when, and how often.

The engine (engine.py) computes with `engine.Offer`s built from these rows
(selectors.offer_of); the kinds, scopes and targets here have the engine's values.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mercato.core.models import TimeStampedModel

from . import engine

MONEY = {"max_digits": 12, "decimal_places": 2}


class Kind(models.TextChoices):
    PERCENT_OFF = engine.PERCENT_OFF, _("Percentage off")
    AMOUNT_OFF = engine.AMOUNT_OFF, _("Amount off each item")
    SPEND_SAVE = engine.SPEND_SAVE, _("Spend and save (满减)")
    NTH_ITEM = engine.NTH_ITEM, _("Nth item discount (满件折)")
    BUY_X_GET_Y = engine.BUY_X_GET_Y, _("Buy X get Y")
    FREE_SHIPPING = engine.FREE_SHIPPING, _("Free shipping")


class Scope(models.TextChoices):
    ALL = engine.ALL, _("All products")
    PRODUCTS = engine.PRODUCTS, _("Chosen products")
    CATEGORIES = engine.CATEGORIES, _("Chosen categories")
    BRANDS = engine.BRANDS, _("Chosen brands")


class Target(models.TextChoices):
    ALL = engine.EVERYONE, _("All customers")
    NEW = engine.NEW_CUSTOMERS, _("New customers")
    TIER = engine.TIER, _("Members of a tier")


class Channel(models.TextChoices):
    ALL = engine.ANY_CHANNEL, _("All channels")
    WEB = "web", _("Website")
    API = "api", _("App / API")


class Status(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("promotion status", "Draft")
    ACTIVE = "active", pgettext_lazy("promotion status", "Active")
    ENDED = "ended", pgettext_lazy("promotion status", "Ended")


class Promotion(TimeStampedModel):
    """One promotion. Which fields matter depends on `kind`:

    percent_off: percent; amount_off: amount (per unit); spend_save: tiers
    ([{"threshold": "199.00", "amount": "20.00"}, ...], thresholds ascending);
    nth_item: nth and percent; buy_x_get_y: buy_quantity, get_quantity, get_sku (blank:
    the same SKU) and percent (blank: free); free_shipping: min_amount and/or provinces.
    scope_ids are product or brand ids, or category ids (with their subcategories).
    Written through services.create_promotion / update_promotion, which validate.
    """

    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices, default=Scope.ALL)
    scope_ids = models.JSONField(_("products, categories or brands"), default=list, blank=True)
    percent = models.DecimalField(
        _("percent off"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    amount = models.DecimalField(_("amount off"), null=True, blank=True, **MONEY)
    tiers = models.JSONField(_("tiers"), default=list, blank=True)
    min_amount = models.DecimalField(_("minimum spend"), null=True, blank=True, **MONEY)
    provinces = models.JSONField(_("provinces"), default=list, blank=True)
    nth = models.PositiveSmallIntegerField(_("every Nth item"), null=True, blank=True)
    buy_quantity = models.PositiveSmallIntegerField(_("buy quantity"), null=True, blank=True)
    get_quantity = models.PositiveSmallIntegerField(_("get quantity"), null=True, blank=True)
    get_sku = models.ForeignKey(
        "catalog.Sku",
        verbose_name=_("SKU given"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    channel = models.CharField(
        _("sales channel"), max_length=8, choices=Channel.choices, default=Channel.ALL
    )
    target = models.CharField(
        _("for customers"), max_length=8, choices=Target.choices, default=Target.ALL
    )
    tier_code = models.CharField(_("member tier"), max_length=20, blank=True)
    usage_limit = models.PositiveIntegerField(_("total uses"), null=True, blank=True)
    per_customer_limit = models.PositiveIntegerField(_("uses per customer"), null=True, blank=True)
    # Uses counted against usage_limit (services.claim_uses); only promotions with a limit
    # are counted here, every use has a Redemption row.
    used = models.PositiveIntegerField(_("times used"), default=0)
    priority = models.SmallIntegerField(_("priority"), default=0)
    exclusive_group = models.CharField(_("stacking group"), max_length=40, blank=True)
    stackable = models.BooleanField(_("combines with other promotions"), default=True)

    class Meta:
        ordering = ["-priority", "id"]
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        indexes = [models.Index(fields=["status", "ends_at"], name="promotion_running_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="promotion_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(used__lte=F("usage_limit")),
                name="promotion_used_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | (Q(percent__gt=0) & Q(percent__lte=100)),
                name="promotion_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0),
                name="promotion_amount_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PromotionEvent(models.Model):
    """A status change of a promotion: who, when, from, to, why."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(_("from"), max_length=10, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=10, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("promotion event")
        verbose_name_plural = _("promotion events")

    def __str__(self) -> str:
        return f"{self.promotion_id}: {self.from_status or '-'} → {self.to_status}"


class CustomerUse(models.Model):
    """How many times one customer has had one promotion (for per-customer limits)."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    used = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("promotion use by a customer")
        verbose_name_plural = _("promotion uses by customers")
        constraints = [
            models.UniqueConstraint(
                fields=["promotion", "customer"], name="promotion_customer_use_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.promotion_id} × {self.used}"


class Redemption(models.Model):
    """One promotion applied to one placed order: what it took off the goods and shipping."""

    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="redemptions")
    order_number = models.CharField(_("order number"), max_length=32, db_index=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    discount = models.DecimalField(_("discount"), **MONEY)
    shipping_off = models.DecimalField(_("shipping waived"), **MONEY)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")

    def __str__(self) -> str:
        return f"{self.order_number}: {self.discount}"

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
    GIFT = engine.GIFT, _("Gift with purchase (赠品)")


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
    the same SKU) and percent (blank: free); free_shipping: min_amount and/or provinces;
    gift: get_sku (the gift), get_quantity and min_amount (blank: any item in scope).
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


# Coupons (优惠券) ---------------------------------------------------------------------------
# A template says what a coupon gives and how it is issued; a Coupon is one issued coupon
# (a customer's own, or a bearer code anyone may use up to its limit); a CouponUse is one
# use by one order (returned when the unpaid order is cancelled). coupons.py writes them.


class CouponKind(models.TextChoices):
    AMOUNT_OFF = "amount_off", _("Amount off (满减券)")
    PERCENT_OFF = "percent_off", _("Percentage off (折扣券)")
    FREE_SHIPPING = "free_shipping", _("Free shipping (包邮券)")


class CouponTemplate(TimeStampedModel):
    """What a coupon gives (kind, amount or percent with a cap, the spend it needs, the
    products it covers), how long it is valid (fixed dates, or N days from issue), and how
    it is issued (claimed on the page, by a claim code, in bulk, as a reward, or as one
    shared code). `issued` counts the coupons issued against `issue_limit`."""

    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=CouponKind.choices)
    amount = models.DecimalField(_("amount off"), null=True, blank=True, **MONEY)
    percent = models.DecimalField(
        _("percent off"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    cap = models.DecimalField(_("at most off"), null=True, blank=True, **MONEY)
    threshold = models.DecimalField(_("minimum spend"), null=True, blank=True, **MONEY)
    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices, default=Scope.ALL)
    scope_ids = models.JSONField(_("products, categories or brands"), default=list, blank=True)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    valid_days = models.PositiveSmallIntegerField(
        _("valid days after issue"), null=True, blank=True
    )
    issue_limit = models.PositiveIntegerField(_("coupons to issue"), null=True, blank=True)
    issued = models.PositiveIntegerField(_("issued"), default=0)
    per_customer_limit = models.PositiveSmallIntegerField(_("coupons per customer"), default=1)
    claimable = models.BooleanField(_("claimable on the coupon page"), default=False)
    claim_code = models.CharField(_("claim code"), max_length=20, blank=True)
    shared_code = models.CharField(_("shared code"), max_length=20, blank=True)
    shared_limit = models.PositiveIntegerField(_("uses of the shared code"), null=True, blank=True)
    stackable = models.BooleanField(_("combines with promotions"), default=True)
    active = models.BooleanField(_("issuing"), default=True)
    # 积分兑换: the points one coupon costs in the member center; blank: not for points.
    points_price = models.PositiveIntegerField(
        _("points price"),
        null=True,
        blank=True,
        help_text=_("Members may exchange this many points for one coupon; empty: not for points."),
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("coupon template")
        verbose_name_plural = _("coupon templates")
        constraints = [
            models.CheckConstraint(
                condition=Q(issue_limit__isnull=True) | Q(issued__lte=F("issue_limit")),
                name="coupon_template_issued_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | (Q(percent__gt=0) & Q(percent__lte=100)),
                name="coupon_template_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0),
                name="coupon_template_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(cap__gt=0), name="coupon_template_cap_positive"
            ),
            models.CheckConstraint(
                condition=Q(threshold__isnull=True) | Q(threshold__gte=0),
                name="coupon_template_threshold_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(valid_days__gt=0)
                | Q(valid_from__isnull=False, valid_until__gt=F("valid_from")),
                name="coupon_template_validity",
            ),
            models.UniqueConstraint(
                fields=["claim_code"], condition=~Q(claim_code=""), name="coupon_claim_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CouponStatus(models.TextChoices):
    AVAILABLE = "available", pgettext_lazy("coupon status", "Available")
    USED = "used", pgettext_lazy("coupon status", "Used")
    EXPIRED = "expired", pgettext_lazy("coupon status", "Expired")
    VOID = "void", pgettext_lazy("coupon status", "Cancelled")


class IssuedVia(models.TextChoices):
    CLAIM = "claim", _("Claimed on the coupon page")
    CODE = "code", _("Claim code")
    BULK = "bulk", _("Bulk issue")
    REWARD = "reward", _("Reward")
    SHARED = "shared", _("Shared code")


class Coupon(models.Model):
    """One issued coupon. A customer's own (customer set, use_limit 1), or a bearer code
    (customer empty: a shared code anyone signed in may use once, up to use_limit in all).
    `used` counts uses against `use_limit`; status is available until the last use (then
    used) or void. Expiry is read from valid_until (`state`), no sweep needed."""

    template = models.ForeignKey(CouponTemplate, on_delete=models.PROTECT, related_name="coupons")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    code = models.CharField(_("coupon code"), max_length=20, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CouponStatus.choices, default=CouponStatus.AVAILABLE
    )
    use_limit = models.PositiveIntegerField(_("uses"), default=1)
    used = models.PositiveIntegerField(_("times used"), default=0)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    issued_via = models.CharField(_("issued by"), max_length=10, choices=IssuedVia.choices)
    note = models.CharField(_("note"), max_length=120, blank=True)
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        ordering = ["valid_until", "id"]
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        indexes = [
            models.Index(fields=["customer", "status", "valid_until"], name="coupon_mine_idx"),
            models.Index(fields=["template", "customer"], name="coupon_template_customer_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(used__lte=F("use_limit")), name="coupon_used_within_limit"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("valid_from")), name="coupon_valid_until_after_from"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def state(self, now) -> str:
        """The status a customer sees: available coupons past their end are expired."""
        if self.status == CouponStatus.AVAILABLE and now >= self.valid_until:
            return CouponStatus.EXPIRED
        return self.status


class CouponUse(models.Model):
    """One use of a coupon by an order: what it took off. `returned_at`: the unpaid order
    was cancelled and the use given back."""

    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="uses")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    order_number = models.CharField(_("order number"), max_length=32, db_index=True)
    discount = models.DecimalField(_("discount"), **MONEY)
    shipping_off = models.DecimalField(_("shipping waived"), **MONEY)
    used_at = models.DateTimeField(_("used at"), auto_now_add=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)

    class Meta:
        ordering = ["-used_at", "-id"]
        verbose_name = _("coupon use")
        verbose_name_plural = _("coupon uses")
        constraints = [
            # A bearer code once per customer (a returned use does not count).
            models.UniqueConstraint(
                fields=["coupon", "customer"],
                condition=Q(returned_at__isnull=True, customer__isnull=False),
                name="coupon_use_once_per_customer",
            )
        ]

    def __str__(self) -> str:
        return f"{self.coupon_id} → {self.order_number}"


class IssueJob(models.Model):
    """Issuing a template's coupons to a segment of customers in the background: how far
    it has got (core.progress), what it issued and skipped (limits reached)."""

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("job status", "Queued")
        RUNNING = "running", pgettext_lazy("job status", "Running")
        DONE = "done", pgettext_lazy("job status", "Done")
        FAILED = "failed", pgettext_lazy("job status", "Failed")

    template = models.ForeignKey(CouponTemplate, on_delete=models.CASCADE, related_name="jobs")
    segment = models.JSONField(_("customer segment"), default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    issued = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("coupon issue job")
        verbose_name_plural = _("coupon issue jobs")

    def __str__(self) -> str:
        return f"{self.template_id}: {self.done}/{self.total}"


# Flash sales (秒杀) ------------------------------------------------------------------------
# A sale lists SKUs at a sale price, each with a quantity and a per-customer limit. The gate
# (flash.py) counts units taken in `sold` and in FlashPurchase (per customer) with
# conditional UPDATEs; FlashOrder says which order took how many, so a cancelled or expired
# unpaid order gives them back.


class FlashSaleStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", pgettext_lazy("flash sale", "Cancelled")


class FlashSale(TimeStampedModel):
    name = models.CharField(_("name"), max_length=100)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=FlashSaleStatus.choices,
        default=FlashSaleStatus.SCHEDULED,
    )

    class Meta:
        verbose_name = _("flash sale")
        verbose_name_plural = _("flash sales")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="flash_sale_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.name


class FlashSaleItem(models.Model):
    sale = models.ForeignKey(FlashSale, on_delete=models.CASCADE, related_name="items")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="+")
    price = models.DecimalField(_("flash price"), **MONEY)
    quantity = models.PositiveIntegerField(_("quantity on sale"))
    sold = models.PositiveIntegerField(_("units taken"), default=0)
    per_customer_limit = models.PositiveIntegerField(_("limit per customer"), default=1)

    class Meta:
        verbose_name = _("flash sale item")
        verbose_name_plural = _("flash sale items")
        constraints = [
            models.UniqueConstraint(fields=["sale", "sku"], name="flash_item_one_per_sku"),
            models.CheckConstraint(condition=Q(sold__lte=F("quantity")), name="flash_no_oversell"),
            models.CheckConstraint(condition=Q(price__gt=0), name="flash_price_positive"),
            models.CheckConstraint(
                condition=Q(per_customer_limit__gte=1), name="flash_limit_at_least_one"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sale_id}/{self.sku_id}"

    @property
    def remaining(self) -> int:
        return self.quantity - self.sold


class FlashPurchase(models.Model):
    """Units of one sale item a customer holds (in orders not cancelled)."""

    item = models.ForeignKey(FlashSaleItem, on_delete=models.CASCADE, related_name="purchases")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="flash_purchases"
    )
    units = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "customer"], name="flash_purchase_once"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}/{self.customer_id}: {self.units}"


class FlashOrder(models.Model):
    """Which order took how many units of a sale item; returned_at once given back."""

    item = models.ForeignKey(FlashSaleItem, on_delete=models.CASCADE, related_name="orders")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    order_number = models.CharField(max_length=32, unique=True)
    quantity = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    returned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.order_number}: {self.quantity}"

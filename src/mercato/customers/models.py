from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mercato.core.masking import mask_phone
from mercato.core.models import TimeStampedModel

from .phones import cn_mobile_validator


class Gender(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class Channel(models.TextChoices):
    """Where the customer signed up; marketing attributes later activity to it."""

    WEB = "web", _("Website")
    APP = "app", _("Mobile app")
    WECHAT = "wechat", _("WeChat mini program")
    PHONE = "phone", _("Phone order")
    PARTNER = "partner", _("Partner site")


class Customer(TimeStampedModel):
    """A shopper's account. The mobile number is the customer's identity in China."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer"
    )
    # A customer signs up with a mobile number, an email address, or both; NULL (not "")
    # when absent, so that the unique constraints ignore accounts without one.
    mobile = models.CharField(
        _("mobile number"),
        max_length=11,
        unique=True,
        null=True,
        blank=True,
        validators=[cn_mobile_validator],
    )
    email = models.EmailField(_("email address"), unique=True, null=True, blank=True)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=40, blank=True)
    gender = models.CharField(
        _("gender"), max_length=8, choices=Gender.choices, default=Gender.UNKNOWN
    )
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    channel = models.CharField(
        _("sign-up channel"), max_length=12, choices=Channel.choices, default=Channel.WEB
    )
    # Member tier and points (customers/tiers.py, customers/points.py). points_balance is
    # the sum of the customer's PointsEntry rows, kept in the same transaction.
    tier = models.CharField(_("member tier"), max_length=16, default="normal")
    tier_spend = models.DecimalField(
        _("spend in the last 12 months"), max_digits=12, decimal_places=2, default=0
    )
    tier_updated_at = models.DateTimeField(_("tier updated at"), null=True, blank=True)
    points_balance = models.IntegerField(_("points balance"), default=0)
    signin_streak = models.PositiveIntegerField(_("sign-in streak"), default=0)
    last_signin_on = models.DateField(_("last sign-in"), null=True, blank=True)

    class Meta:
        ordering = ["-registered_at", "-id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.CheckConstraint(
                condition=Q(mobile__isnull=False) | Q(email__isnull=False),
                name="customer_mobile_or_email",
            ),
        ]
        indexes = [
            models.Index(fields=["registered_at"], name="customer_registered_idx"),
            models.Index(fields=["channel", "registered_at"], name="customer_channel_idx"),
        ]

    def __str__(self) -> str:
        # Shown wherever a customer is named (admin, audit entries): never the full number.
        return self.name or (mask_phone(self.mobile) if self.mobile else "") or self.email or ""


class Address(TimeStampedModel):
    """A delivery address of a customer; at most one is the default."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    recipient = models.CharField(_("recipient"), max_length=40)
    mobile = models.CharField(_("mobile number"), max_length=11, validators=[cn_mobile_validator])
    province = models.CharField(_("province"), max_length=20)
    city = models.CharField(_("city"), max_length=30)
    district = models.CharField(_("district"), max_length=30)
    detail = models.CharField(_("street address"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=6, blank=True)
    is_default = models.BooleanField(_("default address"), default=False)

    class Meta:
        ordering = ["customer_id", "-is_default", "id"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_default=True), name="address_one_default"
            ),
            models.CheckConstraint(condition=~Q(province=""), name="address_province_not_empty"),
        ]
        indexes = [models.Index(fields=["province", "city"], name="address_region_idx")]

    def __str__(self) -> str:
        return f"{self.recipient} {self.province}{self.city}{self.district}"


class CodePurpose(models.TextChoices):
    SIGNUP = "signup", _("Sign-up")
    LOGIN = "login", _("Log-in")
    RESET = "reset", pgettext_lazy("purpose of a code", "Password reset")


class OneTimeCode(models.Model):
    """A six-digit code sent by SMS. Only its keyed hash is stored; it expires, allows a few
    attempts, and is used once. A newer code for the same number and purpose replaces it."""

    mobile = models.CharField(_("mobile number"), max_length=11)
    purpose = models.CharField(_("purpose"), max_length=8, choices=CodePurpose.choices)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        indexes = [
            models.Index(fields=["mobile", "purpose", "-created_at"], name="otc_lookup_idx"),
            models.Index(fields=["expires_at"], name="otc_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} code #{self.pk}"


# --- Member points (积分): the ledger -----------------------------------------------------


class PointsKind(models.TextChoices):
    EARN_ORDER = "earn_order", _("Earned on an order")
    EARN_REVIEW = "earn_review", _("Earned for a review")
    EARN_SIGNIN = "earn_signin", _("Daily sign-in")
    EARN_BIRTHDAY = "earn_birthday", _("Birthday gift")
    REDEEM = "redeem", _("Used at checkout")
    REDEEM_COUPON = "redeem_coupon", _("Exchanged for a coupon")
    RETURN = "return", _("Returned from a cancelled order")
    EXPIRE = "expire", _("Expired")
    REVERSE = "reverse", _("Reversed on a refund")
    ADJUST = "adjust", _("Adjusted by staff")


class PointsEntry(models.Model):
    """One movement of a customer's points; the balance is the sum of the amounts.

    An entry with a positive amount and `expires_at` is a lot: `remaining` is what of it is
    still unspent (spending takes the oldest lots first; `consumed` on the spending entry
    lists [lot id, points] so a cancelled order can put them back)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="points_entries")
    kind = models.CharField(_("kind"), max_length=16, choices=PointsKind.choices)
    amount = models.IntegerField(_("points"))
    order_number = models.CharField(_("order number"), max_length=32, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    remaining = models.IntegerField(default=0)
    consumed = models.JSONField(default=list, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        constraints = [
            models.CheckConstraint(condition=Q(remaining__gte=0), name="points_remaining_gte_0"),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="points_customer_idx"),
            models.Index(fields=["expires_at"], name="points_expires_idx"),
            models.Index(fields=["order_number"], name="points_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount:+d}"

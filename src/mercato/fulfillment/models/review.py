"""Order review (审单): the rules' settings, the blacklist, and each order's findings."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Reason(models.TextChoices):
    """Why an order is held: what check_order_address prints after `hold:`."""

    ADDRESS = "address", _("Address")
    PHONE = "phone", _("Phone")
    INCOMPLETE = "incomplete", _("Incomplete")
    MALICIOUS = "malicious", _("Malicious order")
    COD_RISK = "cod-risk", _("Cash-on-delivery risk")


class ReviewRule(models.Model):
    """The department lead's setting of one automatic rule (rules.py names them and gives
    their defaults): on or off, and its threshold and time window where it has them. A
    rule without a row runs with its defaults."""

    code = models.CharField(_("rule"), max_length=30, unique=True)
    enabled = models.BooleanField(_("on"), default=True)
    threshold = models.DecimalField(
        _("threshold"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    window_minutes = models.PositiveIntegerField(_("time window (minutes)"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("review rule")
        verbose_name_plural = _("review rules")
        permissions = [
            ("review_order", "Can decide held orders in the review queue"),
            ("manage_review_rules", "Can switch review rules and set their thresholds"),
            ("manage_blacklist", "Can add and remove blacklist entries"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold__isnull=True) | Q(threshold__gte=0),
                name="reviewrule_threshold_not_negative",
            )
        ]

    def __str__(self) -> str:
        return self.code


class BlacklistKind(models.TextChoices):
    PHONE = "phone", _("Phone")
    ADDRESS = "address", _("Address")
    IP = "ip", _("IP address")
    NAME = "name", _("Recipient name")


class BlacklistEntry(models.Model):
    """A phone, address, IP or recipient name that holds every order naming it.

    `value` is stored normalised (blacklist.normalise): a phone as 11 digits, an address
    without spaces and punctuation (an order matches when its address contains it, so a
    whole building can be listed), a name as written.
    """

    kind = models.CharField(_("kind"), max_length=10, choices=BlacklistKind.choices)
    value = models.CharField(_("value"), max_length=200)
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "value"]
        verbose_name = _("blacklist entry")
        verbose_name_plural = _("blacklist")
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="blacklist_once"),
            models.CheckConstraint(condition=~Q(value=""), name="blacklist_value_set"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.value}"


class OrderReview(models.Model):
    """The automatic review of one order: what the rules found, and the reviewer's decision
    when it was held. Re-checking after a fix replaces the findings."""

    class Outcome(models.TextChoices):
        PASSED = "passed", _("Passed")
        HELD = "held", _("Held for review")
        APPROVED = "approved", _("Approved by a reviewer")
        CANCELLED = "cancelled", _("Cancelled by a reviewer")

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="review")
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    # The reasons (Reason values) and each finding: [{"rule", "reason", "message"}].
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    findings = models.JSONField(_("findings"), default=list, blank=True)
    checked_at = models.DateTimeField(_("checked at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order review")
        verbose_name_plural = _("order reviews")
        indexes = [models.Index(fields=["outcome", "checked_at"], name="review_outcome_idx")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.outcome}"

"""Delivery audit (配送稽核): penalty rules and the penalties they produce; cash-on-delivery
remittance files from carriers and their reconciliation."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 12, "decimal_places": 2}


class PenaltyKind(models.TextChoices):
    LATE = "late", _("Late delivery")
    DAMAGED = "damaged", _("Damaged parcel")
    LOST = "lost", _("Lost parcel")


class PenaltyRule(models.Model):
    """E.g. "late beyond 2 days → ¥5 per parcel", for one carrier or all (empty)."""

    carrier = models.ForeignKey(
        "fulfillment.Carrier", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PenaltyKind.choices)
    min_days_late = models.PositiveSmallIntegerField(_("late by more than (days)"), default=0)
    fine = models.DecimalField(_("fine per parcel"), **MONEY)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "min_days_late", "id"]
        verbose_name = _("penalty rule")
        verbose_name_plural = _("penalty rules")
        permissions = [
            ("view_delivery_audit", "Can see carrier scorecards and late parcels"),
            ("manage_penalties", "Can edit penalty rules"),
            ("export_penalties", "Can export carrier penalties"),
            ("reconcile_cod", "Can upload and reconcile COD remittance files"),
        ]
        constraints = [models.CheckConstraint(condition=Q(fine__gt=0), name="penalty_fine_gt_0")]

    def __str__(self) -> str:
        return f"{self.kind} > {self.min_days_late}d: {self.fine}"


class Penalty(models.Model):
    """One fine for one parcel under one rule (never twice: unique)."""

    rule = models.ForeignKey(PenaltyRule, on_delete=models.PROTECT, related_name="penalties")
    shipment = models.ForeignKey(
        "fulfillment.Shipment", on_delete=models.PROTECT, related_name="penalties"
    )
    carrier = models.ForeignKey("fulfillment.Carrier", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=PenaltyKind.choices)
    days_late = models.PositiveSmallIntegerField(_("days late"), default=0)
    amount = models.DecimalField(_("fine"), **MONEY)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("penalty")
        verbose_name_plural = _("penalties")
        constraints = [
            models.UniqueConstraint(fields=["rule", "shipment"], name="penalty_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="penalty_amount_gt_0"),
        ]
        indexes = [models.Index(fields=["carrier", "created_at"], name="penalty_carrier_idx")]

    def __str__(self) -> str:
        return f"{self.shipment_id}: {self.amount}"


class Remittance(models.Model):
    """One COD remittance file a carrier sent (货款回款): the cash it collected per waybill."""

    carrier = models.ForeignKey("fulfillment.Carrier", on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(_("file"), max_length=200)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    total = models.DecimalField(_("total remitted"), default=0, **MONEY)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("COD remittance")
        verbose_name_plural = _("COD remittances")

    def __str__(self) -> str:
        return self.filename


class RemittanceLine(models.Model):
    """One row of a remittance file, reconciled against the parcel it names."""

    class Outcome(models.TextChoices):
        MATCHED = "matched", _("Matched")
        SHORT = "short", _("Short-paid")
        OVER = "over", _("Overpaid")
        UNEXPECTED = "unexpected", _("Unexpected")
        DUPLICATE = "duplicate", _("Already remitted")

    remittance = models.ForeignKey(Remittance, on_delete=models.CASCADE, related_name="lines")
    row = models.PositiveIntegerField(_("row"))
    waybill_no = models.CharField(_("waybill number"), max_length=30)
    amount = models.DecimalField(_("remitted"), **MONEY)
    expected = models.DecimalField(_("to collect"), null=True, blank=True, **MONEY)
    shipment = models.ForeignKey(
        "fulfillment.Shipment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="remittances",
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)

    class Meta:
        ordering = ["remittance_id", "row"]
        verbose_name = _("remittance row")
        verbose_name_plural = _("remittance rows")
        indexes = [models.Index(fields=["shipment", "outcome"], name="remittance_shipment_idx")]

    def __str__(self) -> str:
        return f"{self.waybill_no}: {self.outcome}"

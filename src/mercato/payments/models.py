"""Payments, refunds and the gateway notices behind them.

A Payment is one attempt to collect an order's total through one method; its `number` is
the out_trade_no the gateway knows. Every gateway notice (and every trade-query answer) is
stored raw as a PaymentNotice before it is verified. Status moves live in status.py; each
move writes a PaymentEvent or RefundEvent row.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mercato.core.models import TimeStampedModel

MONEY = {"max_digits": 12, "decimal_places": 2}


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for payment")
    AWAITING_COLLECTION = "awaiting_collection", _("To collect on delivery")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    CLOSED = "closed", _("Closed")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")


class RefundStatus(models.TextChoices):
    """What a refund's money is doing; docs/payments.md ("Refunds") describes each.

    requested: recorded, not sent yet (or sending found the gateway not configured);
    processing: sent and accepted, or sent with no definite answer (outcome unknown: the
    same number is sent again and queried until the gateway settles it; `problem` says
    why); succeeded: the money went back; failed: refused for good, nothing went back;
    abnormal: the gateway could not get the money to the buyer (WeChat Pay ABNORMAL, a
    cancelled card): finance settles it by hand. Only failed frees the amount again.
    """

    REQUESTED = "requested", _("Requested")
    PROCESSING = "processing", _("Processing")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    ABNORMAL = "abnormal", _("Abnormal: finance to act")


class Payment(TimeStampedModel):
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="payments"
    )
    number = models.CharField(_("payment number"), max_length=32, unique=True)
    method = models.CharField(_("payment method"), max_length=20)
    gateway = models.CharField(_("gateway"), max_length=20)
    channel = models.CharField(_("channel"), max_length=10, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    status = models.CharField(
        _("status"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    trade_no = models.CharField(_("gateway trade number"), max_length=64, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    # What the customer was sent to last (PaymentAction as JSON), for support and finance.
    last_action = models.JSONField(_("last action"), default=dict, blank=True)
    needs_review = models.BooleanField(_("needs review"), default=False)
    review_reason = models.CharField(_("review reason"), max_length=200, blank=True)
    # When the background checks may next ask the gateway about this attempt (query, close);
    # a check claims it by moving this forward, so two workers never ask at once.
    next_check_at = models.DateTimeField(_("next gateway check"), null=True, blank=True)
    checks = models.PositiveIntegerField(_("gateway checks"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        permissions = [
            ("refund_payment", "Can refund payments"),
            ("review_payment", "Can mark flagged payments and notices reviewed"),
            ("record_collection", "Can record cash collected on delivery"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            # One open attempt per order and method: start_payment reuses it.
            models.UniqueConstraint(
                fields=["order", "method"],
                condition=Q(status="pending"),
                name="payment_one_open_attempt_per_method",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="payment_status_idx"),
            models.Index(fields=["method", "created_at"], name="payment_method_idx"),
            models.Index(fields=["needs_review", "created_at"], name="payment_review_idx"),
            models.Index(fields=["status", "next_check_at"], name="payment_check_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class StatusEvent(models.Model):
    """One status move of a payment or a refund: who, why, when. The first has from ""."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status}"


class PaymentEvent(StatusEvent):
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(
        _("from"), max_length=20, choices=PaymentStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=PaymentStatus.choices)

    class Meta(StatusEvent.Meta):
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")


class Refund(TimeStampedModel):
    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds"
    )
    # Our out_refund_no: the idempotency key, sent to the gateway as it is.
    refund_no = models.CharField(_("refund number"), max_length=32, unique=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    reason = models.CharField(_("reason"), max_length=200)
    restock = models.BooleanField(_("goods back in stock"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=RefundStatus.choices, default=RefundStatus.REQUESTED
    )
    manual = models.BooleanField(_("paid back by hand"), default=False)
    gateway_refund_id = models.CharField(_("gateway refund id"), max_length=64, blank=True)
    problem = models.CharField(_("problem"), max_length=300, blank=True)
    raw_result = models.TextField(_("gateway answer"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    succeeded_at = models.DateTimeField(_("succeeded at"), null=True, blank=True)
    # Sending again and querying a refund not settled yet: when next, and how often so far.
    next_check_at = models.DateTimeField(_("next gateway check"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("gateway checks"), default=0)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="refund_status_idx"),
            models.Index(fields=["status", "next_check_at"], name="refund_check_idx"),
        ]

    def __str__(self) -> str:
        return self.refund_no


class RefundLine(models.Model):
    """The part of one order line a refund pays back (per-line refunds)."""

    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.PROTECT, related_name="refund_lines"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        ordering = ["id"]
        verbose_name = _("refund line")
        verbose_name_plural = _("refund lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="refundline_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="refundline_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_line_id} × {self.quantity}"


class RefundEvent(StatusEvent):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(
        _("from"), max_length=20, choices=RefundStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=RefundStatus.choices)

    class Meta(StatusEvent.Meta):
        verbose_name = _("refund event")
        verbose_name_plural = _("refund events")


class NoticeAction(models.TextChoices):
    RECEIVED = "received", _("Received, not processed yet")
    REFUSED = "refused", _("Refused (not verified)")
    PAID = "paid", _("Payment marked paid")
    DUPLICATE = "duplicate", _("Already applied: nothing changed")
    FAILED = "failed", _("Payment marked failed")
    CLOSED = "closed", _("Payment closed")
    REFUND_SUCCEEDED = "refund_succeeded", _("Refund succeeded")
    REFUND_FAILED = "refund_failed", _("Refund failed")
    REFUND_ABNORMAL = "refund_abnormal", _("Refund abnormal: finance to act")
    FLAGGED = "flagged", _("Recorded and flagged for finance")
    IGNORED = "ignored", _("Recorded, nothing to change")


class PaymentNotice(models.Model):
    """A gateway message as received: stored before verification, so nothing is lost."""

    gateway = models.CharField(_("gateway"), max_length=20)
    via = models.CharField(_("via"), max_length=10, default="notify")  # notify/return/query
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    body = models.TextField(_("body"), blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    verified = models.BooleanField(_("verified"), default=False)
    problem = models.CharField(_("problem"), max_length=300, blank=True)
    notice_id = models.CharField(_("gateway notice id"), max_length=64, blank=True)
    trade_status = models.CharField(_("trade status"), max_length=20, blank=True)
    out_trade_no = models.CharField(_("payment number"), max_length=64, blank=True)
    refund_no = models.CharField(_("refund number"), max_length=64, blank=True)
    amount = models.DecimalField(_("amount"), null=True, blank=True, **MONEY)
    payment = models.ForeignKey(
        Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="notices"
    )
    refund = models.ForeignKey(
        Refund, on_delete=models.SET_NULL, null=True, blank=True, related_name="notices"
    )
    action = models.CharField(
        _("result"), max_length=20, choices=NoticeAction.choices, default=NoticeAction.RECEIVED
    )
    needs_review = models.BooleanField(_("needs review"), default=False)
    review_reason = models.CharField(_("review reason"), max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("payment notice")
        verbose_name_plural = _("payment notices")
        indexes = [
            models.Index(fields=["gateway", "out_trade_no"], name="notice_trade_idx"),
            models.Index(fields=["needs_review", "received_at"], name="notice_review_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.via} {self.out_trade_no or self.pk}"


class WechatPayCertificate(models.Model):
    """A WeChat Pay platform certificate downloaded from /v3/certificates (decrypted with
    the APIv3 key), so every process verifies notices signed with any current serial."""

    serial_no = models.CharField(_("serial number"), max_length=64, unique=True)
    pem = models.TextField(_("certificate (PEM)"))
    effective_time = models.CharField(_("valid from"), max_length=40, blank=True)
    expire_time = models.CharField(_("valid until"), max_length=40, blank=True)
    fetched_at = models.DateTimeField(_("downloaded at"), auto_now=True)

    class Meta:
        ordering = ["-fetched_at", "-id"]
        verbose_name = _("WeChat Pay platform certificate")
        verbose_name_plural = _("WeChat Pay platform certificates")

    def __str__(self) -> str:
        return self.serial_no

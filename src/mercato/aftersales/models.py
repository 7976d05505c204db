"""Returns and exchanges (退换货): the customer's request, its lines, photos, status
history, and the return window per category."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 12, "decimal_places": 2}


class ReturnKind(models.TextChoices):
    RETURN = "return", _("Return for a refund")
    EXCHANGE = "exchange", _("Exchange")


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved: send the goods back")
    REJECTED = "rejected", _("Rejected")
    RETURNING = "returning", _("On the way back")
    RECEIVED = "received", _("Received")
    INSPECTED = "inspected", _("Inspected")
    REFUNDING = "refunding", _("Refund in progress")
    REPLACING = "replacing", _("Replacement on the way")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class ReturnReason(models.TextChoices):
    NO_REASON = "no_reason", _("Changed my mind (7-day no-reason return)")
    QUALITY = "quality", _("Quality problem")
    DAMAGED = "damaged", _("Arrived damaged")
    WRONG_ITEM = "wrong_item", _("Wrong item sent")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    SIZE = "size", _("Wrong size or colour")


# The shop's fault: shipping is refunded (the shipping rule, docs/aftersales.md).
SHOP_FAULT = frozenset(
    {ReturnReason.QUALITY, ReturnReason.DAMAGED, ReturnReason.WRONG_ITEM,
     ReturnReason.NOT_AS_DESCRIBED}
)  # fmt: skip


class ReturnWindow(models.Model):
    """Days after delivery within which a category's products may be returned
    (MERCATO_RETURN_DAYS, 7, where a category has no row; 0 means not returnable)."""

    category = models.OneToOneField(
        "catalog.Category", on_delete=models.CASCADE, related_name="return_window"
    )
    days = models.PositiveSmallIntegerField(_("days"))

    class Meta:
        verbose_name = _("return window")
        verbose_name_plural = _("return windows")

    def __str__(self) -> str:
        return f"{self.category_id}: {self.days}d"


class ReturnRequest(models.Model):
    number = models.CharField(_("return number"), max_length=30, unique=True)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="returns")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ReturnKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED
    )
    reason = models.CharField(_("reason"), max_length=20, choices=ReturnReason.choices)
    description = models.CharField(_("description"), max_length=500, blank=True)
    # The customer's parcel back to us.
    return_carrier = models.CharField(_("return carrier"), max_length=40, blank=True)
    return_waybill = models.CharField(_("return waybill"), max_length=30, blank=True)
    # Where the goods come back to: the warehouse that shipped them.
    warehouse = models.ForeignKey(
        "inventory.Warehouse", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refund_amount = models.DecimalField(_("refunded"), default=0, **MONEY)
    shipping_refund = models.DecimalField(_("shipping refunded"), default=0, **MONEY)
    # Exchange: + the customer pays more (collected on delivery of the replacement),
    # − the shop refunds the difference.
    price_difference = models.DecimalField(_("price difference"), default=0, **MONEY)
    refund_numbers = models.JSONField(_("refund numbers"), default=list, blank=True)
    replacement_reference = models.CharField(max_length=60, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("return request")
        verbose_name_plural = _("return requests")
        permissions = [
            ("decide_return", "Can approve or reject return and exchange requests"),
            ("receive_return", "Can receive and inspect returned goods"),
            ("manage_return_windows", "Can set the return window per category"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(refund_amount__gte=0) & Q(shipping_refund__gte=0),
                name="return_refund_gte_0",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="return_status_idx"),
            models.Index(fields=["order"], name="return_order_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class ReturnLine(models.Model):
    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    # Exchange: the SKU the customer wants instead (the same SKU or another).
    replacement_sku = models.ForeignKey(
        "catalog.Sku", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resaleable = models.PositiveIntegerField(_("resaleable"), default=0)
    damaged = models.PositiveIntegerField(_("damaged"), default=0)

    class Meta:
        ordering = ["id"]
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="returnline_qty_gt_0"),
            models.CheckConstraint(
                condition=Q(resaleable__lte=F("quantity") - F("damaged")),
                name="returnline_inspected_lte_qty",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_line_id} × {self.quantity}"


def return_photo_path(instance, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"returns/{instance.request_id}/{instance.request_id}-{instance.position}.{ext}"


class ReturnPhoto(models.Model):
    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to=return_photo_path)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("return photo")
        verbose_name_plural = _("return photos")

    def __str__(self) -> str:
        return self.image.name


class ReturnEvent(models.Model):
    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, choices=ReturnStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=ReturnStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("return event")
        verbose_name_plural = _("return events")

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_status or '-'} → {self.to_status}"

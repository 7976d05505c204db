"""Parcels (shipments), their lines and status history, picking waves, carrier tracking."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 12, "decimal_places": 2}


class ShipmentStatus(models.TextChoices):
    ALLOCATED = "allocated", _("Allocated")
    PICKING = "picking", _("Picking")
    PACKED = "packed", _("Packed")
    SHIPPED = "shipped", _("Shipped")
    EXCEPTION = "exception", _("Exception")
    DELIVERED = "delivered", _("Delivered")
    REFUSED = "refused", _("Refused")
    LOST = "lost", _("Lost")
    RETURNED = "returned", _("Returned to the warehouse")
    CANCELLED = "cancelled", _("Cancelled")


class ShipmentKind(models.TextChoices):
    ORDER = "order", _("Order parcel")
    REPLACEMENT = "replacement", _("Exchange replacement")


class Wave(models.Model):
    """A picking wave (波次): the allocated parcels of one warehouse (and carrier) up to a
    cut-off time, picked together from one pick list sorted by bin."""

    class Status(models.TextChoices):
        OPEN = "open", _("Picking")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("wave number"), max_length=24, unique=True)
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="+")
    carrier = models.ForeignKey(
        "fulfillment.Carrier", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cutoff = models.DateTimeField(_("cut-off"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="open")
    parcel_count = models.PositiveIntegerField(_("parcels"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("picking wave")
        verbose_name_plural = _("picking waves")
        permissions = [
            ("manage_waves", "Can create picking waves and print pick lists"),
            ("pack_parcel", "Can pack parcels (scan, box, weight)"),
            ("ship_parcel", "Can hand parcels to the carrier"),
        ]
        indexes = [models.Index(fields=["status", "warehouse"], name="wave_status_idx")]

    def __str__(self) -> str:
        return self.number


class Shipment(models.Model):
    """One parcel of an order from one warehouse: its lines, carrier, waybill and journey.

    Allocation makes one per warehouse the order's stock is reserved in; a reviewer may
    split one further. `cod_amount` is what the courier collects (cash on delivery: the
    order's total on its first parcel).
    """

    number = models.CharField(_("parcel number"), max_length=30, unique=True)
    # shipment_order_idx and shipment_carrier_idx (Meta) index these two; Django's own
    # index on each column would be a duplicate written on every parcel.
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="shipments", db_index=False
    )
    kind = models.CharField(
        _("kind"), max_length=12, choices=ShipmentKind.choices, default=ShipmentKind.ORDER
    )
    # The stock reservation the parcel ships from (the order number, or an exchange's).
    reference = models.CharField(max_length=60)
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="+")
    province = models.CharField(_("province"), max_length=20)
    status = models.CharField(
        _("status"), max_length=10, choices=ShipmentStatus.choices, default="allocated"
    )
    carrier = models.ForeignKey(
        "fulfillment.Carrier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    carrier_fee = models.DecimalField(_("carrier fee"), default=0, **MONEY)
    promised_days = models.PositiveSmallIntegerField(_("promised days"), null=True, blank=True)
    promised_by = models.DateField(_("due by"), null=True, blank=True)
    waybill_no = models.CharField(_("waybill number"), max_length=30, null=True, blank=True)
    cod_amount = models.DecimalField(_("to collect"), default=0, **MONEY)
    weight_g = models.PositiveIntegerField(_("weight (g)"), null=True, blank=True)
    box = models.ForeignKey(
        "fulfillment.BoxSize", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    wave = models.ForeignKey(
        Wave, on_delete=models.SET_NULL, null=True, blank=True, related_name="shipments"
    )
    created_at = models.DateTimeField(_("allocated at"), auto_now_add=True)
    packed_at = models.DateTimeField(_("packed at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # The newest carrier event applied; older ones arriving later are kept, not applied.
    last_event_at = models.DateTimeField(null=True, blank=True)
    damaged = models.BooleanField(_("damaged"), default=False)
    exception_note = models.CharField(_("exception"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("parcel")
        verbose_name_plural = _("parcels")
        constraints = [
            models.UniqueConstraint(
                fields=["waybill_no"], condition=Q(waybill_no__isnull=False), name="waybill_unique"
            ),
            models.CheckConstraint(condition=Q(cod_amount__gte=0), name="shipment_cod_gte_0"),
        ]
        indexes = [
            models.Index(fields=["status", "warehouse", "carrier"], name="shipment_queue_idx"),
            models.Index(fields=["order"], name="shipment_order_idx"),
            models.Index(fields=["carrier", "shipped_at"], name="shipment_carrier_idx"),
            models.Index(
                fields=["promised_by"],
                name="shipment_late_idx",
                condition=Q(status__in=["shipped", "exception"]),
            ),
            models.Index(fields=["reference"], name="shipment_reference_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    packed = models.PositiveIntegerField(_("packed"), default=0)

    class Meta:
        ordering = ["id"]
        verbose_name = _("parcel line")
        verbose_name_plural = _("parcel lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shipmentline_qty_gt_0"),
            models.CheckConstraint(
                condition=Q(packed__lte=models.F("quantity")), name="shipmentline_packed_lte_qty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} × {self.quantity}"


class ShipmentEvent(models.Model):
    """One status change of a parcel: who (or which carrier event), when, why."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, choices=ShipmentStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=ShipmentStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("parcel event")
        verbose_name_plural = _("parcel events")

    def __str__(self) -> str:
        return f"{self.shipment_id}: {self.from_status or '-'} → {self.to_status}"


class TrackingCode(models.TextChoices):
    PICKED_UP = "picked_up", _("Picked up")
    IN_TRANSIT = "in_transit", _("In transit")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    DELIVERED = "delivered", _("Delivered")
    DELAYED = "delayed", _("Delayed")
    DAMAGED = "damaged", _("Damaged")
    REFUSED = "refused", _("Refused by the recipient")
    LOST = "lost", _("Lost")
    RETURNED = "returned", _("Returned to sender")


class TrackingEvent(models.Model):
    """A carrier's tracking event, as received (webhook, CSV upload or poll). The pair
    (carrier, event_id) is unique: a repeated event is recognised and changes nothing."""

    class Source(models.TextChoices):
        WEBHOOK = "webhook", _("Webhook")
        CSV = "csv", _("File upload")
        POLL = "poll", _("Tracking query")

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="tracking")
    carrier = models.ForeignKey("fulfillment.Carrier", on_delete=models.PROTECT, related_name="+")
    event_id = models.CharField(_("event ID"), max_length=64)
    code = models.CharField(_("event"), max_length=20, choices=TrackingCode.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    location = models.CharField(_("location"), max_length=60, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    applied = models.BooleanField(_("moved the parcel"), default=False)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        constraints = [
            models.UniqueConstraint(fields=["carrier", "event_id"], name="tracking_event_once")
        ]
        indexes = [models.Index(fields=["shipment", "occurred_at"], name="tracking_shipment_idx")]

    def __str__(self) -> str:
        return f"{self.shipment_id}: {self.code}"


class WebhookNonce(models.Model):
    """A nonce a signed tracking request used: the same nonce again within the allowed
    clock skew is a replay and refused. Older rows are purged by a scheduled job."""

    carrier = models.ForeignKey("fulfillment.Carrier", on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["carrier", "nonce"], name="webhook_nonce_once")
        ]
        indexes = [models.Index(fields=["seen_at"], name="webhook_nonce_seen_idx")]

    def __str__(self) -> str:
        return self.nonce


class ShipmentComplaint(models.Model):
    """A customer's complaint about a parcel's delivery (late, rude courier, damaged box),
    counted in the carrier's scorecard; service tickets link here."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="complaints")
    note = models.CharField(_("complaint"), max_length=200)
    source = models.CharField(_("source"), max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("delivery complaint")
        verbose_name_plural = _("delivery complaints")

    def __str__(self) -> str:
        return f"{self.shipment_id}: {self.note[:30]}"

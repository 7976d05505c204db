"""Carriers as data (顺丰, 中通, 圆通, 京东物流, EMS ...): rate cards by origin warehouse,
destination province and weight; service levels (promised days); choice rules; boxes."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 12, "decimal_places": 2}


class Carrier(models.Model):
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=40, blank=True)
    supports_cod = models.BooleanField(_("collects cash on delivery"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    # Waybill numbers: prefix + a running number of `waybill_digits` digits.
    waybill_prefix = models.CharField(_("waybill prefix"), max_length=6)
    waybill_digits = models.PositiveSmallIntegerField(_("waybill digits"), default=12)
    last_waybill = models.PositiveBigIntegerField(default=0)
    # The shared secret of the tracking webhook (HMAC-SHA256); blank: webhook closed.
    webhook_secret = models.CharField(_("webhook secret"), max_length=128, blank=True)
    # The carrier's tracking query endpoint for the scheduled polls; blank: not polled.
    tracking_api_url = models.URLField(_("tracking API URL"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")
        permissions = [
            ("manage_carriers", "Can edit carriers, rate cards, service levels and rules"),
            ("upload_tracking", "Can upload carrier tracking files"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(waybill_prefix=""), name="carrier_prefix_set"),
            models.CheckConstraint(
                condition=Q(waybill_digits__gte=6) & Q(waybill_digits__lte=18),
                name="carrier_waybill_digits_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RateCard(models.Model):
    """What a carrier charges for a parcel from a warehouse (any, when empty) to a
    province: `first_fee` for up to `first_weight_g`, then `extra_fee` per started
    `extra_weight_g`."""

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="rates")
    warehouse = models.ForeignKey(
        "inventory.Warehouse", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    province = models.CharField(_("destination province"), max_length=20)
    first_weight_g = models.PositiveIntegerField(_("first weight (g)"), default=1000)
    first_fee = models.DecimalField(_("first weight fee"), **MONEY)
    extra_weight_g = models.PositiveIntegerField(_("extra weight step (g)"), default=1000)
    extra_fee = models.DecimalField(_("fee per extra step"), **MONEY)

    class Meta:
        ordering = ["carrier_id", "warehouse_id", "province"]
        verbose_name = _("rate card row")
        verbose_name_plural = _("rate cards")
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "warehouse", "province"],
                condition=Q(warehouse__isnull=False),
                name="ratecard_once",
            ),
            models.UniqueConstraint(
                fields=["carrier", "province"],
                condition=Q(warehouse__isnull=True),
                name="ratecard_once_any_origin",
            ),
            models.CheckConstraint(
                condition=Q(first_fee__gte=0) & Q(extra_fee__gte=0), name="ratecard_fees_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(first_weight_g__gt=0) & Q(extra_weight_g__gt=0),
                name="ratecard_weights_gt_0",
            ),
        ]
        indexes = [models.Index(fields=["province", "carrier"], name="ratecard_province_idx")]

    def __str__(self) -> str:
        return f"{self.carrier_id} → {self.province}"


class ServiceLevel(models.Model):
    """The days a carrier promises from a warehouse (any, when empty) to a province."""

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="levels")
    warehouse = models.ForeignKey(
        "inventory.Warehouse", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    province = models.CharField(_("destination province"), max_length=20)
    days = models.PositiveSmallIntegerField(_("promised days"))

    class Meta:
        ordering = ["carrier_id", "province"]
        verbose_name = _("service level")
        verbose_name_plural = _("service levels")
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "warehouse", "province"],
                condition=Q(warehouse__isnull=False),
                name="servicelevel_once",
            ),
            models.UniqueConstraint(
                fields=["carrier", "province"],
                condition=Q(warehouse__isnull=True),
                name="servicelevel_once_any_origin",
            ),
            models.CheckConstraint(condition=Q(days__gte=1), name="servicelevel_days_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.carrier_id} → {self.province}: {self.days}d"


class DeliveryPromise(models.Model):
    """The shop's own delivery standard (配送标准) for a province: the days within which
    the parcel should arrive. A carrier "meets the promise" when its service level is
    within it; the delivery audit measures on-time against the carrier's level."""

    province = models.CharField(_("province"), max_length=20, unique=True)
    days = models.PositiveSmallIntegerField(_("days"))

    class Meta:
        ordering = ["province"]
        verbose_name = _("delivery promise")
        verbose_name_plural = _("delivery promises")
        constraints = [models.CheckConstraint(condition=Q(days__gte=1), name="promise_days_gte_1")]

    def __str__(self) -> str:
        return f"{self.province}: {self.days}d"


class ChoiceRule(models.Model):
    """How the carrier of a parcel is chosen. Rules are tried by `priority`; the first
    that applies decides. Without any, the cheapest carrier meeting the promise.

    - fixed: `carrier` for parcels to `province` (from `warehouse`, when set);
    - cheapest: the cheapest carrier whose service level meets the province's promise
      (the fastest when none does);
    - customer: the carrier the customer chose (Order.carrier_choice), `fee` charged.
    Cash-on-delivery parcels only ever go to carriers that collect it.
    """

    class Kind(models.TextChoices):
        FIXED = "fixed", _("A fixed carrier for a region")
        CHEAPEST = "cheapest", _("Cheapest that meets the promise")
        CUSTOMER = "customer", _("The customer's choice, for a fee")

    priority = models.PositiveSmallIntegerField(_("priority"), default=100)
    kind = models.CharField(_("rule"), max_length=10, choices=Kind.choices)
    province = models.CharField(_("province"), max_length=20, blank=True)
    warehouse = models.ForeignKey(
        "inventory.Warehouse", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    carrier = models.ForeignKey(
        Carrier, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    fee = models.DecimalField(_("fee"), default=0, **MONEY)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = _("carrier choice rule")
        verbose_name_plural = _("carrier choice rules")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="fixed") | Q(carrier__isnull=False),
                name="choicerule_fixed_names_carrier",
            ),
            models.CheckConstraint(condition=Q(fee__gte=0), name="choicerule_fee_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.priority}: {self.kind}"


class BoxSize(models.Model):
    """A carton the packers use; inner dimensions in millimetres."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=40)
    length_mm = models.PositiveIntegerField(_("length (mm)"))
    width_mm = models.PositiveIntegerField(_("width (mm)"))
    height_mm = models.PositiveIntegerField(_("height (mm)"))
    max_weight_g = models.PositiveIntegerField(_("maximum load (g)"))
    tare_g = models.PositiveIntegerField(_("empty weight (g)"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["length_mm", "width_mm", "height_mm"]
        verbose_name = _("box size")
        verbose_name_plural = _("box sizes")

    def __str__(self) -> str:
        return self.name

    @property
    def volume_cm3(self) -> int:
        return self.length_mm * self.width_mm * self.height_mm // 1000

"""Checkout's shipping rate table.

The free-shipping threshold is a setting (MERCATO_FREE_SHIPPING_THRESHOLD, default ¥99.00),
not a model row: one number per site, changed with a deploy like the currency.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ShippingZone(models.Model):
    """A group of provinces that share shipping rates (e.g. 江浙沪, 偏远地区)."""

    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("shipping zone")
        verbose_name_plural = _("shipping zones")

    def __str__(self) -> str:
        return self.name


class ShippingZoneProvince(models.Model):
    """One province of a zone, in cpca's spelling (core.regions); a province has one zone."""

    zone = models.ForeignKey(ShippingZone, on_delete=models.CASCADE, related_name="provinces")
    # unique: a destination must map to exactly one rate
    province = models.CharField(_("province"), max_length=20, unique=True)

    class Meta:
        ordering = ["zone_id", "province"]
        verbose_name = _("zone province")
        verbose_name_plural = _("zone provinces")

    def __str__(self) -> str:
        return f"{self.zone_id} → {self.province}"


class ShippingRate(models.Model):
    """首重/续重 pricing: `first_fee` covers `first_weight_g`, then `extra_fee` per started step."""

    zone = models.OneToOneField(ShippingZone, on_delete=models.CASCADE, related_name="rate")
    first_weight_g = models.PositiveIntegerField(_("first weight (g)"))
    first_fee = models.DecimalField(_("first fee"), max_digits=10, decimal_places=2)
    extra_weight_step_g = models.PositiveIntegerField(_("extra weight step (g)"))
    extra_fee = models.DecimalField(_("fee per extra step"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("shipping rate")
        verbose_name_plural = _("shipping rates")
        constraints = [
            models.CheckConstraint(condition=Q(first_fee__gte=0), name="rate_first_fee_gte_0"),
            models.CheckConstraint(condition=Q(extra_fee__gte=0), name="rate_extra_fee_gte_0"),
            # a zero step would divide by zero when rounding the weight up
            models.CheckConstraint(
                condition=Q(extra_weight_step_g__gt=0), name="rate_extra_step_gt_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.zone_id}: {self.first_fee}/{self.first_weight_g}g"

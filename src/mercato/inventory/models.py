from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mercato.core.models import TimeStampedModel


class Warehouse(TimeStampedModel):
    """A warehouse that ships orders to the provinces it serves (see WarehouseProvince).

    When several warehouses serve a province, the lower `priority` is tried first.
    """

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60, unique=True)
    province = models.CharField(_("province"), max_length=20)
    city = models.CharField(_("city"), max_length=30)
    district = models.CharField(_("district"), max_length=30)
    address = models.CharField(_("street address"), max_length=200)
    contact = models.CharField(_("contact person"), max_length=40, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=100, help_text=_("Lower is tried first")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["priority", "code"]
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="warehouse_code_not_empty"),
            models.CheckConstraint(condition=~Q(province=""), name="warehouse_province_not_empty"),
        ]
        indexes = [models.Index(fields=["is_active", "priority"], name="warehouse_active_prio_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def served_provinces(self) -> list[str]:
        return [row.province for row in self.served.all()]


class WarehouseProvince(models.Model):
    """One province a warehouse delivers to, in cpca's spelling (core.regions)."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="served")
    province = models.CharField(_("province"), max_length=20)

    class Meta:
        ordering = ["warehouse_id", "province"]
        verbose_name = _("served province")
        verbose_name_plural = _("served provinces")
        constraints = [
            models.UniqueConstraint(
                fields=["warehouse", "province"], name="warehouse_province_unique"
            )
        ]
        # Allocation asks "who serves 四川省?": look up by province first.
        indexes = [models.Index(fields=["province", "warehouse"], name="warehouse_prov_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.warehouse_id} → {self.province}"

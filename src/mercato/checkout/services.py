"""Checkout pricing services: shipping fee and invoice details."""

import math
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from mercato.checkout.models import ShippingRate, ShippingZone, ShippingZoneProvince
from mercato.core.db import db_decimal
from mercato.core.errors import DomainError, ValidationFailed
from mercato.core.money import to_fen
from mercato.core.regions import mainland_provinces

DEFAULT_FREE_SHIPPING_THRESHOLD = Decimal("99.00")

INVOICE_PERSONAL = "个人"
INVOICE_COMPANY = "企业"


def free_shipping_threshold() -> Decimal:
    """The goods total from which shipping is free (setting MERCATO_FREE_SHIPPING_THRESHOLD)."""
    value = getattr(settings, "MERCATO_FREE_SHIPPING_THRESHOLD", DEFAULT_FREE_SHIPPING_THRESHOLD)
    return Decimal(value)


@transaction.atomic
def save_shipping_zone(
    *,
    name: str,
    provinces: list[str],
    first_weight_g: int,
    first_fee: Decimal,
    extra_weight_step_g: int,
    extra_fee: Decimal,
) -> ShippingZone:
    """Create or replace the zone `name` with its provinces and rate; all or nothing.

    Provinces must be mainland names in cpca's spelling and not belong to another zone.
    """
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Enter a zone name.")]
    unknown = sorted(set(provinces) - set(mainland_provinces()))
    taken = sorted(
        ShippingZoneProvince.objects.filter(province__in=provinces)
        .exclude(zone__name=name)
        .values_list("province", flat=True)
    )
    if not provinces:
        errors["provinces"] = [_("Choose at least one province.")]
    elif unknown:
        errors["provinces"] = [_("Unknown province: %(names)s.") % {"names": "、".join(unknown)}]
    elif taken:
        errors["provinces"] = [
            _("Already in another zone: %(names)s.") % {"names": "、".join(taken)}
        ]
    if first_weight_g < 0:
        errors["first_weight_g"] = [_("The first weight cannot be negative.")]
    if extra_weight_step_g <= 0:
        errors["extra_weight_step_g"] = [_("The extra weight step must be at least 1 g.")]
    for field, fee in (("first_fee", first_fee), ("extra_fee", extra_fee)):
        if fee < 0:
            errors[field] = [_("A fee cannot be negative.")]
    if errors:
        raise ValidationFailed(errors)

    zone, _created = ShippingZone.objects.get_or_create(name=name)
    zone.provinces.exclude(province__in=provinces).delete()
    existing = set(zone.provinces.values_list("province", flat=True))
    ShippingZoneProvince.objects.bulk_create(
        ShippingZoneProvince(zone=zone, province=p) for p in sorted(set(provinces) - existing)
    )
    ShippingRate.objects.update_or_create(
        zone=zone,
        defaults={
            "first_weight_g": first_weight_g,
            "first_fee": to_fen(first_fee),
            "extra_weight_step_g": extra_weight_step_g,
            "extra_fee": to_fen(extra_fee),
        },
    )
    return zone


# What a shipping rate row holds, in the order fee_at_rate reads them.
RATE_FIELDS = ("first_weight_g", "first_fee", "extra_weight_step_g", "extra_fee")


def shipping_rates(*, province: str) -> QuerySet[ShippingRate]:
    """The rate of the zone `province` belongs to (no row: we do not ship there)."""
    return ShippingRate.objects.filter(zone__provinces__province=province)


def shipping_fee(*, province: str, weight_g: int, goods_total: Decimal) -> Decimal:
    """The fee to ship `weight_g` grams to `province`; free at or above the threshold."""
    rate = shipping_rates(province=province).values_list(*RATE_FIELDS).first()
    return fee_at_rate(rate, province=province, weight_g=weight_g, goods_total=goods_total)


def fee_at_rate(rate, *, province: str, weight_g: int, goods_total: Decimal) -> Decimal:
    """shipping_fee for a rate (RATE_FIELDS) already read, None when the province's
    zone has none: placement reads it with the cart's lines."""
    if weight_g < 0:
        raise DomainError(_("The parcel weight cannot be negative."), field="weight_g")
    # Checked before the threshold so a wrong province is reported even on free orders.
    if rate is None or rate[0] is None:
        raise DomainError(
            _("We do not ship to %(province)s.") % {"province": province or "?"},
            field="province",
        )
    if goods_total >= free_shipping_threshold():
        return Decimal("0.00")
    first_weight_g, first_fee, step_g, extra_fee = rate
    steps = math.ceil(max(weight_g - first_weight_g, 0) / step_g)  # a started step counts whole
    return to_fen(db_decimal(first_fee) + db_decimal(extra_fee) * steps)


def validate_invoice(*, kind: str, title: str, tax_id: str) -> dict:
    """Clean invoice details or ValidationFailed naming each bad field.

    个人 (personal): a title, no tax id. 企业 (company): a title and a valid 统一社会信用代码.
    Returns {"kind", "title", "tax_id"} with the tax id in its compact upper-case form.
    """
    title = (title or "").strip()
    tax_id = (tax_id or "").strip()
    errors: dict[str, list[str]] = {}
    if kind not in (INVOICE_PERSONAL, INVOICE_COMPANY):
        errors["kind"] = [_("Choose a personal or a company invoice.")]
    if not title:
        errors["title"] = [_("Enter the invoice title.")]
    if kind == INVOICE_PERSONAL and tax_id:
        errors["tax_id"] = [_("A personal invoice has no tax id.")]
    elif kind == INVOICE_COMPANY:
        if not tax_id:
            errors["tax_id"] = [_("Enter the unified social credit code.")]
        else:
            try:
                tax_id = uscc.validate(tax_id)
            except StdnumError:
                errors["tax_id"] = [
                    _("This is not a valid unified social credit code; check every character.")
                ]
    if errors:
        raise ValidationFailed(errors)
    return {"kind": kind, "title": title, "tax_id": tax_id}

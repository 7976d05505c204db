"""Carriers, rate cards, service levels, boxes and delivery promises from data
(data/carriers.json, or a file of the same shape): `mercato load_carriers`, the demo data
and tests load them; the back office edits them afterwards."""

import json
import secrets
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from mercato.core.errors import ValidationFailed
from mercato.core.permissions import require_perm
from mercato.core.regions import mainland_provinces

from .models import BoxSize, Carrier, ChoiceRule, DeliveryPromise, RateCard, ServiceLevel

DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "carriers.json"


def _money(value, where: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = None
    if (
        amount is None
        or not amount.is_finite()
        or amount < 0
        or amount != amount.quantize(Decimal("0.01"))
    ):
        raise ValidationFailed({where: [_("Enter an amount to the fen.")]})
    return amount


def _province(name: str, where: str) -> str:
    if name not in mainland_provinces():
        raise ValidationFailed({where: [_("Unknown province (use the full name, e.g. 四川省).")]})
    return name


@transaction.atomic
def load_carriers(*, actor=None, data: dict | None = None) -> dict:
    """Create or update carriers (by code), their rate cards and service levels for any
    origin warehouse, the boxes (by code) and the delivery promise per province. Every
    value is checked first (ValidationFailed naming it; nothing written). A carrier
    without a webhook secret gets a random one. Returns counts."""
    if actor is not None:
        require_perm(actor, "fulfillment.manage_carriers")
    data = data if data is not None else json.loads(DEFAULT_FILE.read_text(encoding="utf-8"))
    counts = {"carriers": 0, "rates": 0, "levels": 0, "boxes": 0, "promises": 0}
    for i, entry in enumerate(data.get("carriers", [])):
        where = f"carriers.{i}"
        code = str(entry.get("code") or "").strip()
        if not code or not entry.get("name") or not entry.get("waybill_prefix"):
            raise ValidationFailed(
                {where: [_("A carrier needs a code, a name and a waybill prefix.")]}
            )
        carrier, _created = Carrier.objects.update_or_create(
            code=code,
            defaults={
                "name": entry["name"],
                "name_en": entry.get("name_en", ""),
                "supports_cod": bool(entry.get("supports_cod")),
                "waybill_prefix": entry["waybill_prefix"],
                "waybill_digits": int(entry.get("waybill_digits", 12)),
                "is_active": bool(entry.get("is_active", True)),
            },
        )
        if not carrier.webhook_secret:
            Carrier.objects.filter(pk=carrier.pk).update(webhook_secret=secrets.token_hex(32))
        counts["carriers"] += 1
        rates = []
        for province, rate in (entry.get("rates") or {}).items():
            at = f"{where}.rates.{province}"
            rates.append(
                RateCard(
                    carrier=carrier, warehouse=None, province=_province(province, at),
                    first_weight_g=int(rate.get("first_weight_g", 1000)),
                    first_fee=_money(rate.get("first_fee"), f"{at}.first_fee"),
                    extra_weight_g=int(rate.get("extra_weight_g", 1000)),
                    extra_fee=_money(rate.get("extra_fee"), f"{at}.extra_fee"),
                )
            )  # fmt: skip
        RateCard.objects.filter(carrier=carrier, warehouse=None).delete()
        RateCard.objects.bulk_create(rates)
        counts["rates"] += len(rates)
        levels = [
            ServiceLevel(carrier=carrier, warehouse=None,
                         province=_province(p, f"{where}.days.{p}"), days=int(d))
            for p, d in (entry.get("days") or {}).items()
        ]  # fmt: skip
        ServiceLevel.objects.filter(carrier=carrier, warehouse=None).delete()
        ServiceLevel.objects.bulk_create(levels)
        counts["levels"] += len(levels)
    for province, days in (data.get("promise_days") or {}).items():
        DeliveryPromise.objects.update_or_create(
            province=_province(province, f"promise_days.{province}"), defaults={"days": int(days)}
        )
        counts["promises"] += 1
    for box in data.get("boxes") or []:
        BoxSize.objects.update_or_create(
            code=box["code"],
            defaults={
                k: box[k] for k in ("name", "length_mm", "width_mm", "height_mm", "max_weight_g")
            }
            | {"tare_g": box.get("tare_g", 0)},
        )
        counts["boxes"] += 1
    return counts


@transaction.atomic
def add_choice_rule(
    *,
    actor,
    kind: str,
    priority: int = 100,
    province: str = "",
    warehouse_id=None,
    carrier_code: str = "",
    fee="0.00",
) -> ChoiceRule:
    """A carrier choice rule (see ChoiceRule)."""
    if actor is not None:
        require_perm(actor, "fulfillment.manage_carriers")
    if kind not in ChoiceRule.Kind.values:
        raise ValidationFailed({"kind": [_("Choose fixed, cheapest or customer.")]})
    if province:
        _province(province, "province")
    carrier = None
    if carrier_code:
        carrier = Carrier.objects.filter(code=carrier_code).first()
        if carrier is None:
            raise ValidationFailed({"carrier": [_("No such carrier.")]})
    if kind == ChoiceRule.Kind.FIXED and carrier is None:
        raise ValidationFailed({"carrier": [_("A fixed rule names its carrier.")]})
    return ChoiceRule.objects.create(
        kind=kind, priority=priority, province=province, warehouse_id=warehouse_id or None,
        carrier=carrier, fee=_money(fee, "fee"),
    )  # fmt: skip

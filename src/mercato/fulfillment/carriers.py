"""Carriers: which carrier takes a parcel (choice rules over rate cards and service
levels), what it costs, the promised date, and waybill numbers.

`CarrierBook.load()` reads carriers, rates, service levels, promises and rules once; the
batch allocation asks it for every parcel of a batch without another query.
"""

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from mercato.core.errors import Conflict, NotFound

from .models import Carrier, ChoiceRule, DeliveryPromise, RateCard, ServiceLevel, Shipment


def fee_for(rate: RateCard, weight_g: int) -> Decimal:
    """First weight's fee, then the extra fee per started extra step."""
    extra = max(0, weight_g - rate.first_weight_g)
    steps = math.ceil(extra / rate.extra_weight_g) if extra else 0
    return rate.first_fee + rate.extra_fee * steps


@dataclass(frozen=True)
class Offer:
    carrier: Carrier
    fee: Decimal
    days: int | None


@dataclass(frozen=True)
class Choice:
    carrier: Carrier
    fee: Decimal  # what the carrier charges us
    days: int | None
    rule: str  # fixed, customer, cheapest or fastest
    surcharge: Decimal = Decimal("0.00")  # what the customer pays for choosing


class CarrierBook:
    """Every carrier's rates and promises, loaded once."""

    def __init__(self, carriers, rates, levels, promises, rules):
        self.carriers = {c.pk: c for c in carriers}
        self.by_code = {c.code: c for c in carriers}
        self.rates: dict[tuple[int, int | None, str], RateCard] = {
            (r.carrier_id, r.warehouse_id, r.province): r for r in rates
        }
        self.levels: dict[tuple[int, int | None, str], int] = {
            (s.carrier_id, s.warehouse_id, s.province): s.days for s in levels
        }
        self.promises = {p.province: p.days for p in promises}
        self.rules = list(rules)

    @classmethod
    def load(cls) -> "CarrierBook":
        return cls(
            list(Carrier.objects.filter(is_active=True)),
            list(RateCard.objects.all()),
            list(ServiceLevel.objects.all()),
            list(DeliveryPromise.objects.all()),
            list(ChoiceRule.objects.filter(is_active=True).order_by("priority", "id")),
        )

    def _rate(self, carrier_id: int, warehouse_id: int, province: str) -> RateCard | None:
        return self.rates.get((carrier_id, warehouse_id, province)) or self.rates.get(
            (carrier_id, None, province)
        )

    def days(self, carrier_id: int, warehouse_id: int, province: str) -> int | None:
        return self.levels.get((carrier_id, warehouse_id, province)) or self.levels.get(
            (carrier_id, None, province)
        )

    def offers(self, *, warehouse_id: int, province: str, weight_g: int, cod: bool):
        """Every active carrier that has a rate from this warehouse to this province (and
        collects cash, for a COD parcel), with its fee and promised days."""
        result = []
        for carrier in self.carriers.values():
            if cod and not carrier.supports_cod:
                continue
            rate = self._rate(carrier.pk, warehouse_id, province)
            if rate is None:
                continue
            days = self.days(carrier.pk, warehouse_id, province)
            result.append(Offer(carrier, fee_for(rate, weight_g), days))
        return sorted(result, key=lambda o: o.carrier.code)

    def _cheapest(self, offers: list[Offer], province: str) -> Choice:
        promise = self.promises.get(province)
        meeting = [
            o for o in offers if promise is None or (o.days is not None and o.days <= promise)
        ]
        if meeting:
            best = min(meeting, key=lambda o: (o.fee, o.days or 99, o.carrier.code))
            return Choice(best.carrier, best.fee, best.days, "cheapest")
        best = min(offers, key=lambda o: (o.days or 99, o.fee, o.carrier.code))
        return Choice(best.carrier, best.fee, best.days, "fastest")

    def choose(
        self, *, warehouse_id: int, province: str, weight_g: int, cod: bool, customer_choice=""
    ) -> Choice | None:
        """The carrier for a parcel, by the first rule that applies (ChoiceRule); None
        when no carrier delivers there (the parcel waits for one)."""
        offers = self.offers(warehouse_id=warehouse_id, province=province, weight_g=weight_g,
                             cod=cod)  # fmt: skip
        if not offers:
            return None
        by_carrier = {o.carrier.pk: o for o in offers}
        for rule in self.rules:
            if rule.province and rule.province != province:
                continue
            if rule.warehouse_id and rule.warehouse_id != warehouse_id:
                continue
            if rule.kind == ChoiceRule.Kind.FIXED and rule.carrier_id in by_carrier:
                o = by_carrier[rule.carrier_id]
                return Choice(o.carrier, o.fee, o.days, "fixed")
            if rule.kind == ChoiceRule.Kind.CUSTOMER and customer_choice:
                chosen = self.by_code.get(customer_choice)
                if chosen is not None and chosen.pk in by_carrier:
                    o = by_carrier[chosen.pk]
                    return Choice(o.carrier, o.fee, o.days, "customer", rule.fee)
            if rule.kind == ChoiceRule.Kind.CHEAPEST:
                return self._cheapest(offers, province)
        return self._cheapest(offers, province)


def promised_date(shipped_on: date, days: int | None) -> date | None:
    return shipped_on + timedelta(days=days) if days else None


@transaction.atomic
def assign_waybill(*, shipment: Shipment) -> str:
    """The parcel's waybill number (运单号): the carrier's prefix and its next running
    number. Idempotent: a parcel that has one keeps it. The caller holds the parcel's
    lock; the carrier row's counter is bumped with F() (no two parcels get one number)."""
    if shipment.waybill_no:
        return shipment.waybill_no
    if shipment.carrier_id is None:
        raise Conflict(_("The parcel has no carrier yet."), field="carrier")
    Carrier.objects.filter(pk=shipment.carrier_id).update(last_waybill=F("last_waybill") + 1)
    carrier = Carrier.objects.only("waybill_prefix", "waybill_digits", "last_waybill").get(
        pk=shipment.carrier_id
    )
    number = f"{carrier.waybill_prefix}{carrier.last_waybill:0{carrier.waybill_digits}d}"
    shipment.waybill_no = number
    Shipment.objects.filter(pk=shipment.pk).update(waybill_no=number)
    return number


def carrier_by_code(code: str) -> Carrier:
    carrier = Carrier.objects.filter(code=code, is_active=True).first()
    if carrier is None:
        raise NotFound(_("No such carrier."), field="carrier")
    return carrier

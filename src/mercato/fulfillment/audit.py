"""Delivery audit (配送稽核): how well each carrier delivers, per region and over time;
penalty rules and the penalties they produce; the late-parcel list customer service calls.

The figures are read from the parcels themselves: every tracking event a carrier sends is
applied to its parcel (status, delivered_at, damaged), so a scorecard is one aggregate over
the parcels shipped in the period, never a walk over the raw events.

Definitions (docs/fulfillment.md, "Delivery audit"):
- shipped: parcels handed to the carrier in the period (by shipped_at);
- on time: delivered on or before the carrier's promised date (promised_by, from its
  service level); the on-time rate is on time / delivered parcels that had a promise;
- damaged: a parcel a carrier reported damaged; lost: a parcel the carrier lost;
- refused: a parcel the recipient refused (whether received back yet or not);
- complaints: customers' delivery complaints about parcels of the period.
Rates are over shipped parcels, except on time (over delivered ones).
"""

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, DateField, F, Q
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from mercato.core.days import days_bounds
from mercato.core.errors import NotFound, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.core.tables import write_table

from .models import Carrier, Penalty, PenaltyKind, PenaltyRule, Shipment, ShipmentComplaint
from .models import ShipmentStatus as S
from .status import ON_THE_WAY

# Delivered on the local calendar day (Asia/Shanghai): a parcel delivered at 23:30 on its
# promised day is on time, whatever the UTC date.
DELIVERED_ON = TruncDate("delivered_at")
SHIPPED = (S.SHIPPED, S.EXCEPTION, S.DELIVERED, S.REFUSED, S.LOST, S.RETURNED)
REFUSED = (S.REFUSED, S.RETURNED)


@dataclass(frozen=True)
class Score:
    """One row of a scorecard: a carrier, a province (or all, ""), a week (or the period)."""

    carrier_id: int
    province: str
    week: date | None
    shipped: int
    delivered: int
    on_time: int
    late: int
    damaged: int
    lost: int
    refused: int
    complaints: int

    @staticmethod
    def _rate(part: int, whole: int) -> Decimal | None:
        if not whole:
            return None
        return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))

    @property
    def on_time_rate(self) -> Decimal | None:
        """Percent of delivered parcels (with a promise) that arrived by the promised day."""
        return self._rate(self.on_time, self.on_time + self.late)

    @property
    def damage_rate(self) -> Decimal | None:
        return self._rate(self.damaged, self.shipped)

    @property
    def loss_rate(self) -> Decimal | None:
        return self._rate(self.lost, self.shipped)

    @property
    def refusal_rate(self) -> Decimal | None:
        return self._rate(self.refused, self.shipped)


def _aggregates():
    delivered = Q(status=S.DELIVERED)
    promised = delivered & Q(promised_by__isnull=False)
    return {
        "shipped": Count("id"),
        "delivered": Count("id", filter=delivered),
        "on_time": Count("id", filter=promised & Q(delivered_on__lte=F("promised_by"))),
        "late": Count("id", filter=promised & Q(delivered_on__gt=F("promised_by"))),
        "damaged": Count("id", filter=Q(damaged=True)),
        "lost": Count("id", filter=Q(status=S.LOST)),
        "refused": Count("id", filter=Q(status__in=REFUSED)),
    }


def scorecard(
    *,
    since: date,
    until: date,
    carrier_id: int | None = None,
    by_province: bool = True,
    by_week: bool = False,
) -> list[Score]:
    """Scores of the parcels shipped from `since` to `until` (both included, local days),
    per carrier, and per province and/or ISO week when asked. One aggregate query for the
    parcels and one for the complaints, whatever the number of parcels."""
    start, end = days_bounds(since, until)

    def grouped(queryset, to_parcel: str):
        """The rows of parcels shipped in the period (reached through `to_parcel`) and the
        fields that group them: carrier, then province and/or week when asked."""
        queryset = queryset.filter(
            **{f"{to_parcel}shipped_at__gte": start, f"{to_parcel}shipped_at__lt": end}
        )
        if carrier_id:
            queryset = queryset.filter(**{f"{to_parcel}carrier_id": carrier_id})
        keys = [f"{to_parcel}carrier_id"]
        if by_province:
            keys.append(f"{to_parcel}province")
        if by_week:
            week = TruncWeek(f"{to_parcel}shipped_at", output_field=DateField())
            queryset = queryset.annotate(week=week)
            keys.append("week")
        return queryset, keys

    parcels, keys = grouped(
        Shipment.objects.filter(status__in=SHIPPED, carrier__isnull=False), to_parcel=""
    )
    aggregates = _aggregates()
    rows = (
        parcels.annotate(delivered_on=DELIVERED_ON)
        .values(*keys)
        .annotate(**aggregates)
        .order_by(*keys)
    )
    complaints, ckeys = grouped(ShipmentComplaint.objects.all(), to_parcel="shipment__")
    counted = {
        tuple(row[k] for k in ckeys): row["n"]
        for row in complaints.values(*ckeys).annotate(n=Count("id")).order_by()
    }
    return [
        Score(
            carrier_id=row["carrier_id"],
            province=row.get("province", ""),
            week=row.get("week"),
            complaints=counted.get(tuple(row[k] for k in keys), 0),
            **{k: row[k] for k in aggregates},
        )
        for row in rows
    ]


def carrier_names() -> dict[int, Carrier]:
    return {c.pk: c for c in Carrier.objects.only("code", "name", "name_en")}


# Late parcels --------------------------------------------------------------------------
def late_parcels(*, today: date | None = None, carrier_id: int | None = None, province=""):
    """Parcels still with the carrier past their promised day, the most overdue first:
    the list customer service calls from (with the order, so the recipient's phone)."""
    today = today or timezone.localdate()
    parcels = (
        Shipment.objects.filter(status__in=ON_THE_WAY, promised_by__lt=today)
        .select_related("order", "carrier")
        .order_by("promised_by", "pk")
    )
    if carrier_id:
        parcels = parcels.filter(carrier_id=carrier_id)
    if province:
        parcels = parcels.filter(province=province)
    return parcels


def days_late(parcel: Shipment, today: date | None = None) -> int:
    """Days past the promised day: to delivery, or to today while still on the way."""
    if parcel.promised_by is None:
        return 0
    if parcel.delivered_at is not None:
        end = timezone.localtime(parcel.delivered_at).date()
    else:
        end = today or timezone.localdate()
    return max((end - parcel.promised_by).days, 0)


# Penalties -----------------------------------------------------------------------------
@dataclass(frozen=True)
class PenaltyRun:
    created: int
    amount: Decimal


def _candidates(rule: PenaltyRule, today: date):
    parcels = Shipment.objects.filter(carrier__isnull=False).exclude(penalties__rule=rule)
    if rule.carrier_id:
        parcels = parcels.filter(carrier_id=rule.carrier_id)
    if rule.kind == PenaltyKind.LATE:
        # Late beyond N days: delivered more than N days after the promise, or still on
        # the way more than N days after it.
        # (Late at all is filtered here; beyond N days in apply_penalties.)
        return parcels.annotate(delivered_on=DELIVERED_ON).filter(
            Q(status=S.DELIVERED, promised_by__isnull=False, delivered_on__gt=F("promised_by"))
            | Q(status__in=ON_THE_WAY, promised_by__lt=today)
        )
    if rule.kind == PenaltyKind.DAMAGED:
        return parcels.filter(damaged=True)
    return parcels.filter(status=S.LOST)


def apply_penalties(*, today: date | None = None, chunk: int = 2000) -> PenaltyRun:
    """Fine every parcel that breaks an active rule and has not been fined under it (the
    scheduled job; running it again adds nothing). Rules add up: a parcel 6 days late
    under "late > 2 days ¥5" and "late > 5 days ¥20" owes ¥25."""
    today = today or timezone.localdate()
    created, total = 0, Decimal("0.00")
    for rule in PenaltyRule.objects.filter(is_active=True).order_by("pk"):
        ids = list(_candidates(rule, today).order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), chunk):
            with transaction.atomic():
                parcels = Shipment.objects.filter(pk__in=ids[start : start + chunk]).only(
                    "pk", "carrier", "promised_by", "delivered_at"
                )
                late = {p.pk: days_late(p, today) for p in parcels}
                rows = [
                    Penalty(
                        rule=rule,
                        shipment_id=p.pk,
                        carrier_id=p.carrier_id,
                        kind=rule.kind,
                        days_late=late[p.pk] if rule.kind == PenaltyKind.LATE else 0,
                        amount=rule.fine,
                    )
                    for p in parcels
                    if rule.kind != PenaltyKind.LATE or late[p.pk] > rule.min_days_late
                ]
                made = Penalty.objects.bulk_create(rows, ignore_conflicts=True)
            created += len(made)
            total += rule.fine * len(made)
    return PenaltyRun(created=created, amount=total)


def _fine(value) -> Decimal:
    try:
        fine = Decimal(str(value)).quantize(Decimal("0.01"))
    except ArithmeticError:
        fine = Decimal(0)
    if not fine.is_finite() or fine <= 0 or fine > Decimal("99999"):
        raise ValidationFailed({"fine": [_("Enter a fine above 0.")]})
    return fine


@transaction.atomic
def save_penalty_rule(
    *, actor, kind: str, fine, min_days_late=0, carrier_id=None, rule_id=None, is_active=True
) -> PenaltyRule:
    """Add a penalty rule, or change one (rule_id). Penalties already made stay as made."""
    require_perm(actor, "fulfillment.manage_penalties")
    if kind not in PenaltyKind.values:
        raise ValidationFailed({"kind": [_("Choose late, damaged or lost.")]})
    try:
        days = int(min_days_late or 0)
    except (TypeError, ValueError):
        days = -1
    if not 0 <= days <= 365:
        raise ValidationFailed({"min_days_late": [_("Enter 0 to 365 days.")]})
    if carrier_id and not Carrier.objects.filter(pk=carrier_id).exists():
        raise ValidationFailed({"carrier": [_("No such carrier.")]})
    fields = {
        "kind": kind,
        "fine": _fine(fine),
        "min_days_late": days if kind == PenaltyKind.LATE else 0,
        "carrier_id": carrier_id or None,
        "is_active": bool(is_active),
    }
    if rule_id is None:
        return PenaltyRule.objects.create(**fields)
    rule = PenaltyRule.objects.select_for_update().filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("No such rule."), field="rule_id")
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.save()
    return rule


def penalties(*, since: date, until: date, carrier_id: int | None = None):
    start, end = days_bounds(since, until)
    rows = Penalty.objects.filter(created_at__gte=start, created_at__lt=end).select_related(
        "carrier", "shipment__order"
    )
    if carrier_id:
        rows = rows.filter(carrier_id=carrier_id)
    return rows.order_by("carrier_id", "created_at", "pk")


def export_penalties_csv(*, actor, since: date, until: date, carrier_id=None) -> bytes:
    """The penalties made in the period as CSV for finance (UTF-8 with BOM, so Excel
    opens the Chinese names): one row per parcel and rule, the carrier's total last."""
    require_perm(actor, "fulfillment.export_penalties")
    header = ["carrier", "waybill_no", "order", "province", "kind", "days_late", "amount", "at"]

    def rows():
        totals: dict[str, Decimal] = {}
        found = penalties(since=since, until=until, carrier_id=carrier_id)
        for p in found.iterator(chunk_size=2000):
            yield [
                p.carrier.code,
                p.shipment.waybill_no or "",
                p.shipment.order.number,
                p.shipment.province,
                p.kind,
                p.days_late,
                f"{p.amount:.2f}",
                timezone.localtime(p.created_at).strftime("%Y-%m-%d %H:%M"),
            ]
            totals[p.carrier.code] = totals.get(p.carrier.code, Decimal(0)) + p.amount
        for code, amount in sorted(totals.items()):
            yield [code, "", "", "", "total", "", f"{amount:.2f}", ""]

    out = io.BytesIO()
    write_table(out, fmt="csv", header=header, rows=rows(), sheet="penalties")
    return out.getvalue()


@transaction.atomic
def record_complaint(*, actor, shipment_id: int, note: str, source: str = "") -> ShipmentComplaint:
    """A customer's complaint about a parcel's delivery (service tickets call this)."""
    note = str(note or "").strip()
    if not note:
        raise ValidationFailed({"note": [_("Say what the customer complained about.")]})
    if not Shipment.objects.filter(pk=shipment_id).exists():
        raise NotFound(_("No such parcel."), field="shipment_id")
    return ShipmentComplaint.objects.create(
        shipment_id=shipment_id, note=note[:200], source=str(source or "")[:40], created_by=actor
    )

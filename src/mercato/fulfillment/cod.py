"""Cash on delivery: a carrier's remittance file (货款回款, CSV) reconciled against the COD
parcels it delivered. Each row is matched, short-paid, overpaid, unexpected (no delivered
COD parcel of this carrier has that waybill) or a duplicate (remitted before); delivered
COD parcels no file has paid are missing. A matched order's COD payment becomes paid
(payments.services.record_cod_collection). Malformed rows are named and nothing is
imported."""

import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mercato.core.errors import ValidationFailed
from mercato.core.permissions import require_perm
from mercato.payments.services import record_cod_collection

from .carriers import carrier_by_code
from .models import Remittance, RemittanceLine, Shipment, ShipmentKind, ShipmentStatus

O = RemittanceLine.Outcome  # noqa: E741 - the outcomes, as in the model
PAID_OUTCOMES = (O.MATCHED, O.SHORT, O.OVER)
MAX_ROWS = 50_000


@dataclass(frozen=True)
class Row:
    row: int
    waybill_no: str
    amount: Decimal


def parse_remittance(raw: bytes) -> list[Row]:
    """The file's rows (header: waybill_no, amount); ValidationFailed naming every bad row
    ("row 3.amount") and nothing else done."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed({"file": [_("The file is not UTF-8 text.")]}) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = {"waybill_no", "amount"} - set(reader.fieldnames or ())
    if missing:
        raise ValidationFailed(
            {"file": [_("Missing columns: %(c)s") % {"c": ", ".join(sorted(missing))}]}
        )
    rows, errors, seen = [], {}, {}
    for n, record in enumerate(reader, start=2):
        if n - 1 > MAX_ROWS:
            raise ValidationFailed({"file": [_("At most %(n)s rows.") % {"n": MAX_ROWS}]})
        waybill = str(record.get("waybill_no") or "").strip().upper()
        if not waybill:
            errors[f"row {n}.waybill_no"] = [_("The waybill number is missing.")]
            continue
        if waybill in seen:
            errors[f"row {n}.waybill_no"] = [
                _("Waybill %(w)s is also on row %(r)s.") % {"w": waybill, "r": seen[waybill]}
            ]
            continue
        seen[waybill] = n
        try:
            amount = Decimal(str(record.get("amount") or "").strip().replace(",", ""))
        except InvalidOperation:
            amount = None
        if (
            amount is None
            or not amount.is_finite()
            or amount < 0
            or amount != amount.quantize(Decimal("0.01"))
        ):
            errors[f"row {n}.amount"] = [_("Enter an amount in yuan, to the fen.")]
            continue
        rows.append(Row(n, waybill, amount.quantize(Decimal("0.01"))))
    if errors:
        raise ValidationFailed(errors, message=_("Nothing was imported: correct these rows first."))
    if not rows:
        raise ValidationFailed({"file": [_("The file has no rows.")]})
    return rows


def import_remittance(*, actor, carrier_code: str, file, filename: str = "") -> Remittance:
    """Import and reconcile one remittance file of a carrier, in one transaction."""
    require_perm(actor, "fulfillment.reconcile_cod")
    carrier = carrier_by_code(carrier_code)
    rows = parse_remittance(file.read())
    with transaction.atomic():
        parcels = {
            s.waybill_no: s
            for s in Shipment.objects.select_for_update()
            .filter(carrier=carrier, waybill_no__in=[r.waybill_no for r in rows])
            .select_related("order")
            .order_by("pk")
        }
        paid_before = set(
            RemittanceLine.objects.filter(
                shipment__in=[p.pk for p in parcels.values()], outcome__in=PAID_OUTCOMES
            ).values_list("shipment_id", flat=True)
        )
        name = filename or getattr(file, "name", "") or "remittance.csv"
        remittance = Remittance.objects.create(
            carrier=carrier,
            filename=name[:200],
            rows=len(rows),
            total=sum((r.amount for r in rows), Decimal("0.00")),
            uploaded_by=actor,
        )
        lines = []
        for row in rows:
            parcel = parcels.get(row.waybill_no)
            expected = parcel.cod_amount if parcel is not None else None
            if parcel is None or not parcel.cod_amount or parcel.status != ShipmentStatus.DELIVERED:
                outcome, parcel, expected = O.UNEXPECTED, None, None
            elif parcel.pk in paid_before:
                outcome = O.DUPLICATE
            elif row.amount == expected:
                outcome = O.MATCHED
            elif row.amount < expected:
                outcome = O.SHORT
            else:
                outcome = O.OVER
            lines.append(
                RemittanceLine(
                    remittance=remittance, row=row.row, waybill_no=row.waybill_no,
                    amount=row.amount, expected=expected, shipment=parcel, outcome=outcome,
                )
            )  # fmt: skip
            if outcome == O.MATCHED and parcel.kind == ShipmentKind.ORDER:
                # The courier collected the order's total with this parcel: the order's
                # COD payment is paid now.
                record_cod_collection(order=parcel.order, amount=parcel.cod_amount, actor=actor)
        RemittanceLine.objects.bulk_create(lines)
    return remittance


def missing_remittances(*, carrier=None, delivered_before=None, grace_days: int = 7) -> QuerySet:
    """Delivered COD parcels that no remittance file paid, delivered more than
    `grace_days` ago (carriers remit weekly), oldest first."""
    delivered_before = delivered_before or timezone.now() - timedelta(days=grace_days)
    paid = RemittanceLine.objects.filter(shipment=OuterRef("pk"), outcome__in=PAID_OUTCOMES)
    queryset = (
        Shipment.objects.filter(
            status=ShipmentStatus.DELIVERED, cod_amount__gt=0, delivered_at__lt=delivered_before
        )
        .filter(~Exists(paid))
        .select_related("order", "carrier")
        .order_by("delivered_at", "pk")
    )
    return queryset.filter(carrier=carrier) if carrier else queryset

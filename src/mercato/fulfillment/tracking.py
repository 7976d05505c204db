"""Carrier tracking events: a signed webhook (HMAC-SHA256 with a shared secret per carrier,
replay-proof by timestamp and nonce), CSV upload, and polls of the carriers' tracking
APIs. Every event is stored once (carrier + event id); an event older than the parcel's
newest is kept but does not move the parcel back; the order follows its parcels.

Signature: hex(HMAC-SHA256(secret, f"{timestamp}.{nonce}.{body}")) in the header
X-Mercato-Signature, with X-Mercato-Timestamp (Unix seconds, within ±300 s of our clock)
and X-Mercato-Nonce (8-64 characters, never used twice by one carrier).
"""

import csv
import hashlib
import hmac
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mercato.core.errors import DomainError, ValidationFailed
from mercato.core.permissions import require_perm

from .carriers import carrier_by_code
from .models import Carrier, Shipment, ShipmentStatus, TrackingCode, TrackingEvent, WebhookNonce
from .shipping import sync_order
from .status import ALLOWED, BEFORE_SHIPPING, move_shipment

S = ShipmentStatus
T = TrackingCode
SKEW_SECONDS = 300
MAX_EVENTS = 500
NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# Where each event takes a parcel (when the move is allowed from where it is).
TARGET = {
    T.PICKED_UP: S.SHIPPED,
    T.IN_TRANSIT: S.SHIPPED,
    T.OUT_FOR_DELIVERY: S.SHIPPED,
    T.DELIVERED: S.DELIVERED,
    T.DELAYED: S.EXCEPTION,
    T.DAMAGED: S.EXCEPTION,
    T.REFUSED: S.REFUSED,
    T.LOST: S.LOST,
    T.RETURNED: S.REFUSED,
}
REASON_TRACKING = gettext_noop("Carrier tracking: %(event)s")


class Unauthenticated(DomainError):
    code = "bad_signature"
    status = 401


class Replayed(DomainError):
    code = "replayed"
    status = 409


def sign(secret: str, *, timestamp: str, nonce: str, body: bytes) -> str:
    message = f"{timestamp}.{nonce}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_signature(
    carrier: Carrier, *, timestamp: str, nonce: str, signature: str, body: bytes, now=None
) -> None:
    """Refuse (401) a request not signed with the carrier's secret or outside the allowed
    clock skew, and (409) a nonce the carrier used before. The nonce is recorded in the
    caller's transaction, so a request that fails later can be sent again."""
    if not carrier.webhook_secret:
        raise Unauthenticated(_("This carrier's webhook is closed."), field="carrier")
    now = now or timezone.now()
    try:
        sent = datetime.fromtimestamp(int(timestamp), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise Unauthenticated(_("A Unix timestamp is required."), field="timestamp") from None
    if abs((now - sent).total_seconds()) > SKEW_SECONDS:
        raise Unauthenticated(_("The timestamp is too old or in the future."), field="timestamp")
    if not NONCE.match(nonce or ""):
        raise Unauthenticated(
            _("A nonce of 8 to 64 letters and digits is required."), field="nonce"
        )
    expected = sign(carrier.webhook_secret, timestamp=timestamp, nonce=nonce, body=body)
    if not hmac.compare_digest(expected, (signature or "").strip().lower()):
        raise Unauthenticated(_("The signature does not match."), field="signature")
    try:
        with transaction.atomic():
            WebhookNonce.objects.create(carrier=carrier, nonce=nonce)
    except IntegrityError:
        raise Replayed(_("This request was received before (nonce used)."), field="nonce") from None


@dataclass
class IncomingEvent:
    event_id: str
    waybill_no: str
    code: str
    occurred_at: datetime
    location: str = ""
    description: str = ""


@dataclass
class TrackingResult:
    applied: int = 0
    kept: int = 0  # stored, but older than the parcel's newest or not a move from where it is
    duplicates: int = 0
    outcomes: list[dict] = field(default_factory=list)


def _parse_time(value, *, where: str) -> datetime:
    at = parse_datetime(str(value or "").strip()) if value else None
    if at is None:
        raise ValidationFailed({f"{where}.occurred_at": [_("Give the time as ISO 8601.")]})
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > timezone.now() + timedelta(seconds=SKEW_SECONDS):
        raise ValidationFailed({f"{where}.occurred_at": [_("The time is in the future.")]})
    return at


def parse_events(rows, *, carrier: Carrier) -> list[IncomingEvent]:
    """Checked events from dicts (webhook JSON, CSV rows, poll answers); ValidationFailed
    naming every bad one (and nothing applied): a missing field, an unknown event code or
    waybill number of this carrier, a bad time."""
    if not isinstance(rows, list) or not rows:
        raise ValidationFailed({"events": [_("Send a list of events.")]})
    if len(rows) > MAX_EVENTS:
        raise ValidationFailed({"events": [_("At most %(n)s events at once.") % {"n": MAX_EVENTS}]})
    errors, events = {}, []
    for i, row in enumerate(rows):
        where = f"events.{i}"
        if not isinstance(row, dict):
            errors[where] = [_("An event is an object.")]
            continue
        try:
            waybill = str(row.get("waybill_no") or "").strip().upper()
            code = str(row.get("code") or "").strip()
            if not waybill:
                raise ValidationFailed({f"{where}.waybill_no": [_("Give the waybill number.")]})
            if code not in T.values:
                raise ValidationFailed(
                    {
                        f"{where}.code": [
                            _("Unknown event; one of %(c)s.") % {"c": ", ".join(T.values)}
                        ]
                    }
                )
            at = _parse_time(row.get("occurred_at"), where=where)
            event_id = (
                str(row.get("event_id") or "").strip()[:64]
                or hashlib.sha1(  # noqa: S324 - an id, not security
                    f"{waybill}|{code}|{at.isoformat()}".encode()
                ).hexdigest()
            )
            events.append(
                IncomingEvent(
                    event_id=event_id, waybill_no=waybill, code=code, occurred_at=at,
                    location=str(row.get("location") or "")[:60],
                    description=str(row.get("description") or "")[:200],
                )
            )  # fmt: skip
        except ValidationFailed as exc:
            errors.update(exc.field_errors)
    known = set(
        Shipment.objects.filter(
            carrier=carrier, waybill_no__in={e.waybill_no for e in events}
        ).values_list("waybill_no", flat=True)
    )
    for i, event in enumerate(events):
        if event.waybill_no not in known:
            errors[f"events.{i}.waybill_no"] = [
                _("Unknown waybill number %(w)s for this carrier.") % {"w": event.waybill_no}
            ]
    if errors:
        raise ValidationFailed(errors, message=_("No event was applied: correct these first."))
    return events


def apply_events(*, carrier: Carrier, events: list[IncomingEvent], source: str) -> TrackingResult:
    """Store and apply checked events, oldest first, inside the caller's transaction."""
    result = TrackingResult()
    parcels = {
        s.waybill_no: s
        for s in Shipment.objects.select_for_update()
        .filter(carrier=carrier, waybill_no__in={e.waybill_no for e in events})
        .order_by("pk")
    }
    seen = set(
        TrackingEvent.objects.filter(
            carrier=carrier, event_id__in=[e.event_id for e in events]
        ).values_list("event_id", flat=True)
    )
    orders = set()
    for event in sorted(events, key=lambda e: (e.occurred_at, e.event_id)):
        if event.event_id in seen:
            result.duplicates += 1
            result.outcomes.append({"event_id": event.event_id, "outcome": "duplicate"})
            continue
        seen.add(event.event_id)
        parcel = parcels[event.waybill_no]
        applied = _apply(parcel, event)
        TrackingEvent.objects.create(
            shipment=parcel, carrier=carrier, event_id=event.event_id, code=event.code,
            occurred_at=event.occurred_at, location=event.location,
            description=event.description, source=source, applied=applied,
        )  # fmt: skip
        if applied:
            result.applied += 1
            orders.add(parcel.order_id)
        else:
            result.kept += 1
        result.outcomes.append(
            {"event_id": event.event_id, "outcome": "applied" if applied else "kept"}
        )
    for order_id in sorted(orders):
        sync_order(order_id=order_id)
    return result


def _apply(parcel: Shipment, event: IncomingEvent) -> bool:
    """Move the parcel as the event says; False (kept only) when the event is older than
    the parcel's newest applied one, or the move is not allowed from where it is."""
    if parcel.status in BEFORE_SHIPPING:
        return False  # only shipping (which takes the stock out) hands a parcel over
    if parcel.last_event_at and event.occurred_at < parcel.last_event_at:
        return False
    target = TARGET[event.code]
    fields = ["last_event_at"]
    parcel.last_event_at = event.occurred_at
    if event.code == T.DAMAGED:
        parcel.damaged = True
        fields.append("damaged")
    if target in (S.EXCEPTION, S.REFUSED, S.LOST):
        parcel.exception_note = f"{event.code}: {event.description}"[:200]
        fields.append("exception_note")
    if target == S.DELIVERED:
        parcel.delivered_at = event.occurred_at
        fields.append("delivered_at")
    if target == parcel.status:
        parcel.save(update_fields=fields)
        return True
    if target not in ALLOWED[parcel.status]:
        return False
    move_shipment(
        shipment=parcel, to=target, actor=None,
        reason=REASON_TRACKING % {"event": event.code}, update_fields=fields,
    )  # fmt: skip
    return True


def receive_webhook(*, carrier_code: str, headers, body: bytes) -> TrackingResult:
    """The carrier's signed POST: verify, parse, apply, all in one transaction (a bad event
    rolls everything back, the nonce included, so the carrier can correct and resend)."""
    carrier = Carrier.objects.filter(code=carrier_code, is_active=True).first()
    if carrier is None:
        raise Unauthenticated(_("Unknown carrier."), field="carrier")
    with transaction.atomic():
        verify_signature(
            carrier,
            timestamp=headers.get("X-Mercato-Timestamp", ""),
            nonce=headers.get("X-Mercato-Nonce", ""),
            signature=headers.get("X-Mercato-Signature", ""),
            body=body,
        )
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ValidationFailed({"body": [_("The body is not JSON.")]}) from None
        events = parse_events(
            payload.get("events") if isinstance(payload, dict) else None, carrier=carrier
        )
        return apply_events(carrier=carrier, events=events, source=TrackingEvent.Source.WEBHOOK)


CSV_COLUMNS = ("waybill_no", "code", "occurred_at", "location", "description", "event_id")


def upload_tracking_csv(*, actor, carrier_code: str, file) -> TrackingResult:
    """A carrier's tracking file (CSV, UTF-8, header row with at least waybill_no, code,
    occurred_at): every row checked first, the row numbers of bad ones named, nothing
    applied unless all are good."""
    require_perm(actor, "fulfillment.upload_tracking")
    carrier = carrier_by_code(carrier_code)
    raw = file.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed({"file": [_("The file is not UTF-8 text.")]}) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = {"waybill_no", "code", "occurred_at"} - set(reader.fieldnames or ())
    if missing:
        raise ValidationFailed(
            {"file": [_("Missing columns: %(c)s") % {"c": ", ".join(sorted(missing))}]}
        )
    rows = list(reader)
    try:
        events = parse_events(rows, carrier=carrier)
    except ValidationFailed as exc:
        # "events.3.code" → "row 5.code": header is row 1, the first event row 2.
        raise ValidationFailed(
            {_row_name(name): msgs for name, msgs in exc.field_errors.items()}, message=exc.message
        ) from None
    with transaction.atomic():
        return apply_events(carrier=carrier, events=events, source=TrackingEvent.Source.CSV)


def _row_name(name: str) -> str:
    match = re.match(r"events\.(\d+)(.*)", name)
    return f"row {int(match[1]) + 2}{match[2]}" if match else name


def purge_nonces(*, older_than_seconds: int = SKEW_SECONDS * 2) -> int:
    """Nonces older than the allowed skew can go: their timestamps would be refused."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    deleted, _rows = WebhookNonce.objects.filter(seen_at__lt=cutoff).delete()
    return deleted


def poll_carrier(*, carrier: Carrier, limit: int = 100, http=None) -> TrackingResult | None:
    """Ask a carrier's tracking API about its parcels on the way that have no recent event
    (GET tracking_api_url?waybills=a,b,c, signed as the webhook is; the answer is JSON
    {"events": [...]}, applied as webhook events are). None when it has no API."""
    if not carrier.tracking_api_url or not carrier.webhook_secret:
        return None
    stale = timezone.now() - timedelta(
        hours=int(getattr(settings, "MERCATO_TRACKING_POLL_HOURS", 6))
    )
    waybills = list(
        Shipment.objects.filter(carrier=carrier, status__in=(S.SHIPPED, S.EXCEPTION))
        .exclude(last_event_at__gte=stale)
        .order_by("shipped_at")
        .values_list("waybill_no", flat=True)[:limit]
    )
    if not waybills:
        return TrackingResult()
    import secrets
    import urllib.parse
    import urllib.request

    query = urllib.parse.urlencode({"waybills": ",".join(waybills)}).encode()
    timestamp, nonce = str(int(timezone.now().timestamp())), secrets.token_hex(16)
    request = urllib.request.Request(  # noqa: S310 - an http(s) URL the carrier gave us
        f"{carrier.tracking_api_url}?{query.decode()}",
        headers={
            "X-Mercato-Timestamp": timestamp,
            "X-Mercato-Nonce": nonce,
            "X-Mercato-Signature": sign(
                carrier.webhook_secret, timestamp=timestamp, nonce=nonce, body=query
            ),
        },
    )
    opener = http or urllib.request.urlopen
    with opener(request, timeout=10) as answer:  # noqa: S310
        payload = json.loads(answer.read())
    rows = payload.get("events") if isinstance(payload, dict) else None
    if not rows:
        return TrackingResult()
    with transaction.atomic():
        events = parse_events(rows, carrier=carrier)
        return apply_events(carrier=carrier, events=events, source=TrackingEvent.Source.POLL)

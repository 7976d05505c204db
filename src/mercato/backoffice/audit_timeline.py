"""The audit timeline: every state change that matters, newest first, in one list.

Five sources, each read through its app's selectors, never written:
- "change": django-auditlog's entries (catalogue, staff, search settings, API tokens, ...);
- "order", "payment", "refund": the status events of orders, payments and refunds;
- "stock": the stock ledger (receipts, adjustments, reservations, releases, shipments).

The page is a merge of the five: each source gives its newest `offset + page size` rows
(their time, source, id and actor only), the database orders their UNION ALL and cuts the
page, and only the rows on the page are then read in full, one query per source. A page
costs the same number of queries whatever the number of entries.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.db.models import CharField, F, QuerySet, Value
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mercato.core.days import day_start
from mercato.core.masking import text_for
from mercato.inventory import selectors as inventory_selectors
from mercato.orders import selectors as order_selectors
from mercato.payments import selectors as payment_selectors

from .audit_readable import readable_changes

User = get_user_model()

# (code, label): the "what" filter's first choices; audited model types follow them.
KINDS = [
    ("order", gettext_lazy("Orders: status changes")),
    ("payment", gettext_lazy("Payments: status changes")),
    ("refund", gettext_lazy("Refunds: status changes")),
    ("stock", gettext_lazy("Stock ledger")),
    ("change", gettext_lazy("Changes to catalogue, staff and settings")),
]


@dataclass
class Criteria:
    """What the list is narrowed to; every field optional."""

    kind: str = ""  # one of KINDS, or "ct:<content type id>" for one audited model
    actor: str = ""  # a username
    reference: str = ""  # order, payment or refund number, SKU code, object id
    since: object = None  # date
    until: object = None  # date


@dataclass
class Entry:
    when: datetime
    kind: str
    kind_label: str
    actor: str
    subject: str
    action: str
    url: str = ""
    ip: str = ""
    note: str = ""
    changes: list = field(default_factory=list)


def _parts(criteria: Criteria) -> list[tuple[str, QuerySet, str]]:
    """(kind, queryset, time field) of each source the criteria leave in."""
    kind, ref = criteria.kind, criteria.reference.strip()
    changes = LogEntry.objects.all()
    if kind.startswith("ct:"):
        changes = changes.filter(content_type_id=kind[3:])
    if ref:
        changes = changes.filter(object_pk=ref) | changes.filter(object_repr__icontains=ref)
    parts = [
        ("change", changes, "timestamp"),
        ("order", order_selectors.order_events(number=ref), "created_at"),
        ("payment", payment_selectors.payment_events(number=ref), "created_at"),
        ("refund", payment_selectors.refund_events(number=ref), "created_at"),
        ("stock", inventory_selectors.stock_movements(reference=ref), "created_at"),
    ]
    if kind:
        wanted = "change" if kind.startswith("ct:") else kind
        parts = [p for p in parts if p[0] == wanted]
    narrowed = []
    for code, queryset, when in parts:
        if criteria.actor:
            queryset = queryset.filter(actor__username__iexact=criteria.actor.strip())
        if criteria.since:
            queryset = queryset.filter(**{f"{when}__gte": day_start(criteria.since)})
        if criteria.until:
            end = day_start(criteria.until + timedelta(days=1))
            queryset = queryset.filter(**{f"{when}__lt": end})
        narrowed.append((code, queryset, when))
    return narrowed


def _rows(code: str, queryset: QuerySet, when: str) -> QuerySet:
    return (
        queryset.order_by()
        .annotate(
            ts=F(when),
            # "source", not "kind": OrderEvent has a field of that name.
            source=Value(code, output_field=CharField()),
            row_id=F("pk"),
            who=F("actor_id"),
        )
        .values_list("ts", "source", "row_id", "who")
    )


def _union(parts: list[QuerySet]) -> QuerySet:
    return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]


class Timeline:
    """The merged list, as a sequence a Paginator can page: count() and slices."""

    def __init__(self, criteria: Criteria, viewer):
        self.parts = _parts(criteria)
        self.viewer = viewer

    def count(self) -> int:
        # One query for all sources: COUNT(*) over their UNION ALL.
        if not self.parts:
            return 0
        rows = [_rows(code, queryset, when) for code, queryset, when in self.parts]
        return _union(rows).count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[Entry]:
        start, stop = window.start or 0, window.stop
        if not self.parts or stop is None or stop <= start:
            return []
        # Each source's newest `stop` rows, chosen by an IN (subquery with LIMIT): SQLite
        # allows no LIMIT on the members of a UNION itself.
        newest = [
            _rows(
                code,
                queryset.model.objects.filter(
                    pk__in=queryset.order_by(f"-{when}", "-pk").values("pk")[:stop]
                ),
                when,
            )
            for code, queryset, when in self.parts
        ]
        rows = list(_union(newest).order_by("-ts", "source", "-row_id")[start:stop])
        return _entries(rows, self.viewer)


def _entries(rows, viewer) -> list[Entry]:
    ids: dict[str, list[int]] = {}
    for _ts, kind, row_id, _who in rows:
        ids.setdefault(kind, []).append(row_id)
    actors = User.objects.in_bulk({who for *_rest, who in rows if who})
    loaded = {
        "change": lambda pks: LogEntry.objects.select_related("content_type").in_bulk(pks),
        "order": order_selectors.order_events_by_id,
        "payment": payment_selectors.payment_events_by_id,
        "refund": payment_selectors.refund_events_by_id,
        "stock": inventory_selectors.stock_movements_by_id,
    }
    objects = {kind: loaded[kind](pks) for kind, pks in ids.items()}
    changes = readable_changes(list(objects.get("change", {}).values()), viewer)
    labels = dict(KINDS)
    entries = []
    for ts, kind, row_id, who in rows:
        obj = objects[kind].get(row_id)
        if obj is None:  # gone between the two reads
            continue
        actor = actors.get(who)
        entry = Entry(
            when=ts,
            kind=kind,
            kind_label=str(labels[kind]),
            actor=text_for(viewer, str(actor)) if actor else _("system"),
            subject="",
            action="",
        )
        _DESCRIBE[kind](entry, obj, viewer, changes)
        entries.append(entry)
    return entries


def _status_change(entry: Entry, obj, viewer) -> None:
    before = obj.get_from_status_display() if obj.from_status else "—"
    entry.action = f"{before} → {obj.get_to_status_display()}"
    entry.note = text_for(viewer, _(obj.reason)) if obj.reason else ""


def _describe_order(entry, event, viewer, _changes):
    entry.subject = _("Order %(number)s") % {"number": event.order.number}
    _status_change(entry, event, viewer)


def _describe_payment(entry, event, viewer, _changes):
    payment = event.payment
    entry.subject = _("Payment %(number)s (order %(order)s)") % {
        "number": payment.number,
        "order": payment.order.number,
    }
    entry.url = reverse("backoffice:payment_detail", args=[payment.pk])
    _status_change(entry, event, viewer)


def _describe_refund(entry, event, viewer, _changes):
    refund = event.refund
    entry.subject = _("Refund %(number)s of ¥%(amount)s (order %(order)s)") % {
        "number": refund.refund_no,
        "amount": refund.amount,
        "order": refund.payment.order.number,
    }
    entry.url = reverse("backoffice:payment_detail", args=[refund.payment_id])
    _status_change(entry, event, viewer)


def _describe_stock(entry, movement, viewer, _changes):
    stock = movement.stock
    entry.subject = _("%(sku)s in %(warehouse)s") % {
        "sku": stock.sku.code,
        "warehouse": stock.warehouse.name,
    }
    parts = [movement.get_reason_display()]
    if movement.on_hand_delta:
        parts.append(
            _("on hand %(before)s → %(after)s")
            % {"before": movement.on_hand_before, "after": movement.on_hand_after}
        )
    if movement.reserved_delta:
        parts.append(
            _("reserved %(before)s → %(after)s")
            % {"before": movement.reserved_before, "after": movement.reserved_after}
        )
    entry.action = " · ".join(parts)
    entry.note = text_for(viewer, " · ".join(x for x in (movement.reference, movement.note) if x))


def _describe_change(entry, log_entry, viewer, changes):
    readable = changes.get(log_entry.pk)
    entry.kind_label = str(log_entry.content_type.name)
    entry.subject = f"{text_for(viewer, log_entry.object_repr)} #{log_entry.object_pk}"
    entry.action = readable.action
    entry.changes = readable.fields
    entry.ip = log_entry.remote_addr or ""


_DESCRIBE = {
    "change": _describe_change,
    "order": _describe_order,
    "payment": _describe_payment,
    "refund": _describe_refund,
    "stock": _describe_stock,
}

"""django-auditlog's entries as people read them: field names in the UI's language, choices
and yes/no as words, related rows by name (one query per related model on the page), times
in the shop's time zone, no reverse relations or bookkeeping fields, "—" for nothing, and
personal data masked for viewers without `core.view_full_phone`."""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from auditlog.models import LogEntry
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from mercato.core.masking import address_for, name_for, phone_for, text_for
from mercato.staff import roles
from mercato.staff.models import StaffProfile

# Fields whose change says nothing to a reader.
QUIET_FIELDS = {"id", "created_at", "updated_at", "password", "last_login", "token_hash"}
# Personal data by field name, masked by kind for viewers without the permission.
PERSONAL = {
    "mobile": phone_for,
    "phone": phone_for,
    "detail": address_for,
    "address": address_for,
    "recipient": name_for,
    "contact": name_for,
}
NOTHING = "—"
# What an event's data holds beside model fields (a catalogue import's counts).
EVENT_LABELS = {
    "rows": gettext_lazy("rows"),
    "rows_failed": gettext_lazy("rows with errors"),
    "error_count": gettext_lazy("errors"),
    "written": gettext_lazy("written"),
    "products_created": gettext_lazy("products created"),
    "products_updated": gettext_lazy("products updated"),
    "products_unchanged": gettext_lazy("products unchanged"),
    "skus_created": gettext_lazy("SKUs created"),
    "skus_updated": gettext_lazy("SKUs updated"),
    "skus_unchanged": gettext_lazy("SKUs unchanged"),
    "brands_created": gettext_lazy("brands created"),
}
DEPARTMENT_NAMES = {code: (name, name_en) for code, name, name_en, _perms in roles.DEPARTMENTS}


@dataclass
class Readable:
    action: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (label, old, new)


def readable_changes(entries: list[LogEntry], viewer) -> dict[int, Readable]:
    """{entry id: Readable} for entries with content_type loaded."""
    pending: list[tuple[list, int, object, str]] = []  # (row, position, model, pk)
    result = {}
    for entry in entries:
        model = entry.content_type.model_class()
        raw = entry.changes if isinstance(entry.changes, dict) else {}
        readable = Readable(action=_action(entry, raw))
        for name, values in raw.items():
            if entry.action == LogEntry.Action.ACCESS and name == "event":
                continue
            row = _field_row(entry, model, name, values, viewer, pending)
            if row is not None:
                readable.fields.append(row)
        result[entry.pk] = readable
    _resolve_related(pending, viewer)
    for readable in result.values():
        readable.fields = [tuple(row) for row in readable.fields]
    return result


def _action(entry: LogEntry, raw: dict) -> str:
    if entry.action == LogEntry.Action.ACCESS:
        event = raw.get("event")
        message = event[1] if isinstance(event, list) and len(event) == 2 else ""
        return _(message) if message else _("event")
    return {
        LogEntry.Action.CREATE: _("created"),
        LogEntry.Action.UPDATE: _("changed"),
        LogEntry.Action.DELETE: _("deleted"),
    }.get(entry.action, str(entry.get_action_display()))


def _model_field(model, name):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _field_row(entry, model, name, values, viewer, pending):
    if name in QUIET_FIELDS:
        return None
    model_field = _model_field(model, name)
    if model_field is not None and not model_field.concrete and not model_field.many_to_many:
        return None  # a reverse relation (user → api_tokens): not a change of this row
    label = _label(model_field, name)
    label = label[:1].upper() + label[1:]
    if isinstance(values, dict) and values.get("type") == "m2m":
        names = ", ".join(_object_name(viewer, str(o)) for o in values.get("objects", []))
        sign = {"add": "+ ", "delete": "− ", "clear": "− "}.get(values.get("operation"), "")
        return [label, NOTHING, f"{sign}{names}" if names else NOTHING]
    if not (isinstance(values, list) and len(values) == 2):
        return [label, NOTHING, _plain(values, viewer)]
    old, new = values
    if old == new or (entry.action == LogEntry.Action.CREATE and _empty(new)):
        return None
    row = [label, None, None]
    for position, value in ((1, old), (2, new)):
        row[position] = _value(model_field, name, value, viewer)
        if (
            model_field is not None
            and model_field.is_relation
            and model_field.related_model
            and not _empty(value)
        ):
            pending.append((row, position, model_field.related_model, value))
    return row


def _label(model_field, name: str) -> str:
    if model_field is None:
        return str(EVENT_LABELS.get(name, name))
    label = str(model_field.verbose_name or name)
    if model_field.is_relation and model_field.related_model and label == name.replace("_", " "):
        # A relation without a name of its own (verbose_name made from "user"): called by
        # the model it points to, whose name is translated.
        return str(model_field.related_model._meta.verbose_name)
    return label


def _object_name(viewer, text: str) -> str:
    """A row added to or removed from a many-to-many field, by name: a staff member's
    groups are their department and roles (stored as "dept:service", "role:lead")."""
    kind, _colon, code = text.partition(":")
    if kind == "role" and code in roles.ROLES:
        return roles.role_label(code)
    if kind == "dept" and code in DEPARTMENT_NAMES:
        name, name_en = DEPARTMENT_NAMES[code]
        return name if (get_language() or "zh").startswith("zh") else name_en
    return text_for(viewer, text)


def _empty(value) -> bool:
    return value in (None, "", "None", "[]", "{}")


def _plain(value, viewer) -> str:
    if isinstance(value, bool) or value in ("True", "False"):  # an event's flag
        return _("yes") if value in (True, "True") else _("no")
    return NOTHING if _empty(value) else text_for(viewer, str(value))


def _value(model_field, name, value, viewer) -> str:
    if _empty(value):
        return NOTHING
    text = str(value)
    if name in PERSONAL:
        return PERSONAL[name](viewer, text)
    if name == "roles" and getattr(model_field, "model", None) is StaffProfile:
        # "lead,service_lead" → 部门主管、客户主管
        return "、".join(roles.role_label(code) for code in text.split(",") if code) or NOTHING
    if model_field is None:
        return text_for(viewer, text)
    choices = dict(getattr(model_field, "flatchoices", None) or ())
    if choices:
        return str(choices.get(value, choices.get(text, text)))
    kind = model_field.get_internal_type()
    if kind == "BooleanField":
        return _("yes") if text in ("True", "true", "1") else _("no")
    if kind == "DateTimeField":
        return _local_time(text)
    return text_for(viewer, text)


def _local_time(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if timezone.is_naive(moment):  # auditlog writes UTC without an offset
        moment = moment.replace(tzinfo=UTC)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def _resolve_related(pending, viewer) -> None:
    """Name related rows (a product's category, a staff member's department) by what they
    are, one query per related model; a row deleted since shows as "#id"."""
    wanted: dict[object, set] = {}
    for _row, _position, model, pk in pending:
        wanted.setdefault(model, set()).add(str(pk))
    found = {}
    for model, pks in wanted.items():
        valid = [pk for pk in pks if pk.isdigit()]
        found[model] = {str(k): v for k, v in model._default_manager.in_bulk(valid).items()}
    for row, position, model, pk in pending:
        obj = found.get(model, {}).get(str(pk))
        row[position] = text_for(viewer, str(obj)) if obj is not None else f"#{pk}"

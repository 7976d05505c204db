"""Audit log: who did what to which object, when, from which IP, and what changed.

Saves of registered models are logged by django-auditlog's signals; the request's actor
and IP come from its middleware. Services that act for a user outside a session request
(API tokens, commands, tasks) wrap their writes in `acting_as`, and bulk writes, which
send no signals, call `record_changes`.
"""

from collections.abc import Iterable
from contextlib import contextmanager

from auditlog.context import auditlog_value, set_actor
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType


@contextmanager
def acting_as(actor, remote_addr: str | None = None):
    """Attribute every log entry written inside the block to `actor`.

    Keeps the IP of the surrounding request, and restores the request's context after,
    which auditlog's own `set_actor` does not do when nested.
    """
    outer = auditlog_value.get(None)
    if outer is not None and remote_addr is None:
        remote_addr = outer.get("remote_addr")
    # auditlog's set_actor leaves its context behind; this token puts back exactly what was
    # there before (nothing, outside a request), so a later write in the same thread is not
    # attributed to this actor.
    token = auditlog_value.set(outer)
    try:
        with set_actor(actor, remote_addr=remote_addr):
            yield
    finally:
        auditlog_value.reset(token)


def _context() -> dict:
    return auditlog_value.get(None) or {}


def record_changes(
    *, actor, model, changes_by_object: Iterable[tuple[object, dict[str, list]]]
) -> int:
    """Write one UPDATE entry per object for a bulk change; returns how many were written.

    `changes_by_object` yields (instance, {"field": [old, new], ...}).
    """
    ctx = _context()
    actor = actor or ctx.get("actor")
    content_type = ContentType.objects.get_for_model(model)
    entries = [
        LogEntry(
            content_type=content_type,
            object_pk=str(obj.pk),
            object_id=obj.pk if isinstance(obj.pk, int) else None,
            object_repr=str(obj)[:200],
            action=LogEntry.Action.UPDATE,
            changes={f: [str(old), str(new)] for f, (old, new) in changes.items()},
            actor=actor,
            actor_email=getattr(actor, "email", None) or None,
            remote_addr=ctx.get("remote_addr"),
        )
        for obj, changes in changes_by_object
        if changes
    ]
    LogEntry.objects.bulk_create(entries, batch_size=500)
    return len(entries)


def record_event(*, actor, obj, message: str, data: dict | None = None) -> LogEntry:
    """A log entry for an action that is not a field change (an import, a publish run)."""
    ctx = _context()
    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_pk=str(obj.pk),
        object_id=obj.pk if isinstance(obj.pk, int) else None,
        object_repr=str(obj)[:200],
        action=LogEntry.Action.ACCESS,
        changes={"event": [None, message], **{k: [None, str(v)] for k, v in (data or {}).items()}},
        actor=actor or ctx.get("actor"),
        actor_email=getattr(actor, "email", None) or None,
        remote_addr=ctx.get("remote_addr"),
    )

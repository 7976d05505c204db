"""Audit log: who did what to which object, when, from which IP, and what changed.

Saves of registered models are logged by django-auditlog's signals. The actor and the IP
are those of the request being served (`core.logging.request_var`, set by the request-ID
middleware), worked out only when an entry is written (`fill_log_entry`): a request that
writes nothing loads no user and connects no signal, where auditlog's own middleware did
both for every request. Services that act for a user outside a session request (API
tokens, commands, tasks) wrap their writes in `acting_as`, and bulk writes, which send no
signals, call `record_changes`.
"""

from collections.abc import Iterable
from contextlib import contextmanager

from auditlog.context import auditlog_value, set_actor
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from .http import client_ip
from .logging import request_var


@contextmanager
def acting_as(actor, remote_addr: str | None = None):
    """Attribute every log entry written inside the block to `actor`.

    Keeps the IP of the surrounding request, and restores the request's context after,
    which auditlog's own `set_actor` does not do when nested.
    """
    outer = auditlog_value.get(None)
    if remote_addr is None:
        remote_addr = _context().get("remote_addr")
    # auditlog's set_actor leaves its context behind; this token puts back exactly what was
    # there before (nothing, outside a request), so a later write in the same thread is not
    # attributed to this actor.
    token = auditlog_value.set(outer)
    try:
        with set_actor(actor, remote_addr=remote_addr):
            yield
    finally:
        auditlog_value.reset(token)


def _request_context() -> dict:
    """The actor and IP of the request being served ({} outside a request)."""
    request = request_var.get()
    if request is None:
        return {}
    user = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    return {"actor": user if authenticated else None, "remote_addr": client_ip(request) or None}


def _context() -> dict:
    return auditlog_value.get(None) or _request_context()


def fill_log_entry(sender, instance, **kwargs) -> None:
    """pre_save of LogEntry: the request's actor and IP, unless `acting_as` decides them
    (auditlog's own receiver does that inside the block)."""
    if auditlog_value.get(None) is not None:
        return
    context = _request_context()
    actor = context.get("actor")
    if actor is not None and instance.actor_id is None:
        instance.actor = actor
        instance.actor_email = getattr(actor, "email", None)
    if instance.remote_addr is None:
        instance.remote_addr = context.get("remote_addr")


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

"""The transactional outbox: work that must follow a commit, whatever the broker does.

`enqueue()` writes the task as a row in the caller's transaction, so it exists exactly
when the change it follows exists. Right after the commit the process sends it to the
broker and deletes the row (the fast path); when the broker cannot take it (down, or
the process died between commit and send) the row stays, and `relay_outbox()` sends it
later, with backoff: celery beat runs it every few seconds (`relay_outbox_task`), and so
does `mercato relay_outbox --loop`. A broker outage after a commit neither loses the work
nor turns the request that committed into an error.

Delivery is at least once (the fast path and the relay can both send a message whose
delete was lost): every task sent this way loads its rows by id and re-checks, as
services do, so a second run changes nothing.

A message due long after the commit may skip the fast path (`message(by_relay=True)`):
the relay sends it on its next run, and the request spends nothing on the broker.

A countdown becomes an absolute `eta` when the row is written: a message relayed an hour
late runs at the time it was meant to, or at once when that has passed.
"""

import logging
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Min
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import OutboxMessage

logger = logging.getLogger(__name__)

# The relay leaves a new row to the fast path for this long, so both rarely send it.
FAST_PATH_SECONDS = 30
# After the fast path failed to reach the broker, later commits leave their rows to the
# relay for this long instead of each waiting on a broker that is away.
FAST_PATH_PAUSE_SECONDS = 10
BATCH = 200


def _setting(name: str, default):
    return getattr(settings, name, default)


def message(
    task, *, args=(), kwargs=None, countdown: float | None = None, eta=None, by_relay=False
):
    """An unsaved OutboxMessage for `task` (a Celery task or its name): for a caller that
    writes it with its own rows, then calls after_commit().

    `by_relay`: no fast path; the relay sends it on its next run (beat: every 10 s). For a
    message due long after the commit (placement's cancel timer, due in half an hour),
    so the request that commits spends nothing on the broker; the caller does not call
    after_commit()."""
    return OutboxMessage(
        **message_values(
            task, args=args, kwargs=kwargs, countdown=countdown, eta=eta, by_relay=by_relay
        )
    )


def message_values(
    task, *, args=(), kwargs=None, countdown: float | None = None, eta=None, by_relay=False
) -> dict:
    """message()'s row as {attname: value}, without the instance: for a caller that
    writes it with core.db.insert_values_statement and needs nothing of it after
    (placement's cancel timer, by_relay: the relay sends it). The key is the field's
    default (a new UUID) when the row is written."""
    now = timezone.now()
    if countdown is not None:
        eta = now + timedelta(seconds=countdown)
    return {
        "task": task if isinstance(task, str) else task.name,
        "args": list(args),
        "kwargs": dict(kwargs or {}),
        "eta": eta,
        "created_at": now,
        "next_attempt_at": now if by_relay else now + timedelta(seconds=FAST_PATH_SECONDS),
    }


def enqueue(task, *, args=(), kwargs=None, countdown: float | None = None, eta=None):
    """Send `task` to the workers once the current transaction commits; nothing is sent
    if it rolls back. Arguments must be JSON (ids, not model instances)."""
    row = message(task, args=args, kwargs=kwargs, countdown=countdown, eta=eta)
    row.save(force_insert=True)
    after_commit([row])
    return row


def after_commit(rows) -> None:
    """Try to send these saved rows right after the commit (the fast path)."""
    rows = list(rows)
    transaction.on_commit(lambda: _send_now(rows), robust=True)


class _Pause:
    """The fast path's pause after a broker failure, shared by the process's threads."""

    def __init__(self):
        self.until = 0.0
        self.lock = threading.Lock()

    def active(self) -> bool:
        return self.until > time.monotonic()

    def start(self) -> None:
        with self.lock:
            self.until = time.monotonic() + FAST_PATH_PAUSE_SECONDS


_pause = _Pause()


def _publish(row: OutboxMessage, *, retry: bool) -> None:
    """Hand one message to the broker (or run it here when tasks run eagerly)."""
    task = import_string(row.task)  # task names are their dotted paths (shared_task)
    options = {"eta": row.eta} if row.eta else {}
    if retry:
        options["retry_policy"] = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5}
    task.apply_async(args=row.args, kwargs=row.kwargs, retry=retry, **options)


def _delete(ids) -> None:
    if not ids:
        return
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE id IN ({placeholders})",  # noqa: S608
            [OutboxMessage._meta.pk.get_db_prep_value(pk, connection) for pk in ids],
        )


def _send_now(rows) -> None:
    if _pause.active():
        return  # the broker failed a moment ago: the relay sends these
    eager = getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)
    sent = []
    for row in rows:
        try:
            _publish(row, retry=False)
        except Exception as exc:  # noqa: BLE001 - the relay retries whatever went wrong
            if eager:  # the task ran here and failed: that says nothing of a broker
                logger.exception("Outbox: %s failed; left for the relay", row.task)
                continue
            _pause.start()
            logger.warning("Outbox: %s left for the relay: %r", row.task, exc)
            break
        sent.append(row.pk)
    _delete(sent)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 300))


def relay_outbox(*, batch: int = BATCH, limit: int | None = None, everything=False) -> int:
    """Send the messages that are due, oldest first, in batches taken with SKIP LOCKED
    (two relays never send the same row); returns how many were sent. Stops at the first
    message the broker refuses: that one is tried again after a backoff, and the rest wait
    for the next run. `everything`: also the ones not due yet (new rows the fast path may
    still send, failed ones backing off): for an operator emptying the outbox at once."""
    total = 0
    while limit is None or total < limit:
        size = batch if limit is None else min(batch, limit - total)
        sent, failed = _relay_batch(size, everything=everything)
        total += sent
        if failed or sent < size:
            break
    return total


@transaction.atomic
def _relay_batch(size: int, *, everything: bool = False) -> tuple[int, bool]:
    now = timezone.now()
    rows = OutboxMessage.objects.select_for_update(skip_locked=True)
    if not everything:
        rows = rows.filter(next_attempt_at__lte=now)
    rows = list(rows.order_by("next_attempt_at")[:size])
    sent = []
    failed = False
    for row in rows:
        try:
            _publish(row, retry=True)
        except Exception as exc:  # noqa: BLE001
            row.attempts += 1
            row.last_error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
            row.next_attempt_at = now + _backoff(row.attempts)
            row.save(update_fields=["attempts", "last_error", "next_attempt_at"])
            logger.warning(
                "Outbox relay: %s not sent (attempt %d): %s", row.task, row.attempts, row.last_error
            )
            failed = True
            break
        sent.append(row.pk)
    _delete(sent)
    return len(sent), failed


def backlog() -> tuple[int, timedelta | None]:
    """(messages waiting, age of the oldest)."""
    found = OutboxMessage.objects.aggregate(count=Count("pk"), oldest=Min("created_at"))
    if not found["count"]:
        return 0, None
    return found["count"], timezone.now() - found["oldest"]


def backlog_reason() -> str | None:
    """For /readyz: a message older than MERCATO_OUTBOX_ALARM_SECONDS means the relay is
    not getting through (broker down, no beat or no worker)."""
    count, age = backlog()
    alarm = _setting("MERCATO_OUTBOX_ALARM_SECONDS", 120)
    if age is None or age.total_seconds() <= alarm:
        return None
    return f"{count} outbox messages waiting, the oldest for {int(age.total_seconds())} s"

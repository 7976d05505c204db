"""What the Celery worker adds to itself at start (mercato.celery), and its heartbeat.

- Database timeouts for tasks (MERCATO_DB_TIMEOUTS["task"]): longer than the web's, so
  an import or a sweep may wait for a lock a web request would give up on.
- A heartbeat: while its consumer is connected to the broker, each worker writes the time
  to its WorkerHeartbeat row every HEARTBEAT_SECONDS. /readyz reports "workers" degraded
  when no worker has written for MERCATO_WORKER_STALE_SECONDS: a worker that crashed, hangs
  or lost its broker is seen (docs/operator.md).
"""

import logging
import os
import socket
from datetime import timedelta

from celery import bootsteps
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10.0


def record_heartbeat(*, hostname: str, pid: int, started_at) -> None:
    """Upsert this worker's row (one statement) and forget workers gone for a day."""
    from django.db import close_old_connections

    from .models import WorkerHeartbeat

    close_old_connections()  # a connection PostgreSQL dropped is replaced, not reused
    now = timezone.now()
    WorkerHeartbeat.objects.bulk_create(
        [WorkerHeartbeat(hostname=hostname[:200], pid=pid, started_at=started_at, seen_at=now)],
        update_conflicts=True,
        unique_fields=["hostname"],
        update_fields=["pid", "started_at", "seen_at"],
    )
    WorkerHeartbeat.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()


def stale_workers_reason() -> str | None:
    """None when a worker wrote its heartbeat recently, else what /readyz says."""
    from django.db.models import Count, Max

    from .models import WorkerHeartbeat

    stale = getattr(settings, "MERCATO_WORKER_STALE_SECONDS", 60)
    now = timezone.now()
    seen = WorkerHeartbeat.objects.aggregate(last=Max("seen_at"))["last"]
    if seen is None:
        return "no worker has reported"
    age = (now - seen).total_seconds()
    if age > stale:
        return f"no worker seen for {int(age)} s"
    live = WorkerHeartbeat.objects.filter(seen_at__gte=now - timedelta(seconds=stale)).aggregate(
        n=Count("pk")
    )["n"]
    return None if live else "no worker has reported"


class Heartbeat(bootsteps.StartStopStep):
    """A consumer bootstep: runs while the consumer is connected to the broker (Celery
    stops and starts consumer steps around a reconnection), on the consumer's timer."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.entry = None
        self.started_at = timezone.now()

    def start(self, parent):
        self.beat(parent)
        self.entry = parent.timer.call_repeatedly(HEARTBEAT_SECONDS, self.beat, (parent,))

    def stop(self, parent):
        if self.entry is not None:
            self.entry.cancel()
            self.entry = None

    shutdown = stop

    def beat(self, parent) -> None:
        try:
            record_heartbeat(
                hostname=parent.hostname or socket.gethostname(),
                pid=os.getpid(),
                started_at=self.started_at,
            )
        except Exception as exc:  # noqa: BLE001 - the database may be away; try next time
            logger.warning("Worker heartbeat not written: %r", exc)

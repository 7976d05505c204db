"""Celery application. Without CELERY_BROKER_URL tasks run in-process (eager).

The worker runs with three additions (docs/operator.md, "When things fail"):
- `Consumer`, which survives losing a Redis broker while it holds messages (below);
- `DatabaseTask`: tasks retry when the database is unreachable;
- a heartbeat written to the database while it consumes (mercato.core.workers), which
  /readyz reads, so a worker that died or lost its broker is seen.
"""

import logging
import os

from celery import Celery, Task, signals
from celery.worker.consumer import Consumer as CeleryConsumer
from django.db import InterfaceError, OperationalError

from mercato.core.workers import Heartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mercato.settings")

logger = logging.getLogger(__name__)


class DatabaseTask(Task):
    """Every task here touches the database: when it cannot reach it (PostgreSQL
    restarted, the connection killed, a lock or statement timeout), the task is retried
    with backoff instead of failing for good. Tasks load by id and re-check, so a retry
    after a commit that did happen changes nothing."""

    autoretry_for = (OperationalError, InterfaceError)
    retry_backoff = 2  # 2, 4, 8 … seconds, with jitter
    retry_backoff_max = 120
    retry_jitter = True
    max_retries = 8


app = Celery("mercato", task_cls=DatabaseTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.steps["consumer"].add(Heartbeat)


class Consumer(CeleryConsumer):
    """Celery's consumer, surviving a broker connection lost while messages are held.

    Celery 5.7.0 collects the broken connection, then closes it. With the Redis transport,
    closing it closes its channel, which puts the unacknowledged messages back through
    the client that collect() has just removed: AttributeError ('NoneType' object has no
    attribute 'hostname'), and the worker exits ("Restoring 549 unacknowledged
    message(s)", issue 17) and stays down. Here that close may fail: the messages stay in
    the broker's unacked set, which the next connection puts back in the queue after the
    visibility timeout (CELERY_BROKER_TRANSPORT_OPTIONS), and the worker reconnects.
    Tested by mercato/core/tests/faults/test_worker_faults.py on a real worker and Redis.
    """

    def on_connection_error_after_connected(self, exc):
        connection = self.connection
        if connection is not None:
            close = connection.close

            def close_collected():
                try:
                    close()
                except AttributeError as error:
                    logger.info("Broker connection closed after collect (%r)", error)

            connection.close = close_collected
        super().on_connection_error_after_connected(exc)


@signals.worker_init.connect
def _worker_init(**kwargs):
    from mercato.core.db import use_timeouts

    use_timeouts("task")  # longer than the web's (MERCATO_DB_TIMEOUTS)

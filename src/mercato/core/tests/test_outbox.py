"""The transactional outbox (core.outbox): written with the change, sent after the commit,
relayed later when the broker cannot take it. The broker is what leaves the process, so
it is the part played here (a task's apply_async); the fault suite runs a real one."""

import re
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from mercato.core import outbox
from mercato.core.models import OutboxMessage
from mercato.core.tasks import relay_outbox_task

TASK = "mercato.orders.tasks.cancel_unpaid_order_task"
SEND = f"{TASK}.apply_async"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_pause():
    outbox._pause.until = 0.0
    yield
    outbox._pause.until = 0.0


def test_nothing_is_sent_before_the_commit_or_after_a_rollback(django_capture_on_commit_callbacks):
    with mock.patch(SEND) as send:
        with django_capture_on_commit_callbacks(execute=True):
            try:
                with transaction.atomic():
                    outbox.enqueue(TASK, args=[1])
                    raise RuntimeError("the change failed")
            except RuntimeError:
                pass
    send.assert_not_called()
    assert not OutboxMessage.objects.exists()


def test_a_committed_message_is_sent_once_and_deleted(django_capture_on_commit_callbacks):
    eta = timezone.now() + timedelta(minutes=30)
    with mock.patch(SEND) as send:
        with django_capture_on_commit_callbacks(execute=True):
            outbox.enqueue(TASK, args=[7], eta=eta)
    send.assert_called_once_with(args=[7], kwargs={}, retry=False, eta=eta)
    assert not OutboxMessage.objects.exists()


def test_a_broker_that_is_down_leaves_the_message_for_the_relay(
    django_capture_on_commit_callbacks, settings
):
    """The commit stands and the caller sees no error; the row waits; the next commits do
    not try the broker again for a while (each would wait on it)."""
    settings.CELERY_TASK_ALWAYS_EAGER = False  # a broker is configured (and down)
    with mock.patch(SEND, side_effect=BrokerDown("Connection refused")) as send:
        with django_capture_on_commit_callbacks(execute=True):
            outbox.enqueue(TASK, args=[1])
        with django_capture_on_commit_callbacks(execute=True):
            outbox.enqueue(TASK, args=[2])
    assert send.call_count == 1
    assert sorted(m.args[0] for m in OutboxMessage.objects.all()) == [1, 2]


def test_a_task_that_fails_when_run_eagerly_is_kept_for_the_relay(
    django_capture_on_commit_callbacks,
):
    """Without a broker the task runs in the process after the commit; if it fails there,
    the request that committed still succeeds, and the row stays for the relay."""
    with mock.patch(SEND, side_effect=RuntimeError("the task failed")):
        with django_capture_on_commit_callbacks(execute=True):
            outbox.enqueue(TASK, args=[1])
        with mock.patch(SEND) as send:
            with django_capture_on_commit_callbacks(execute=True):
                outbox.enqueue(TASK, args=[2])  # no pause: the next one runs at once
    send.assert_called_once()
    assert [m.args for m in OutboxMessage.objects.all()] == [[1]]


def test_the_relay_sends_what_is_due_and_backs_off_when_the_broker_refuses():
    now = timezone.now()
    for n in range(3):
        OutboxMessage.objects.create(
            task=TASK, args=[n], created_at=now, next_attempt_at=now - timedelta(seconds=n)
        )
    OutboxMessage.objects.create(
        task=TASK, args=[99], created_at=now, next_attempt_at=now + timedelta(seconds=20)
    )  # left to the fast path still
    with mock.patch(SEND, side_effect=BrokerDown("Connection refused")):
        assert relay_outbox_task() == 0
    oldest = OutboxMessage.objects.get(args=[2])
    assert oldest.attempts == 1 and "Connection refused" in oldest.last_error
    assert oldest.next_attempt_at >= now + timedelta(seconds=4)
    with mock.patch(SEND) as send:
        assert relay_outbox_task() == 2  # the two that are due; the failed one waits
    assert [c.kwargs["args"] for c in send.call_args_list] == [[1], [0]]
    OutboxMessage.objects.update(next_attempt_at=now)
    with mock.patch(SEND) as send:
        assert outbox.relay_outbox() == 2
    assert not OutboxMessage.objects.exists()


def test_readyz_names_a_backlog_older_than_the_alarm(client, settings):
    settings.MERCATO_OUTBOX_ALARM_SECONDS = 120
    old = timezone.now() - timedelta(minutes=5)
    OutboxMessage.objects.create(task=TASK, args=[1], created_at=old, next_attempt_at=old)
    body = client.get("/readyz").json()
    assert body["degraded"] == ["outbox"]
    assert re.fullmatch(
        r"1 outbox messages waiting, the oldest for 3\d\d s", body["checks"]["outbox"]
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_relays_never_send_the_same_message():
    """Batches are taken with SKIP LOCKED: two relays running at once split the work."""
    now = timezone.now()
    OutboxMessage.objects.bulk_create(
        OutboxMessage(task=TASK, args=[n], created_at=now, next_attempt_at=now) for n in range(40)
    )
    sent, gate = [], threading.Barrier(2)
    lock = threading.Lock()

    def record(*, args, **kwargs):
        with lock:
            sent.append(args[0])

    def relay():
        try:
            gate.wait()
            outbox.relay_outbox(batch=5)
        finally:
            connection.close()

    with mock.patch(SEND, side_effect=record):
        threads = [threading.Thread(target=relay) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(sent) == list(range(40))
    assert not OutboxMessage.objects.exists()

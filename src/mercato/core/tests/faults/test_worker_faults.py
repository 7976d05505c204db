"""Workers come back and are watched: a worker killed while it holds countdown tasks, and
the broker dropped while a worker holds them. The held timers run all the same (the
broker gives unacknowledged messages back after the visibility timeout, 12 s here), the
worker survives the broker's drop, and /readyz sees a worker that is gone."""

import re
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from mercato.core.models import WorkerHeartbeat
from mercato.orders.models import Order, OrderStatus

from .harness import (
    Load,
    TcpProxy,
    broker_client,
    data_problems,
    fault_ports,
    port_is_open,
    wait_for,
)

pytestmark = [
    pytest.mark.faults,
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.xdist_group("faults"),
]
CANCEL = "mercato.orders.tasks.cancel_unpaid_order_task"
ORDERS = 12


def unpaid_orders_due_soon(stack, shop, *, seconds: float) -> list[Order]:
    """ORDERS orders placed through the API, their deadline moved to `seconds` from now."""
    load = Load(stack.base, shop)
    placed = [
        load.buy(shop.members[n % len(shop.members)], shop.sku_ids[n % 4]) for n in range(ORDERS)
    ]
    assert {p["outcome"] for p in placed} == {"placed"}
    due = timezone.now() + timedelta(seconds=seconds)
    Order.objects.update(expires_at=due)
    return list(Order.objects.order_by("pk"))


def send_timers(stack, orders, *, broker: str = "", queue: str | None = None) -> list[str]:
    """The cancel timers, sent to the stack's broker (or `broker`) due at the orders'
    deadline, as the outbox does. Returns the task ids."""
    client = broker_client(broker or stack.env["CELERY_BROKER_URL"])
    with client.connection_for_write() as connection:
        return [
            client.send_task(
                CANCEL, args=[order.pk], eta=order.expires_at, connection=connection, queue=queue
            ).id
            for order in orders
        ]


def received(worker, task_ids) -> bool:
    text = worker.log_text()
    return all(re.search(rf"{CANCEL}\[{task_id}\] received", text) for task_id in task_ids)


def cancelled_by_timer() -> int:
    return Order.objects.filter(
        status=OrderStatus.CANCELLED, events__reason="Not paid in time"
    ).count()


def test_a_worker_killed_while_holding_countdown_tasks(stack, shop):
    orders = unpaid_orders_due_soon(stack, shop, seconds=8)
    task_ids = send_timers(stack, orders)
    wait_for(lambda: received(stack.worker, task_ids), timeout=60, what="timers held")
    # The last test's tables were emptied, its heartbeat row with them: the worker writes
    # one every 10 s, and /readyz can only say how long ago it was seen once it has been.
    wait_for(WorkerHeartbeat.objects.exists, timeout=30, what="the worker's heartbeat")
    stack.worker.kill()  # SIGKILL to the worker and its pool: nothing acknowledged
    killed = time.monotonic()
    assert not stack.worker.alive
    # Seen as gone once its heartbeat is older than WORKER_STALE_SECONDS (30 s here).
    wait_for(
        lambda: stack.readyz()["checks"].get("workers", "").startswith("no worker seen"),
        timeout=90,
        what="/readyz naming the dead worker",
    )
    assert stack.readyz()["status_code"] == 200  # the shop still sells
    assert stack.readyz(deep=True)["status_code"] == 503  # and the alarm rings
    stack.worker.start()  # what systemd's Restart=always does (docs/operator.md)
    wait_for(lambda: cancelled_by_timer() == ORDERS, timeout=90, what="timers run")
    assert time.monotonic() - killed < 180
    wait_for(lambda: stack.readyz()["checks"].get("workers") == "ok", timeout=60, what="worker")
    assert data_problems() == []


def test_a_broker_drop_while_the_worker_holds_countdown_tasks(stack, shop):
    """Celery 5.7.0's worker exited here ("Restoring N unacknowledged message(s)", then
    AttributeError); mercato.celery.Consumer keeps it alive, and the timers still run."""
    orders = unpaid_orders_due_soon(stack, shop, seconds=8)
    task_ids = send_timers(stack, orders)
    wait_for(lambda: received(stack.worker, task_ids), timeout=60, what="timers held")
    log_before = len(stack.worker.log_text())
    stack.broker_redis.stop()  # the append-only file keeps the held messages
    wait_for(
        lambda: "Connection to broker lost" in stack.worker.log_text()[log_before:],
        timeout=30,
        what="the worker noticing",
    )
    stack.broker_redis.start()
    wait_for(lambda: cancelled_by_timer() == ORDERS, timeout=120, what="timers run")
    assert stack.worker.alive
    log = stack.worker.log_text()[log_before:]
    assert "Unrecoverable error" not in log
    wait_for(lambda: stack.readyz()["checks"].get("workers") == "ok", timeout=60, what="worker")
    assert data_problems() == []


RABBITMQ_PORT = 5672  # the machine's RabbitMQ (guest/guest), which .ci/run starts


def test_a_rabbitmq_connection_drop_while_the_worker_holds_countdown_tasks(stack, shop):
    """On RabbitMQ: a worker consuming through a relay we can cut holds countdown timers;
    every connection through the relay is closed and new ones refused for 3 s (a broker
    restart or a network drop, as the worker sees it). RabbitMQ gives the unacknowledged
    messages back, the worker reconnects by itself and runs every timer once. A queue of
    this test's own keeps the shared server's other consumers out."""
    if not port_is_open(RABBITMQ_PORT):
        pytest.skip("needs RabbitMQ on 127.0.0.1:5672 (guest/guest; .ci/run starts it)")
    proxy = TcpProxy(fault_ports()[4], ("127.0.0.1", RABBITMQ_PORT))
    queue = f"mercato-faults-{uuid.uuid4().hex[:8]}"
    worker = stack.new_worker(
        "rabbit", queues=queue, CELERY_BROKER_URL=f"amqp://guest:guest@127.0.0.1:{proxy.port}//"
    )
    direct = f"amqp://guest:guest@127.0.0.1:{RABBITMQ_PORT}//"
    try:
        worker.start()
        orders = unpaid_orders_due_soon(stack, shop, seconds=15)
        task_ids = send_timers(stack, orders, broker=direct, queue=queue)
        wait_for(lambda: received(worker, task_ids), timeout=60, what="timers held")
        log_before = len(worker.log_text())
        proxy.cut(3)
        assert cancelled_by_timer() == 0  # the drop came before any timer was due
        wait_for(
            lambda: "Connection to broker lost" in worker.log_text()[log_before:],
            timeout=30,
            what="the worker noticing",
        )
        wait_for(lambda: cancelled_by_timer() == ORDERS, timeout=120, what="timers run")
        assert worker.alive
        log = worker.log_text()[log_before:]
        assert "Unrecoverable error" not in log
        assert re.search(rf"{CANCEL}\[{task_ids[0]}\] received", log)  # given back, again
        assert data_problems() == []
    finally:
        worker.stop()
        proxy.close()
        with broker_client(direct).connection_for_write() as connection:
            connection.default_channel.queue_delete(queue)
            connection.default_channel.exchange_delete(queue)

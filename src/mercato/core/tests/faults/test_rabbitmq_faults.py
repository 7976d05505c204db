"""The broker unreachable during placement, on RabbitMQ: gunicorn and a worker reach the
machine's RabbitMQ through a relay the test cuts (every connection closed, new ones refused),
on a queue of this run's own. Every placement is 201; the cancel timers wait in the outbox
and reach the worker through RabbitMQ once the relay sends them."""

import subprocess
import threading
import time
import uuid

import pytest

from mercato.core.models import OutboxMessage

from .harness import (
    BIN,
    Load,
    TcpProxy,
    broker_client,
    data_problems,
    fault_ports,
    gunicorn,
    port_is_open,
)

pytestmark = [
    pytest.mark.faults,
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.xdist_group("faults"),
]
RABBITMQ_PORT = 5672  # the machine's RabbitMQ (guest/guest), which .ci/run starts
CANCEL = "mercato.orders.tasks.cancel_unpaid_order_task"


def timers_in(queue: str) -> list[int]:
    """The order ids of the cancel timers waiting in `queue` (taken out of it)."""
    found = []
    with broker_client(f"amqp://guest:guest@127.0.0.1:{RABBITMQ_PORT}//") \
            .connection_for_write() as connection:  # fmt: skip
        channel = connection.default_channel
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            if message.headers.get("task") == CANCEL:
                found.append(int(message.headers["argsrepr"].strip("[](),")))
    return found


def test_rabbitmq_unreachable_during_placement(stack, shop):
    if not port_is_open(RABBITMQ_PORT):
        pytest.skip("needs RabbitMQ on 127.0.0.1:5672 (guest/guest; .ci/run starts it)")
    ports = fault_ports()
    proxy = TcpProxy(ports[5], ("127.0.0.1", RABBITMQ_PORT))
    queue = f"mercato-faults-{uuid.uuid4().hex[:8]}"
    env = {
        **stack.env,
        "CELERY_BROKER_URL": f"amqp://guest:guest@127.0.0.1:{proxy.port}//",
        "CELERY_QUEUE": queue,
    }
    web = gunicorn(ports[6], env, stack.root / "gunicorn-amqp.log")
    worker = stack.new_worker("rabbit-web", **env)
    try:
        web.start()
        worker.start()
        load = Load(f"http://127.0.0.1:{ports[6]}", shop, readers=1, shoppers=3).start()
        try:
            load.wait(
                lambda: load.statuses(kinds={"api-place"})[201] >= 2, timeout=120, what="warm"
            )
            down = time.monotonic()
            cut = threading.Thread(target=proxy.cut, args=(20,), daemon=True)
            cut.start()
            load.wait(
                lambda: load.statuses(since=down, kinds={"api-place"})[201] >= 5,
                timeout=60,
                what="orders placed while RabbitMQ is unreachable",
            )
            cut.join(60)
            waiting = OutboxMessage.objects.filter(task=CANCEL).count()
        finally:
            load.stop()
        assert set(load.statuses(kinds={"api-place"})) == {201}
        assert load.bare_500s() == 0 and load.api_errors_not_json() == 0
        assert waiting >= 5  # the timers of the orders placed meanwhile, kept

        relayed = subprocess.run(  # noqa: S603
            [str(BIN / "mercato"), "relay_outbox", "--all"], env=env, capture_output=True,
            text=True, timeout=120, check=False,
        )  # fmt: skip
        assert relayed.returncode == 0, relayed.stderr
        assert not OutboxMessage.objects.exists()
        # Every placed order's timer is in RabbitMQ: the worker stopped (what it held goes
        # back to the queue), the queue read out here.
        worker.stop()
        timers = timers_in(queue)
        assert len(set(timers)) == len(load.placements)
        assert data_problems() == []
    finally:
        worker.stop()
        web.stop()
        proxy.close()
        with broker_client(f"amqp://guest:guest@127.0.0.1:{RABBITMQ_PORT}//") \
                .connection_for_write() as connection:  # fmt: skip
            connection.default_channel.queue_delete(queue)
            connection.default_channel.exchange_delete(queue)

"""`make demo` runs the scheduled jobs: the Procfile's Celery worker and beat, started by
honcho with demo.env exactly as `make demo` starts them, on kombu's file-system broker.

Real processes against this test's database: an unpaid order whose payment deadline passed
is cancelled by the worker (its timer, queued by the web side through the broker) and by
beat's sweep (an order whose timer was lost), with no Redis or RabbitMQ involved.
"""

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from honcho.environ import parse as parse_env_file
from websockets.sync.client import connect as ws_connect

from mercato.core.models import OutboxMessage
from mercato.orders.models import Order, OrderStatus
from mercato.testing.factories import make_order

pytestmark = pytest.mark.django_db(transaction=True)

REPO = Path(__file__).resolve().parents[4]
BIN = Path(sys.executable).parent
FAST_BEAT = "mercato.demo.tests.fast_beat_settings"  # every beat job due each second
WAIT_SECONDS = 120


def demo_env() -> dict[str, str]:
    """What the Procfile's processes get under `make demo`: demo.env over this environment."""
    return parse_env_file((REPO / "demo.env").read_text())


@pytest.fixture
def state(tmp_path):
    """This test's database, reachable by other processes, and a var/ of its own (broker
    folders, cache, beat's schedule). On SQLite the in-memory test database is copied to a
    file the processes open; on PostgreSQL they open the test database itself."""
    env = {
        **os.environ,
        "MERCATO_VAR_DIR": str(tmp_path),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": FAST_BEAT,
    }
    env.pop("REDIS_URL", None)
    env.pop("CACHE_URL", None)
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'mercato.sqlite3'}"
    else:
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        env["DATABASE_URL"] = f"postgres://{auth}@{host}/{db['NAME']}"
    return {"env": env, "dir": tmp_path}


def hand_over(state) -> None:
    """On SQLite: copy the test database (schema and rows) to the file the processes use."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(state["dir"] / "mercato.sqlite3") as target:
            connection.connection.backup(target)


def status(state, number: str) -> str:
    if connection.vendor == "sqlite":
        with sqlite3.connect(state["dir"] / "mercato.sqlite3") as db:
            row = db.execute("SELECT status FROM orders_order WHERE number = ?", [number])
            return row.fetchone()[0]
    return Order.objects.get(number=number).status


class Processes:
    """`honcho -f Procfile -e demo.env start <names>`, as make demo runs it, in a process
    group of its own that the test stops."""

    def __init__(self, state, *names, port: int | None = None):
        self.log = state["dir"] / f"honcho-{'-'.join(names)}.log"
        ports = ["-p", str(port)] if port else []
        self.proc = subprocess.Popen(
            [str(BIN / "honcho"), "-f", "Procfile", "-e", "demo.env", "start", *ports, *names],
            cwd=REPO,
            env=state["env"],
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_until(self, condition, what: str) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while not condition():
            assert self.proc.poll() is None, f"honcho stopped:\n{self.log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"{what}:\n{self.log.read_text()[-3000:]}"
            time.sleep(0.5)

    def stop(self) -> None:
        """Stop honcho as Ctrl-C would (it stops its processes), then make sure nothing of
        theirs is left: honcho starts each in a process group of its own, named by the pid
        it logs ("worker.1 started (pid=123)"), and a pool child can outlive its parent."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        for group in re.findall(r"started \(pid=(\d+)\)", self.log.read_text()):
            try:
                os.killpg(int(group), signal.SIGKILL)
            except ProcessLookupError:
                pass


def place_order_on_the_web_side(state, *, minutes: int) -> str:
    """An order placed by a process configured as make demo's web process: its payment
    timer goes to the worker through the file-system broker. Returns the order number."""
    script = (
        "from mercato.catalog.models import Sku\n"
        "from mercato.testing.factories import make_order, priced_line\n"
        "print(make_order(lines=[priced_line(sku=Sku.objects.first())]).number)\n"
    )
    env = {**state["env"], **demo_env(), "MERCATO_UNPAID_ORDER_MINUTES": str(minutes)}
    done = subprocess.run(
        [str(BIN / "mercato"), "shell", "-c", script],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def timers_waiting(state) -> int:
    """Payment timers written to the outbox (core.outbox) and not yet sent to the broker."""
    task = "mercato.orders.tasks.cancel_unpaid_order_task"
    if connection.vendor == "sqlite":
        with sqlite3.connect(state["dir"] / "mercato.sqlite3") as db:
            row = db.execute("SELECT COUNT(*) FROM core_outboxmessage WHERE task = ?", [task])
            return row.fetchone()[0]
    return OutboxMessage.objects.filter(task=task).count()


def test_demo_cancels_expired_unpaid_orders_through_worker_and_beat(state):
    """An order's payment timer is written to the outbox with the order and sent to the
    worker by beat's relay, not at placement; the worker cancels the order when it fires,
    and beat's sweep cancels an expired order whose timer was lost."""
    # given: an unpaid order past its deadline whose timer is gone
    lost = make_order()
    Order.objects.filter(pk=lost.pk).update(expires_at=timezone.now() - timedelta(minutes=5))
    OutboxMessage.objects.all().delete()
    hand_over(state)
    # and an order placed on the web side with a payment deadline of 0 minutes: its timer
    # waits in the outbox, nothing is sent to the broker by the placement
    timed = place_order_on_the_web_side(state, minutes=0)
    assert status(state, timed) == OrderStatus.PENDING_PAYMENT
    assert timers_waiting(state) == 1, "the timer is written with the order"
    broker = state["dir"] / "broker" / "messages"
    assert not (broker.exists() and list(broker.iterdir())), "nothing sent at placement"

    # when the worker and beat run: beat's relay sends the timer, the worker cancels the
    # order when it fires, and beat's sweep cancels the order whose timer was lost
    worker = Processes(state, "worker")
    beat = Processes(state, "beat")
    try:
        beat.wait_until(lambda: timers_waiting(state) == 0, "beat's relay did not send the timer")
        worker.wait_until(
            lambda: status(state, timed) == OrderStatus.CANCELLED,
            "the order was not cancelled when its timer fired",
        )
        beat.wait_until(
            lambda: status(state, lost.number) == OrderStatus.CANCELLED,
            "beat's sweep did not cancel the expired order",
        )
    finally:
        beat.stop()
        worker.stop()
    assert "relay" in beat.log.read_text() and "sweep" in beat.log.read_text()
    worked = worker.log.read_text()
    assert "cancel_unpaid_order_task" in worked, "the timer reached the worker"
    assert "sweep_expired_orders_task" in worked


def test_make_demo_starts_web_chat_worker_and_beat_with_the_demo_env():
    """`make demo` ends by starting every Procfile process through honcho with demo.env:
    web, chat, worker and beat; demo.env names the embedded broker and a shared cache, and
    the pages are told where the chat process is (the port after web's)."""
    procfile = (REPO / "Procfile").read_text()
    names = [line.split(":", 1)[0] for line in procfile.splitlines() if line[:1].isalpha()]
    assert names == ["web", "chat", "worker", "beat"]
    dry_run = subprocess.run(
        ["make", "--no-print-directory", "-n", "demo"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    last = dry_run.strip().splitlines()[-1]
    assert "honcho -f Procfile -e demo.env start -p 8000" in last  # every process
    assert demo_env() == {"CELERY_BROKER_URL": "filesystem://", "CACHE_URL": "filecache://"}
    told = subprocess.run(
        ["make", "--no-print-directory", "-n", "-p", "demo"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    # honcho's port for the chat process, the second in the Procfile (the test below)
    assert "demo: MERCATO_CHAT_SOCKET_URL = ws://$(HOST):$(shell echo $$(($(PORT) + 100)))" in told


def free_base_port() -> int:
    """A port free with the one a hundred above it (honcho's port for the next process)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + 100 < 65536:
            with socket.socket() as upper:
                try:
                    upper.bind(("127.0.0.1", base + 100))
                except OSError:
                    continue
            return base
    raise AssertionError("no free pair of ports")


@pytest.mark.slow
def test_the_demos_pages_open_their_chat_sockets_on_the_chat_process(state):
    """`make demo` serves the pages from `web` (WSGI workers) and the live chat from `chat`
    (one ASGI worker, honcho's next port): a shop page names the chat process's address
    and lets the browser connect there, and a shopper's session from the web process is
    the chat process's too (the socket is ready, and a conversation opens)."""
    hand_over(state)
    base = free_base_port()
    chat_url = f"ws://127.0.0.1:{base + 100}"
    state["env"].update({"HOST": "127.0.0.1", "MERCATO_CHAT_SOCKET_URL": chat_url})
    processes = Processes(state, "web", "chat", port=base)
    shop = f"http://127.0.0.1:{base}"
    try:

        def answers() -> bool:
            try:
                return urllib.request.urlopen(f"{shop}/", timeout=5).status == 200  # noqa: S310
            except OSError:
                return False

        def chat_listens() -> bool:
            try:
                socket.create_connection(("127.0.0.1", base + 100), timeout=2).close()
                return True
            except OSError:
                return False

        processes.wait_until(answers, "the web process did not answer")
        # The chat process starts on its own: under load it can still be importing when
        # web answers, and the socket's connect below does not retry a refused connection.
        processes.wait_until(chat_listens, "the chat process did not listen")
        page = urllib.request.urlopen(f"{shop}/", timeout=10)  # noqa: S310
        body = page.read().decode()
        assert f'data-socket="{chat_url}/ws/chat/"' in body
        assert chat_url in page.headers["Content-Security-Policy"]  # connect-src
        session = urllib.request.urlopen(f"{shop}/chat/session/", timeout=10)  # noqa: S310
        cookie = session.headers["Set-Cookie"].split(";", 1)[0]
        with ws_connect(
            f"{chat_url}/ws/chat/", origin=shop, additional_headers={"Cookie": cookie},
            open_timeout=30,
        ) as sock:  # fmt: skip
            assert json.loads(sock.recv(timeout=30))["type"] == "ready"
            sock.send(json.dumps({
                "type": "open", "name": "王芳", "contact": "13800138000", "body": "你好",
            }))  # fmt: skip
            opened = json.loads(sock.recv(timeout=30))
            assert opened["type"] == "conversation", opened
    finally:
        processes.stop()

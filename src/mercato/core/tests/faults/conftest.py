"""The fault suite's stack: our own Redis for the cache and one for the broker (append-only,
as docs/operator.md asks of a broker), gunicorn serving mercato.wsgi (with the web's
database timeouts) and a Celery worker, all on this run's test database.

The stack starts once per test session (xdist worker) and is left as each test found it:
a test that stops or kills a process starts it again. Tests are marked `faults`: they
need PostgreSQL and redis-server, and run one after another in one xdist worker.
"""

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from .harness import (
    Http,
    Process,
    celery_worker,
    fault_ports,
    gunicorn,
    make_shop,
    port_is_open,
    redis_server,
    stack_env,
)


@dataclass
class Stack:
    root: Path
    env: dict
    cache_redis: Process
    broker_redis: Process
    web: Process
    worker: Process
    base: str
    cache_port: int
    database: dict

    @property
    def http(self) -> Http:
        return Http(self.base)

    def readyz(self, deep: bool = False) -> dict:
        answer = self.http.get("/readyz?deep=1" if deep else "/readyz")
        body = answer.json() if answer.status in (200, 503) else {}
        return {"status_code": answer.status, **body}

    def our_backend_pids(self) -> list[int]:
        """This test process's own database connection: never terminated by a test."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return [cursor.fetchone()[0]]

    def ensure_running(self) -> None:
        """What a test stopped or killed, started again (for the next test)."""
        for process in (self.cache_redis, self.broker_redis, self.web, self.worker):
            if not process.alive:
                process.start()

    def new_worker(self, name: str, *, queues: str = "", **extra_env) -> Process:
        return celery_worker(
            {**self.env, **extra_env}, self.root / f"worker-{name}.log", name=name, queues=queues
        )

    def manage(self, *args: str, timeout: float = 120):
        """Run `mercato <args>` with the stack's environment (an operator's command)."""
        import subprocess

        from .harness import BIN

        return subprocess.run(  # noqa: S603
            [str(BIN / "mercato"), *args], env=self.env, capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip


# Package scope: the stack's worker and beat work on the test database, so they must be
# gone before the rest of the suite runs on it (a live beat relayed test_outbox's rows).
@pytest.fixture(scope="package")
def stack(django_db_setup, django_db_blocker):
    from django.conf import settings
    from django.db import connection

    ports = fault_ports()
    cache_port, broker_port, web_port = ports[1], ports[2], ports[3]
    # gunicorn binds with SO_REUSEPORT: a second fault run on the same ports would share
    # them silently and answer from another database. Say so instead.
    busy = [port for port in (cache_port, broker_port, web_port) if port_is_open(port)]
    if busy:
        pytest.fail(f"ports {busy} are in use (another fault run?): set MERCATO_FAULT_PORTS")
    root = Path(tempfile.mkdtemp(prefix="mercato-faults-"))
    with django_db_blocker.unblock():
        database = dict(connection.settings_dict)
    env = stack_env(
        database=database,
        cache_port=cache_port,
        broker_port=broker_port,
        secret_key=settings.SECRET_KEY,
        var_dir=root / "var",
        extra={
            # Held messages come back soon after a worker is lost (production: an hour,
            # above the longest countdown); tests keep countdowns below this.
            "CELERY_VISIBILITY_TIMEOUT": "12",
            "WORKER_STALE_SECONDS": "30",
            # Timers act at the deadline itself (production waits 60 s more for a late
            # payment notice): tests move deadlines to a few seconds from now.
            "MERCATO_UNPAID_ORDER_GRACE_SECONDS": "0",
        },
    )
    cache_redis = redis_server(cache_port, root / "cache-redis", persistent=False)
    broker_redis = redis_server(broker_port, root / "broker-redis", persistent=True)
    web = gunicorn(web_port, env, root / "gunicorn.log")
    worker = celery_worker(env, root / "worker.log", name="faults")
    started = []
    try:
        for process in (cache_redis, broker_redis, web, worker):
            process.start()
            started.append(process)
        yield Stack(
            root, env, cache_redis, broker_redis, web, worker,
            base=f"http://127.0.0.1:{web_port}", cache_port=cache_port, database=database,
        )  # fmt: skip
    finally:
        for process in reversed(started):
            process.stop()
        # The logs stay in `root` for a failed run; the data directories go.
        for data in ("cache-redis", "broker-redis", "var"):
            shutil.rmtree(root / data / "appendonlydir", ignore_errors=True)


@pytest.fixture
def shop(stack, transactional_db):
    stack.ensure_running()
    # The last test's rows were truncated behind the shop's back: what the cache still
    # says of them (the warehouses, the pages) must go too. Our own Redis, not the shared.
    redis.Redis(port=stack.cache_port).flushdb()
    made = make_shop()
    yield made
    stack.ensure_running()

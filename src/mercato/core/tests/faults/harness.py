"""Real processes for the fault suite (core/tests/faults/) and bench/faults.py: Redis
servers, gunicorn and Celery workers started, stopped and killed on 127.0.0.1, a load of
readers and shoppers that records every answer, and the shop's data for them.

Ports come from MERCATO_FAULT_PORTS ("8170-8179" by default): one for the cache's Redis,
one for the broker's Redis, one for gunicorn. Every process is started here and ended
here by its own process group, never by name.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

BIN = Path(sys.executable).parent
REDIS_SERVER = "redis-server"


def fault_ports() -> list[int]:
    first, _, last = os.environ.get("MERCATO_FAULT_PORTS", "8170-8179").partition("-")
    return list(range(int(first), int(last or first) + 1))


def port_is_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for(predicate, *, timeout: float, interval: float = 0.2, what: str = "condition"):
    """Poll `predicate` until it returns something true; that value, or TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met within {timeout} s")
        time.sleep(interval)


# Processes ---------------------------------------------------------------------------------
class Process:
    """One service: started in its own process group, so stop() and kill() reach its
    children too (a Celery worker's pool, gunicorn's workers)."""

    def __init__(self, name: str, argv: list[str], *, env: dict, log: Path, ready):
        self.name, self.argv, self.env, self.log, self.ready = name, argv, env, log, ready
        self.popen: subprocess.Popen | None = None

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def start(self, *, timeout: float = 120) -> "Process":
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            self.popen = subprocess.Popen(  # noqa: S603 - our own argv
                self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while not self.ready(self):
            if not self.alive:
                raise RuntimeError(f"{self.name} exited at start:\n{self.tail()}")
            if time.monotonic() > deadline:
                self.kill()
                raise TimeoutError(f"{self.name} not ready in {timeout} s:\n{self.tail()}")
            time.sleep(0.2)
        return self

    def _signal_group(self, sig) -> None:
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, *, timeout: float = 20) -> None:
        """SIGTERM to the group, SIGKILL after `timeout`."""
        if not self.alive:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL to the whole group: no clean-up, as when a machine or the OOM killer
        takes it."""
        if self.popen is None:
            return
        self._signal_group(signal.SIGKILL)
        self.popen.wait(20)

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""


def children(pid: int | None) -> list[int]:
    """The child processes of `pid` (gunicorn's workers under its master)."""
    if pid is None:
        return []
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def redis_server(port: int, workdir: Path, *, persistent: bool) -> Process:
    """A Redis of our own on `port`. `persistent`: append-only file with fsync on every
    write, as the broker's Redis should run (docs/operator.md); else a bare cache."""
    workdir.mkdir(parents=True, exist_ok=True)
    argv = [
        REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "yes" if persistent else "no", "--appendfsync", "always",
        "--dir", str(workdir), "--daemonize", "no", "--protected-mode", "no",
    ]  # fmt: skip
    return Process(
        f"redis:{port}", argv, env=dict(os.environ), log=workdir / "redis.log",
        ready=lambda p: port_is_open(port),
    )  # fmt: skip


def broker_client(url: str):
    """A Celery client for sending to, or emptying, a broker the test names. Not the current
    app: a new Celery() becomes `current_app` by default, and every later test's `.delay()`
    in this process would go to that broker instead of running in-process."""
    from celery import Celery

    return Celery("faults-test", broker=url, set_as_current=False)


def gunicorn(port: int, env: dict, log: Path, *, workers: int = 2, threads: int = 4) -> Process:
    argv = [
        str(BIN / "gunicorn"), "-c", "python:mercato.gunicorn_config", "mercato.wsgi",
        "-b", f"127.0.0.1:{port}",
        "-w", str(workers), "--threads", str(threads), "--timeout", "30",
        "--graceful-timeout", "5",
    ]  # fmt: skip

    def ready(process):
        return port_is_open(port) and Http(f"http://127.0.0.1:{port}").get("/healthz").status == 200

    return Process(f"gunicorn:{port}", argv, env=env, log=log, ready=ready)


def celery_worker(
    env: dict, log: Path, *, name: str, concurrency: int = 2, queues: str = ""
) -> Process:
    argv = [
        str(BIN / "celery"), "-A", "mercato", "worker", "-l", "INFO",
        "--concurrency", str(concurrency), "-n", f"{name}@%h",
        "--without-mingle", "--without-gossip",
    ]  # fmt: skip
    if queues:
        argv += ["-Q", queues]
    start = {"size": 0}

    def ready(process):
        text = process.log_text()[start["size"] :]
        return " ready." in text

    process = Process(f"worker:{name}", argv, env=env, log=log, ready=ready)
    original_start = process.start

    def start_after_old_log(**kw):
        start["size"] = len(process.log_text())  # a restarted worker logs after the last
        return original_start(**kw)

    process.start = start_after_old_log
    return process


def celery_beat(env: dict, log: Path) -> Process:
    """celery beat: sends the outbox relay, the expiry sweep and the other scheduled tasks
    (its schedule file under the stack's MERCATO_VAR_DIR)."""
    argv = [str(BIN / "celery"), "-A", "mercato", "beat", "-l", "INFO"]
    start = {"size": 0}

    def ready(process):
        return "beat: Starting" in process.log_text()[start["size"] :]

    process = Process("beat", argv, env=env, log=log, ready=ready)
    original_start = process.start

    def start_after_old_log(**kw):
        start["size"] = len(process.log_text())
        return original_start(**kw)

    process.start = start_after_old_log
    return process


def stack_env(
    *, database: dict, cache_port: int, broker_port: int, secret_key: str, var_dir: Path,
    extra: dict | None = None,
) -> dict:  # fmt: skip
    """The environment of the processes: this test run's database, our Redis servers."""
    user = quote(database.get("USER") or "")
    password = f":{quote(database['PASSWORD'])}" if database.get("PASSWORD") else ""
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mercato.settings",
        "DATABASE_URL": f"postgres://{user}{password}@{host}:{port}/{database['NAME']}",
        "REDIS_URL": f"redis://127.0.0.1:{cache_port}/0",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{broker_port}/0",
        "SECRET_KEY": secret_key,
        "MERCATO_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        # Unpaid orders need a method that is paid later: the sandbox, allowed for a test.
        "MERCATO_PAYMENT_METHODS": "cod,sandbox",
        "MERCATO_UNSAFE_ALLOW_SANDBOX": "1",
    }
    env.pop("CACHE_URL", None)
    env.update(extra or {})
    return env


class TcpProxy:
    """A TCP relay on 127.0.0.1 to a server (RabbitMQ), that a test can cut: every
    connection through it closed at once and new ones refused for a while, as a broker
    restart or a network drop does to its clients, without touching the shared server."""

    def __init__(self, port: int, target: tuple[str, int]):
        self.port, self.target = port, target
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._refusing = threading.Event()
        self._closed = threading.Event()
        self._server = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self._server.settimeout(0.2)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._refusing.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                self._drop(sock)

    def _drop(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def cut(self, seconds: float) -> None:
        """Close every connection through the proxy and refuse new ones for `seconds`."""
        self._refusing.set()
        with self._lock:
            open_now = list(self._sockets)
        for sock in open_now:
            self._drop(sock)
        time.sleep(seconds)
        self._refusing.clear()

    def close(self) -> None:
        self._closed.set()
        self._server.close()
        with self._lock:
            open_now = list(self._sockets)
        for sock in open_now:
            self._drop(sock)


# HTTP --------------------------------------------------------------------------------------
@dataclass
class Answer:
    status: int  # 0: no answer (refused, reset, timed out)
    content_type: str = ""
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    error: str = ""

    def json(self):
        return json.loads(self.body)

    @property
    def bare_500(self) -> bool:
        """Django's text when no 500 page is designed: what must never be seen."""
        return self.status == 500 and b"Server Error (500)" in self.body


class Http:
    """A small client: one connection per call, cookies and headers as given."""

    def __init__(self, base: str, *, timeout: float = 30):
        host_port = base.removeprefix("http://")
        self.host, _, port = host_port.partition(":")
        self.port, self.timeout = int(port or 80), timeout

    def request(self, method: str, path: str, *, body=None, headers=None, cookies=None) -> Answer:
        headers = dict(headers or {})
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            return Answer(
                status=response.status,
                content_type=response.getheader("Content-Type", ""),
                body=data,
                headers={k.lower(): v for k, v in response.getheaders()},
            )
        except (OSError, http.client.HTTPException) as exc:
            return Answer(status=0, error=f"{type(exc).__name__}: {exc}")
        finally:
            conn.close()

    def get(self, path: str, **kw) -> Answer:
        return self.request("GET", path, **kw)

    def post(self, path: str, body=None, **kw) -> Answer:
        return self.request("POST", path, body=body, **kw)


# The shop's data -------------------------------------------------------------------------
@dataclass
class Member:
    session_key: str
    csrf: str
    address: dict

    @property
    def cookies(self) -> dict:
        return {"sessionid": self.session_key, "csrftoken": self.csrf}

    @property
    def headers(self) -> dict:
        return {"X-CSRFToken": self.csrf, "Referer": "http://127.0.0.1/"}


@dataclass
class Shop:
    sku_ids: list[int]
    hot_sku_id: int  # the one a lock test locks
    product_slugs: list[str]
    product_ids: list[int]
    members: list[Member]


ADDRESS = {
    "recipient": "张三", "mobile": "13800138000", "province": "四川省",
    "city": "成都市", "district": "武侯区", "detail": "人民南路四段1号",
}  # fmt: skip


def make_shop(*, skus: int = 8, members: int = 12, units: int = 100_000) -> Shop:
    """Rates, two warehouses, SKUs on sale with stock received through inventory.services,
    and members with a logged-in session (the way log-in stores one)."""
    from decimal import Decimal

    from django.contrib.sessions.backends.db import SessionStore
    from django.utils.crypto import get_random_string

    from mercato.catalog.models import ProductStatus
    from mercato.checkout.services import save_shipping_zone
    from mercato.core.regions import mainland_provinces
    from mercato.inventory.services import receive_stock
    from mercato.testing.factories import (
        ProductFactory,
        SkuFactory,
        make_category,
        make_customer,
        make_warehouse,
    )

    save_shipping_zone(
        name="全国", provinces=list(mainland_provinces()), first_weight_g=1000,
        first_fee=Decimal("10.00"), extra_weight_step_g=500, extra_fee=Decimal("5.00"),
    )  # fmt: skip
    warehouses = [make_warehouse("CD", "四川省"), make_warehouse("SH", "上海市")]
    category = make_category()
    made = []
    for n in range(skus):
        product = ProductFactory(category=category, status=ProductStatus.ON_SALE)
        sku = SkuFactory(product=product, list_price=Decimal("39.90") + n, weight_g=400)
        for warehouse in warehouses:
            receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=units)
        made.append(sku)
    shoppers = []
    for n in range(members):
        customer = make_customer(name=f"顾客{n}")
        store = SessionStore()
        store["_auth_user_id"] = str(customer.user.pk)
        store["_auth_user_backend"] = "mercato.customers.backends.ModelBackend"
        store["_auth_user_hash"] = customer.user.get_session_auth_hash()
        store.create()
        shoppers.append(Member(store.session_key, get_random_string(32), ADDRESS))
    return Shop(
        sku_ids=[s.pk for s in made],
        hot_sku_id=made[0].pk,
        product_slugs=[s.product.slug for s in made],
        product_ids=[s.product_id for s in made],
        members=shoppers,
    )


def data_problems(*, overdue_after=None) -> list[str]:
    """The checks after every fault (orders.selectors, inventory.selectors)."""
    from mercato.inventory.selectors import stock_disagreements
    from mercato.orders.selectors import order_problems

    return order_problems(overdue_after=overdue_after) + stock_disagreements()


# Load --------------------------------------------------------------------------------------
@dataclass
class Record:
    at: float  # monotonic
    kind: str
    status: int
    bare_500: bool = False
    json_error: bool = True  # an API error answered in the API's JSON body


RETRYABLE = {0, 502, 503, 504}


class Load:
    """Readers (shop pages, search, the API, log-in page, the account page) and shoppers
    (add to cart, then place; a placement cut off or refused as busy is retried with the
    same idempotency key, as the checkout page does). Every answer is recorded."""

    def __init__(self, base: str, shop: Shop, *, readers: int = 4, shoppers: int = 4,
                 sku_ids: list[int] | None = None, retries: int = 6):  # fmt: skip
        self.http = Http(base, timeout=30)
        self.shop, self.readers, self.shoppers, self.retries = shop, readers, shoppers, retries
        self.sku_ids = sku_ids or shop.sku_ids
        self.records: list[Record] = []
        self.placements: list[dict] = []  # per placement: key, answers, outcome
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # Recording
    def _record(self, kind: str, answer: Answer) -> Answer:
        json_error = True
        if kind.startswith("api") and answer.status >= 400:
            json_error = answer.content_type.startswith("application/json")
        with self._lock:
            self.records.append(
                Record(time.monotonic(), kind, answer.status, answer.bare_500, json_error)
            )
        return answer

    # Users
    def _reader(self, n: int) -> None:
        shop, i = self.shop, n
        member = shop.members[n % len(shop.members)]
        while not self._stop.is_set():
            i += 1
            slug = shop.product_slugs[i % len(shop.product_slugs)]
            product_id = shop.product_ids[i % len(shop.product_ids)]
            for kind, path, cookies in (
                ("page", f"/p/{slug}/", None),
                ("page", "/", None),
                ("search", "/search/?q=%E6%89%8B%E6%9C%BA", None),
                ("api", f"/api/catalog/products/{product_id}", None),
                ("login", "/account/login/", None),
                ("account", "/account/", member.cookies),
            ):
                if self._stop.is_set():
                    return
                self._record(kind, self.http.get(path, cookies=cookies))

    def _shopper(self, n: int) -> None:
        members = self.shop.members[n :: self.shoppers] or self.shop.members
        i = 0
        while not self._stop.is_set():
            member = members[i % len(members)]
            sku_id = self.sku_ids[(n + i) % len(self.sku_ids)]
            i += 1
            self.buy(member, sku_id)

    def buy(self, member: Member, sku_id: int) -> dict:
        """Add one unit to the cart and place it, retrying a lost or busy answer with the
        same key; returns {"key", "answers", "outcome": placed|refused|not placed,
        "landed_on_earlier": the order came from an attempt whose answer was lost}."""
        added = self._record(
            "api-cart",
            self.http.post("/api/cart/lines", {"sku_id": sku_id, "quantity": 1},
                           cookies=member.cookies, headers=member.headers),
        )  # fmt: skip
        placement = {"key": uuid.uuid4().hex, "answers": [], "outcome": "not placed"}
        if added.status != 201:
            placement["outcome"] = "not added"
            return placement
        body = {"address": member.address, "payment_method": "sandbox",
                "idempotency_key": placement["key"]}  # fmt: skip
        for attempt in range(self.retries):
            answer = self._record(
                "api-place",
                self.http.post("/api/orders", body, cookies=member.cookies, headers=member.headers),
            )
            placement["answers"].append(answer.status)
            # 200: the key was used by an attempt that committed but whose answer was lost;
            # the shopper lands on that order (the checkout page does the same).
            if answer.status in (200, 201):
                placement["outcome"] = "placed"
                placement["number"] = answer.json()["number"]
                placement["landed_on_earlier"] = answer.status == 200
                break
            if answer.status not in RETRYABLE:
                placement["outcome"] = "refused"
                break
            if self._stop.is_set() and attempt:
                break
            time.sleep(float(answer.headers.get("retry-after", 0.5 * (attempt + 1))))
        with self._lock:
            self.placements.append(placement)
        return placement

    # Running
    def start(self) -> "Load":
        for n in range(self.readers):
            self._threads.append(threading.Thread(target=self._reader, args=(n,), daemon=True))
        for n in range(self.shoppers):
            self._threads.append(threading.Thread(target=self._shopper, args=(n,), daemon=True))
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> "Load":
        self._stop.set()
        for thread in self._threads:
            thread.join(120)
        return self

    def wait(self, predicate, *, timeout: float, what: str):
        """wait_for, saying what the load got so far when it times out."""
        try:
            return wait_for(predicate, timeout=timeout, what=what)
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}; answers so far: {self.by_kind()}") from None

    # Reading the answers
    def statuses(self, *, since: float = 0.0, until: float | None = None, kinds=None) -> Counter:
        with self._lock:
            return Counter(
                r.status
                for r in self.records
                if r.at >= since
                and (until is None or r.at <= until)
                and (kinds is None or r.kind in kinds)
            )

    def by_kind(self, *, since: float = 0.0, until: float | None = None) -> dict[str, Counter]:
        table: dict[str, Counter] = {}
        with self._lock:
            for r in self.records:
                if r.at >= since and (until is None or r.at <= until):
                    table.setdefault(r.kind, Counter())[r.status] += 1
        return table

    def bare_500s(self) -> int:
        return sum(r.bare_500 for r in self.records)

    def api_errors_not_json(self) -> int:
        return sum(not r.json_error for r in self.records)

    def first_ok_after(self, moment: float, *, kinds=None) -> float | None:
        """Seconds from `moment` to the first 2xx answer of `kinds` after it."""
        with self._lock:
            times = [
                r.at
                for r in self.records
                if r.at >= moment and 200 <= r.status < 300 and (kinds is None or r.kind in kinds)
            ]
        return min(times) - moment if times else None


# The database, from the side --------------------------------------------------------------
def _connect(database: dict):
    import psycopg

    return psycopg.connect(
        dbname=database["NAME"], user=database.get("USER") or None,
        password=database.get("PASSWORD") or None, host=database.get("HOST") or "127.0.0.1",
        port=database.get("PORT") or 5432, autocommit=True,
    )  # fmt: skip


class RowLock:
    """Rows held FOR UPDATE by a connection of our own (another client of the database)
    until release(): what a long transaction elsewhere does to the shop."""

    def __init__(self, database: dict, sql: str, params: list):
        self.connection = _connect(database)
        self.pid = self.connection.info.backend_pid
        self.connection.execute("BEGIN")
        self.rows = self.connection.execute(sql, params).fetchall()

    def release(self) -> None:
        if not self.connection.closed:
            self.connection.execute("ROLLBACK")
            self.connection.close()


def backends(database: dict, *, waiting_on_lock: bool = False, exclude=()) -> list[int]:
    """Backend pids of the processes using `database` (gunicorn's, the worker's), not
    ours; with `waiting_on_lock`, only those waiting for a row lock."""
    with _connect(database) as conn:
        sql = (
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend' AND NOT (pid = ANY(%s))"
        )
        if waiting_on_lock:
            sql += " AND wait_event_type = 'Lock'"
        return [pid for (pid,) in conn.execute(sql, [database["NAME"], list(exclude)])]


def terminate(database: dict, pids) -> int:
    """pg_terminate_backend for each pid (of our own test database's clients)."""
    with _connect(database) as conn:
        return sum(
            bool(conn.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0])
            for pid in pids
        )

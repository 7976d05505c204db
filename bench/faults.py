"""Faults under load (issue 17): per fault, the requests sent, the answers by status, the
longest time without an order placed and how long the shop took to be back to normal.

    .venv/bin/python bench/faults.py [--only redis,broker,postgres,lock,gunicorn,worker]
        [--fault-seconds 30] [--lock-seconds 20] [--docs]

1. Drops and creates the PostgreSQL database `mercato_faults_bench` (MERCATO_BENCH_DB) at
   127.0.0.1:5432, migrates it and writes the fault suite's shop (core/tests/faults/
   harness.make_shop: 8 SKUs in 2 warehouses, 12 members with a session).
2. Starts, as the fault suite does, Redis for the cache, Redis for the broker (append
   only), gunicorn (2 workers x 4 threads, the web's database timeouts), a Celery worker
   and celery beat (the outbox relay every 10 s, the expiry sweep every minute), on the
   ports of MERCATO_FAULT_PORTS (8175-8179 here, beside the suite's 8170-8174). Unpaid
   orders expire after 1 minute (MERCATO_UNPAID_ORDER_MINUTES=1), so the timers and the
   sweep have work during the run.
3. For each fault, with 4 readers (product page, home, search, the API's product, log-in
   page, account page) and 4 shoppers (add to cart, place; a placement cut off or refused
   as busy is sent again with the same idempotency key, as the checkout page does)
   running: 10 s of normal load, the fault, then load until the shop is back to normal
   (every /readyz check "ok" and the outbox empty) and at least 10 s more.
     redis     both Redis servers stopped for --fault-seconds (the issue's one Redis)
     broker    the broker's Redis alone stopped for --fault-seconds
     postgres  what a PostgreSQL restart does to its clients: every connection of the
               database killed and new ones refused for 2.5 s (ALLOW_CONNECTIONS false)
     lock      the most-bought SKU's stock rows locked by another connection for
               --lock-seconds
     gunicorn  every gunicorn worker SIGKILLed at once (the master starts new ones)
     worker    the Celery worker and its pool SIGKILLed, started again after
               --fault-seconds (what systemd's Restart= does)
4. After each fault, the data checks (orders have lines, reserved stock equals active
   reservations, stock equals its ledger); at the end, how long until no unpaid order is
   past its deadline by more than two sweeps.

Prints a Markdown table and writes bench/results/faults-latest.json; --docs puts the table
in docs/performance.md between <!-- fault-bench --> markers.
"""

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from benchdb import PG_SERVER, ROOT, recreate_database, setup_django

DATABASE = os.environ.get("MERCATO_BENCH_DB", "mercato_faults_bench")
ALL = ["redis", "broker", "postgres", "lock", "gunicorn", "worker"]


def log(message: str) -> None:
    print(f"[faults-bench] {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


# The stack -----------------------------------------------------------------------------------
class Stack:
    def __init__(self, root: Path):
        from django.conf import settings
        from django.db import connection

        from mercato.core.tests.faults import harness

        ports = harness.fault_ports()
        self.cache_port, self.broker_port, self.web_port = ports[1], ports[2], ports[3]
        self.database = dict(connection.settings_dict)
        self.env = harness.stack_env(
            database=self.database,
            cache_port=self.cache_port,
            broker_port=self.broker_port,
            secret_key=settings.SECRET_KEY,
            var_dir=root / "var",
            extra={
                "MERCATO_UNPAID_ORDER_MINUTES": "1",
                "MERCATO_UNPAID_ORDER_GRACE_SECONDS": "0",
                # Above the longest countdown (1 minute here), as docs/operator.md asks.
                "CELERY_VISIBILITY_TIMEOUT": "120",
                "WORKER_STALE_SECONDS": "30",
                "LOG_LEVEL": "WARNING",
            },
        )
        self.cache = harness.redis_server(self.cache_port, root / "cache", persistent=False)
        self.broker = harness.redis_server(self.broker_port, root / "broker", persistent=True)
        self.web = harness.gunicorn(self.web_port, self.env, root / "gunicorn.log")
        self.worker = harness.celery_worker(self.env, root / "worker.log", name="bench")
        self.beat = harness.celery_beat(self.env, root / "beat.log")
        self.base = f"http://127.0.0.1:{self.web_port}"
        self.processes = [self.cache, self.broker, self.web, self.worker, self.beat]

    def start(self) -> None:
        for process in self.processes:
            if not process.alive:
                process.start()

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    def readyz(self) -> dict:
        from mercato.core.tests.faults.harness import Http

        answer = Http(self.base, timeout=10).get("/readyz")
        try:
            return {"status_code": answer.status, **answer.json()}
        except ValueError:
            return {"status_code": answer.status}

    def normal(self) -> bool:
        """Every /readyz check ok and nothing waiting in the outbox."""
        from mercato.core.models import OutboxMessage

        ready = self.readyz()
        checks = ready.get("checks") or {}
        return (
            ready["status_code"] == 200
            and checks
            and all(v == "ok" for v in checks.values())
            and not OutboxMessage.objects.exists()
        )


# Faults -------------------------------------------------------------------------------------
def fault_redis(stack, shop, args):
    stack.cache.stop()
    stack.broker.stop()
    time.sleep(args.fault_seconds)
    stack.cache.start()
    stack.broker.start()
    return f"both Redis servers stopped {args.fault_seconds:g} s"


def fault_broker(stack, shop, args):
    stack.broker.stop()
    time.sleep(args.fault_seconds)
    stack.broker.start()
    return f"broker's Redis stopped {args.fault_seconds:g} s"


def fault_postgres(stack, shop, args):
    """A restart as the clients see it: every connection dropped, none taken for 2.5 s."""
    import psycopg

    ours = _our_pids()
    # From another database: this one takes no connection while it refuses them.
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{DATABASE}" ALLOW_CONNECTIONS false')
        try:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                "AND backend_type = 'client backend' AND NOT (pid = ANY(%s))",
                [DATABASE, ours],
            )
            time.sleep(2.5)
        finally:
            admin.execute(f'ALTER DATABASE "{DATABASE}" ALLOW_CONNECTIONS true')
    return "PostgreSQL restart: every connection killed, new ones refused 2.5 s"


def fault_lock(stack, shop, args):
    from mercato.core.tests.faults.harness import RowLock

    lock = RowLock(
        stack.database,
        "SELECT id FROM inventory_stock WHERE sku_id = %s ORDER BY id FOR UPDATE",
        [shop.hot_sku_id],
    )
    try:
        time.sleep(args.lock_seconds)
    finally:
        lock.release()
    return f"one SKU's stock rows locked {args.lock_seconds:g} s"


def fault_gunicorn(stack, shop, args):
    """Every worker at once (the master stays and starts new ones): what an OOM kill of the
    web's memory cgroup or a bad deploy does; requests in flight lose their answer."""
    from mercato.core.tests.faults.harness import children

    killed = 0
    for pid in children(stack.web.pid):
        try:
            os.kill(pid, signal.SIGKILL)
            killed += 1
        except ProcessLookupError:
            pass
    return f"all {killed} gunicorn workers SIGKILLed"


def fault_worker(stack, shop, args):
    stack.worker.kill()
    time.sleep(args.fault_seconds)
    stack.worker.start()
    return f"Celery worker SIGKILLed, started again after {args.fault_seconds:g} s"


FAULTS = {
    "redis": fault_redis,
    "broker": fault_broker,
    "postgres": fault_postgres,
    "lock": fault_lock,
    "gunicorn": fault_gunicorn,
    "worker": fault_worker,
}


def _our_pids() -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return [cursor.fetchone()[0]]


# One run ------------------------------------------------------------------------------------
def longest_without_order(load, start: float, end: float) -> float:
    times = sorted(
        r.at for r in load.records if r.kind == "api-place" and r.status == 201 and start <= r.at
    )
    marks = [start, *[t for t in times if t <= end], end]
    return max(b - a for a, b in zip(marks, marks[1:], strict=False))


def run_fault(name: str, stack: Stack, shop, args) -> dict:
    from django.db import close_old_connections

    from mercato.core.tests.faults.harness import Load, data_problems

    close_old_connections()
    stack.start()
    load = Load(stack.base, shop, readers=4, shoppers=4).start()
    try:
        load.wait(lambda: load.statuses(kinds={"api-place"})[201] >= 3, timeout=120, what="warm-up")
        time.sleep(10)
        log(f"{name}: fault")
        start = time.monotonic()
        what = FAULTS[name](stack, shop, args)
        end = time.monotonic()
        log(f"{name}: fault over ({what}); waiting for normal")
        normal_after = None
        while time.monotonic() - end < 300:
            close_old_connections()
            try:
                if stack.normal():
                    normal_after = time.monotonic() - end
                    break
            except Exception as exc:  # noqa: BLE001 - the database may still be away
                log(f"{name}: not normal yet ({exc!r})")
            time.sleep(0.5)
        time.sleep(max(0.0, 10 - (time.monotonic() - end)))
        stop = time.monotonic()
    finally:
        load.stop()
    close_old_connections()
    placements = Counter(p["outcome"] for p in load.placements)
    during = load.statuses(since=start, until=end)
    after = load.statuses(since=end, until=stop)
    return {
        "fault": name,
        "what": what,
        "fault_seconds": round(end - start, 1),
        "requests_during": sum(during.values()),
        "during": dict(sorted(during.items())),
        "requests_after": sum(after.values()),
        "after": dict(sorted(after.items())),
        "requests_total": len(load.records),
        "total": dict(sorted(load.statuses().items())),
        "bare_500": load.bare_500s(),
        "api_errors_not_json": load.api_errors_not_json(),
        "placements": dict(placements),
        "retried_placements": sum(len(p["answers"]) > 1 for p in load.placements),
        "landed_on_earlier": sum(bool(p.get("landed_on_earlier")) for p in load.placements),
        "longest_without_order_s": round(longest_without_order(load, start, stop), 1),
        "first_order_after_s": load.first_ok_after(end, kinds={"api-place"}),
        "normal_after_s": None if normal_after is None else round(normal_after, 1),
        # Unpaid orders are swept at their deadline: what is overdue now is checked at the end.
        "data_problems": [p for p in data_problems() if "past their payment deadline" not in p],
    }


def overdue_cleared(stack, *, timeout: float = 300) -> dict:
    """Seconds until no unpaid order is past its deadline by more than two sweeps."""
    from datetime import timedelta

    from django.db import close_old_connections

    from mercato.core.tests.faults.harness import data_problems
    from mercato.orders.models import Order, OrderStatus

    started = time.monotonic()
    while True:
        close_old_connections()
        problems = data_problems(overdue_after=timedelta(seconds=120))
        if not problems or time.monotonic() - started > timeout:
            break
        time.sleep(2)
    return {
        "seconds": round(time.monotonic() - started, 1),
        "problems": problems,
        "orders": Order.objects.count(),
        "cancelled": Order.objects.filter(status=OrderStatus.CANCELLED).count(),
        "unpaid": Order.objects.filter(status=OrderStatus.PENDING_PAYMENT).count(),
    }


# Report -------------------------------------------------------------------------------------
def _statuses(counts: dict) -> str:
    return ", ".join(f"{n:,} × {status or 'no answer'}" for status, n in sorted(counts.items()))


def table(results: list[dict]) -> str:
    rows = [
        "| fault | requests during | answers during the fault | answers after it "
        "| 500 pages (bare) | placements (retried with the same key; landed on the order an "
        "attempt whose answer was lost had placed) "
        "| longest without an order | back to normal | data checks |",
        "|---|---:|---|---|---|---|---:|---:|---|",
    ]
    for r in results:
        placements = ", ".join(f"{n} {k}" for k, n in sorted(r["placements"].items()))
        fives = sum(n for s, n in r["total"].items() if int(s) == 500)
        normal = "not within 300 s" if r["normal_after_s"] is None else f"{r['normal_after_s']} s"
        rows.append(
            f"| {r['what']} | {r['requests_during']:,} | {_statuses(r['during'])} "
            f"| {_statuses(r['after'])} | {fives} ({r['bare_500']}) "
            f"| {placements} ({r['retried_placements']}; {r['landed_on_earlier']}) "
            f"| {r['longest_without_order_s']} s "
            f"| {normal} | {'held' if not r['data_problems'] else '; '.join(r['data_problems'])} |"
        )
    return "\n".join(rows)


def machine() -> dict:
    import django

    load1 = os.getloadavg()
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except FileNotFoundError:
        pass
    pg = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    redis = subprocess.run(
        ["redis-server", "--version"], capture_output=True, text=True, check=False
    ).stdout.split()[2:3]
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "loadavg": [round(x, 2) for x in load1],
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": pg,
        "redis": redis[0].removeprefix("v=") if redis else "",
    }


def write_docs(report: dict) -> None:
    path = ROOT / "docs" / "performance.md"
    text = path.read_text()
    m = report["machine"]
    block = "\n".join(
        [
            "<!-- fault-bench -->",
            f"Run {report['started']} with `{report['command']}`; load average "
            f"{m['loadavg_before'][0]} before, {m['loadavg'][0]} after (a shared machine: "
            "six sessions on 2 CPUs).",
            "",
            f"- Machine: {m['cpus']} CPUs ({m['cpu']}); PostgreSQL {m['postgresql']}; "
            f"Redis {m['redis']}; Python {m['python']}; Django {m['django']}",
            "- Stack: gunicorn 2 workers × 4 threads, a Celery worker (concurrency 2) and "
            "beat, Redis for the cache and sessions and another (append-only) for the broker; "
            "unpaid orders expire after 1 minute",
            "- Load: 4 readers and 4 shoppers, each waiting for its answer (closed loop)",
            "",
            table(report["results"]),
            "",
            f"Unpaid orders past their deadline by more than two sweeps: none "
            f"{report['overdue']['seconds']} s after the last fault "
            f"({report['overdue']['orders']:,} orders placed, "
            f"{report['overdue']['cancelled']:,} cancelled unpaid by their timers or the sweep, "
            f"{report['overdue']['unpaid']:,} still within their minute)."
            if not report["overdue"]["problems"]
            else f"Overdue after {report['overdue']['seconds']} s: {report['overdue']['problems']}",
            "<!-- /fault-bench -->",
        ]
    )
    start, end = "<!-- fault-bench -->", "<!-- /fault-bench -->"
    if start in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n## Faults under load\n\n" + block + "\n"
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", default=",".join(ALL))
    parser.add_argument("--fault-seconds", type=float, default=30)
    parser.add_argument("--lock-seconds", type=float, default=20)
    parser.add_argument("--docs", action="store_true")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n]
    unknown = set(names) - set(FAULTS)
    if unknown:
        parser.error(f"unknown faults: {sorted(unknown)}")

    before = [round(x, 2) for x in os.getloadavg()]
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    log(f"database {DATABASE}")
    recreate_database(DATABASE)
    setup_django(
        DATABASE,
        without=("CELERY_BROKER_URL", "REDIS_URL", "CACHE_URL"),
        defaults={"MERCATO_FAULT_PORTS": "8175-8179"},
    )
    import tempfile

    from mercato.core.tests.faults.harness import make_shop

    shop = make_shop()
    root = Path(tempfile.mkdtemp(prefix="mercato-faults-bench-"))
    stack = Stack(root)
    log(f"stack in {root}")
    results = []
    try:
        stack.start()
        for name in names:
            results.append(run_fault(name, stack, shop, args))
            log(json.dumps(results[-1], ensure_ascii=False))
            partial = ROOT / "bench" / "results" / "faults-partial.json.tmp"
            partial.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str))
        overdue = overdue_cleared(stack)
    finally:
        stack.stop()
    report = {
        "started": started,
        "command": "python bench/faults.py " + " ".join(sys.argv[1:]),
        "machine": {**machine(), "loadavg_before": before},
        "results": results,
        "overdue": overdue,
        "logs": str(root),
    }
    out = ROOT / "bench" / "results" / "faults-latest.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str))
    print(table(results))
    print(json.dumps(overdue, ensure_ascii=False))
    if args.docs:
        write_docs(report)


if __name__ == "__main__":
    main()

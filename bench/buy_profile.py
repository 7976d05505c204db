"""Where an order placement and an add-to-cart spend their time: queries and Python.

    DATABASE_URL=postgres://.../mercato_bench .venv/bin/python bench/buy_profile.py [--orders 21]

Runs in-process with Django's test client against the bench database (seeded, and
prepared once by bench/buy_fixtures.py for its stock pool): places --orders orders, each
from a new member's cart of 3 lines, and as many guest add-to-cart requests, then prints
the queries per request (grouped by statement shape) and cProfile's heaviest functions.
It writes orders into that database: use the bench database only.
"""

import argparse
import cProfile
import json
import os
import pstats
import re
import sys
import time
from collections import Counter
from pathlib import Path

# Placement pays with the sandbox, which is off unless switched on (issue 10), as
# bench/buy_bench.py does for its servers.
os.environ.setdefault("MERCATO_PAYMENT_METHODS", "cod,sandbox")
os.environ.setdefault("MERCATO_UNSAFE_ALLOW_SANDBOX", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
import buy_fixtures as fx  # noqa: E402 - sets Django up
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

JSON = "application/json"


def shape(sql: str) -> str:
    """A statement with its literals replaced, so repeats group together."""
    sql = re.sub(r"'[^']*'", "?", sql)
    sql = re.sub(r"\b\d+\b", "?", sql)
    sql = re.sub(r"(\?, )+\?", "?…", sql)
    return sql[:160]


class QueryTimer:
    """Django execute wrapper: (statement, seconds, start) of every query of a request."""

    def __init__(self):
        self.queries: list[tuple[str, float, float]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((sql, time.perf_counter() - started, started))


LOCK_STATEMENT = "orders_ordernumbercounter"
TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu_ms() -> float | None:
    """CPU time of this connection's PostgreSQL backend so far (utime + stime from /proc,
    which needs the server on this machine); None on SQLite or when it cannot be read."""
    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    try:
        with open(f"/proc/{connection.connection.info.backend_pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) * 1000 / TICKS


def timed(calls) -> list[dict]:
    """Run (prepare, request) pairs; per request: wall ms, database ms, queries, and how
    long the request held the day's order-number counter row (from its UPDATE to the end)."""
    rows = []
    for prepare, call in calls:
        prepare()
        timer = QueryTimer()
        pg_started = backend_cpu_ms()
        with connection.execute_wrapper(timer):
            started, cpu_started = time.perf_counter(), time.process_time()
            status = call()
            ended, cpu_ended = time.perf_counter(), time.process_time()
        pg_ended = backend_cpu_ms()
        lock_from = next((t for sql, _d, t in timer.queries if LOCK_STATEMENT in sql and
                          sql.lstrip().upper().startswith("UPDATE")), None)  # fmt: skip
        rows.append(
            {
                "status": status,
                "ms": (ended - started) * 1000,
                # CPU of this process (client and server in one): what a request costs
                # the machine on the Python side, whatever else runs on it.
                "cpu_ms": (cpu_ended - cpu_started) * 1000,
                # The database's side (clock ticks: 10 ms each, so only a mean over many
                # requests says something).
                "pg_cpu_ms": (pg_ended - pg_started) if pg_started is not None else 0.0,
                "db_ms": sum(d for _s, d, _t in timer.queries) * 1000,
                "queries": len(timer.queries),
                "lock_ms": (ended - lock_from) * 1000 if lock_from else 0.0,
                "shapes": [shape(sql) for sql, _d, _t in timer.queries],
            }
        )
    return rows


def median(values) -> float:
    values = sorted(values)
    return values[len(values) // 2]


def profile(label: str, calls, top: int = 30) -> None:
    """Half the requests timed (no profiler overhead), the other half under cProfile."""
    half = len(calls) // 2
    rows = timed(calls[:half])
    print(f"\n== {label}: {len(rows)} timed requests, statuses "
          f"{dict(Counter(r['status'] for r in rows))}")  # fmt: skip
    print(
        f"   median {median(r['ms'] for r in rows):.1f} ms in-process "
        f"({median(r['cpu_ms'] for r in rows):.1f} ms CPU; PostgreSQL's backend "
        f"{sum(r['pg_cpu_ms'] for r in rows) / len(rows):.1f} ms CPU on average), of which "
        f"{median(r['db_ms'] for r in rows):.1f} ms in {median(r['queries'] for r in rows)} "
        f"queries; the order-number counter row held {median(r['lock_ms'] for r in rows):.1f} ms"
    )
    print("   queries by shape (count over the timed requests):")
    for sql, count in Counter(s for r in rows for s in r["shapes"]).most_common(40):
        print(f"   {count:5d}  {sql}")
    # CPU time of this thread: waiting for PostgreSQL is not the cost looked for.
    profiler = cProfile.Profile(time.thread_time)
    for prepare, call in calls[half:]:
        prepare()
        profiler.enable()
        call()
        profiler.disable()
    print("   heaviest functions (cumulative, project and Django):")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(r"mercato/|django/(db|contrib|middleware)", top)
    print("   heaviest functions (own time):")
    stats.sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=21, help="orders to place, one a warm-up")
    parser.add_argument("--payment", default="sandbox")
    parser.add_argument("--bare-stock", type=int, help="stock id for the bare view's timing")
    parser.add_argument("--json", action="store_true", help="print the timed medians as JSON")
    parser.add_argument(
        "--stock-step", choices=["orm"], help="placement's stock step through the ORM"
    )
    parser.add_argument("--top", type=int, default=30, help="functions listed by cProfile")
    parser.add_argument("--only", choices=["place", "cart"], help="profile only this request")
    parser.add_argument(
        "--no-promotions", action="store_true", help="place as if no promotion were running"
    )
    args = parser.parse_args()
    if args.no_promotions:  # placement and the cart read them through this one selector
        from mercato.checkout import placement

        placement.running_offers = lambda **_kwargs: []
    if args.stock_step:  # inventory.stockstep.stock_step() reads the setting at each call
        from django.conf import settings

        settings.MERCATO_STOCK_STEP = args.stock_step
    pool = list(fx.sellable_skus()[: fx.POOL_SKUS])
    tag = f"prof{int(time.time())}"
    customers = fx.members(tag, args.orders)
    fx.fill_carts(
        customers, [[pool[(3 * i + k) % len(pool)] for k in range(3)] for i in range(args.orders)]
    )

    client = Client()

    def place(i: int):
        body = {"address_id": customers[i].bench_address_id, "payment_method": args.payment,
                "idempotency_key": f"{tag}-{i:04d}"}  # fmt: skip
        return (
            lambda: client.force_login(customers[i].bench_user),
            lambda: client.post("/api/orders", json.dumps(body), content_type=JSON).status_code,
        )

    def add(i: int):
        body = {"sku_id": pool[i % len(pool)].pk, "quantity": 1}
        return (
            client.logout,  # a guest: a new session and cart each time
            lambda: client.post("/api/cart/lines", json.dumps(body), content_type=JSON).status_code,
        )

    # One of each first, not measured: the first request imports the URL conf and the API.
    for prepare, call in (place(args.orders - 1), add(args.orders - 1)):
        prepare()
        call()
    n = args.orders - 1
    if args.json:  # the medians only, for bench/buy_bench.py
        summary = {}
        makers = [("place", place), ("cart", add)]
        if args.bare_stock:  # the floor, timed the same way (needs MERCATO_BENCH_VIEWS=1)
            bare_url = f"/bench/reserve/{args.bare_stock}/"
            makers.append(
                ("bare", lambda i: (client.logout, lambda: client.post(bare_url).status_code))
            )
        for name, make in makers:
            rows = timed([make(i) for i in range(n)])
            summary[name] = {
                key: round(median(r[key] for r in rows), 1)
                for key in ("ms", "cpu_ms", "db_ms", "queries", "lock_ms")
            }
            # Clock ticks (10 ms): a mean over the requests, not a median.
            summary[name]["pg_cpu_ms"] = round(sum(r["pg_cpu_ms"] for r in rows) / len(rows), 1)
            summary[name]["statuses"] = dict(Counter(str(r["status"]) for r in rows))
        print(json.dumps(summary))
        return
    if args.only != "cart":
        label = "order placement (POST /api/orders, cart of 3 lines)"
        profile(label, [place(i) for i in range(n)], args.top)
    if args.only != "place":
        profile("add to cart (POST /api/cart/lines, guest)", [add(i) for i in range(n)], args.top)


if __name__ == "__main__":
    main()

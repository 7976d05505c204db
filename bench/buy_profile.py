"""Where an order placement and an add-to-cart spend their time: queries and Python.

    DATABASE_URL=postgres://.../mercato_bench .venv/bin/python bench/buy_profile.py [--orders 20]

Runs in-process with Django's test client against the bench database (seeded, and
prepared once by bench/buy_fixtures.py for its stock pool): places --orders orders, each
from a new member's cart of 3 lines, and as many guest add-to-cart requests, then prints
the queries per request (grouped by statement shape) and cProfile's heaviest functions.
It writes orders into that database: use the bench database only.
"""

import argparse
import cProfile
import json
import pstats
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import buy_fixtures as fx  # noqa: E402 - sets Django up
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def shape(sql: str) -> str:
    """A statement with its literals replaced, so repeats group together."""
    sql = re.sub(r"'[^']*'", "?", sql)
    sql = re.sub(r"\b\d+\b", "?", sql)
    sql = re.sub(r"(\?, )+\?", "?…", sql)
    return sql[:160]


def profile(label: str, calls) -> None:
    profiler = cProfile.Profile()
    queries: Counter = Counter()
    seconds, statuses, per_request = [], Counter(), []
    for call in calls:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            profiler.enable()
            status = call()
            profiler.disable()
            seconds.append(time.perf_counter() - started)
        statuses[status] += 1
        per_request.append(len(captured.captured_queries))
        queries.update(shape(q["sql"]) for q in captured.captured_queries)
    n = len(seconds)
    print(f"\n== {label}: {n} requests, statuses {dict(statuses)}")
    print(f"   median {sorted(seconds)[n // 2] * 1000:.1f} ms in-process, queries per request "
          f"{min(per_request)}..{max(per_request)} (mean {sum(per_request) / n:.1f})")  # fmt: skip
    print("   queries by shape (count over all requests):")
    for sql, count in queries.most_common(40):
        print(f"   {count:5d}  {sql}")
    print("   heaviest functions (cumulative):")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(r"mercato/|django/(db|contrib|middleware)", 30)
    print("   heaviest functions (own time):")
    stats.sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=21, help="orders to place, one a warm-up")
    parser.add_argument("--payment", default="sandbox")
    args = parser.parse_args()
    pool = list(fx.sellable_skus()[: fx.POOL_SKUS])
    tag = f"prof{int(time.time())}"
    customers = fx.members(tag, args.orders)
    fx.fill_carts(
        customers, [[pool[(3 * i + k) % len(pool)] for k in range(3)] for i in range(args.orders)]
    )

    def place(i: int):
        client = Client()
        client.force_login(customers[i].bench_user)
        body = {"address_id": customers[i].bench_address_id, "payment_method": args.payment,
                "idempotency_key": f"{tag}-{i:04d}"}  # fmt: skip
        return lambda: (
            client.post(
                "/api/orders", json.dumps(body), content_type="application/json"
            ).status_code
        )

    def add(i: int):
        client = Client()
        client.get("/healthz")
        body = {"sku_id": pool[i % len(pool)].pk, "quantity": 1}
        return lambda: (
            client.post(
                "/api/cart/lines", json.dumps(body), content_type="application/json"
            ).status_code
        )

    profile(
        "order placement (POST /api/orders, cart of 3 lines)",
        [place(i) for i in range(args.orders)],
    )
    profile("add to cart (POST /api/cart/lines, guest)", [add(i) for i in range(args.orders - 1)])


if __name__ == "__main__":
    main()

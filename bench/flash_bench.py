"""Flash sale (秒杀) bench: the buy endpoint under gunicorn with Redis, against the bare
Django floor (bench/minimal, one row read) measured in the same run.

    python bench/flash_bench.py [--duration 10] [--connections 16] [--buyers 2000]
        [--units 100] [--reuse-db] [--no-docs]

1. (Re)creates and seeds MERCATO_BENCH_DB (default mercato_flash_bench) as `make bench`
   does, then `prepare`s: BUYERS logged-in members (sessions in the database and in Redis)
   with an address, a SKU with stock, and a flash sale of UNITS units, one per customer,
   started a second ago; one "sessionid csrftoken flashtoken" line per buyer.
2. Starts the floor and Mercato (2 workers x 4 threads, gthread) with Redis
   (MERCATO_BENCH_REDIS, default redis://127.0.0.1:6379/14) for cache, sessions and the
   gate, and measures with wrk: the floor, the crowd on the buy endpoint (every request
   another buyer, cycling), a run on the sold-out item with PostgreSQL's transaction
   counter read before and after, the floor again.
3. `check`s the database: units sold, orders, the most units one customer holds, the
   stock reserved. Writes bench/results/flash.json and the flash-bench section of
   docs/performance.md.

The rate limits are raised for the run (every request comes from 127.0.0.1).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "bench" / "results" / "flash.json"
FLASH_LUA = ROOT / "bench" / "flash.lua"
GOAL = 0.50


def prepare(out: Path, buyers: int, units: int) -> None:
    """Inside Django (the bench database): buyers, stock, the sale; writes out/."""
    sys.path.insert(0, str(ROOT / "bench"))
    from datetime import timedelta

    import buy_fixtures as bf  # sets up Django
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from mercato.catalog.models import Product
    from mercato.inventory.models import Warehouse
    from mercato.promotions import flash

    tag = f"f{int(time.time())}"
    customers = bf.members(tag, buyers)
    rows = bf.logged_in(customers)
    sku = bf.sellable_skus().filter(list_price__gte=20).first()
    warehouse = Warehouse.objects.filter(is_active=True).order_by("pk").first()
    for w in Warehouse.objects.filter(is_active=True):
        bf.receive(sku.pk, w.pk, units * 2, "flash bench")
    now = timezone.now()
    sale = flash.create_flash_sale(
        name=f"压测秒杀 {tag}",
        starts_at=now - timedelta(seconds=1),
        ends_at=now + timedelta(hours=2),
        items=[flash.ItemSpec(sku.pk, (sku.list_price / 2).quantize(sku.list_price), units, 1)],
    )
    item = sale.items.get()
    users = get_user_model().objects.in_bulk([c.user_id for c in customers])
    lines = []
    for (key, csrf, _address), customer in zip(rows, customers, strict=True):
        token = flash.issue_token(sale=sale, user_id=users[customer.user_id].pk)
        lines.append(f"{key} {csrf} {token}\n")
    (out / "buyers.txt").write_text("".join(lines))
    fixtures = {
        "item_id": item.pk,
        "sale_id": sale.pk,
        "sku_id": sku.pk,
        "product_id": Product.objects.order_by("pk").values_list("pk", flat=True).first(),
        "warehouse": warehouse.code,
    }
    (out / "fixtures.json").write_text(json.dumps(fixtures))


def check(out: Path) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mercato.settings")
    django.setup()
    from django.db.models import Count, Max, Sum

    from mercato.inventory.models import Reservation
    from mercato.orders.models import Order
    from mercato.promotions.models import FlashOrder, FlashPurchase, FlashSaleItem

    fixtures = json.loads((out / "fixtures.json").read_text())
    item = FlashSaleItem.objects.get(pk=fixtures["item_id"])
    numbers = list(FlashOrder.objects.filter(item=item).values_list("order_number", flat=True))
    per_customer = (
        Order.objects.filter(number__in=numbers)
        .values("customer")
        .annotate(n=Count("pk"))
        .aggregate(m=Max("n"))["m"]
    )
    # The stock reserved under these orders' numbers (an earlier run may have used the SKU).
    reserved = Reservation.objects.filter(
        reference__in=numbers, sku_id=item.sku_id, status=Reservation.Status.ACTIVE
    ).aggregate(n=Sum("quantity"))["n"]
    print(
        json.dumps(
            {
                "units": item.quantity,
                "sold": item.sold,
                "orders": Order.objects.filter(number__in=numbers).count(),
                "max_orders_per_customer": per_customer or 0,
                "max_units_held": FlashPurchase.objects.filter(item=item).aggregate(m=Max("units"))[
                    "m"
                ]
                or 0,
                "stock_reserved": reserved or 0,
            }
        )
    )


def _pg_transactions(database: str) -> int:
    import psycopg

    time.sleep(1.5)  # backends report their counters at most once a second (PostgreSQL 15)
    with psycopg.connect(f"postgres://postgres@127.0.0.1:5432/{database}") as conn:
        row = conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
            [database],
        ).fetchone()
    # This connection's own transaction is counted too: subtract it.
    return int(row[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--buyers", type=int, default=2000)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--reuse-db", action="store_true", help="the database is seeded already")
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()

    os.environ.setdefault("MERCATO_BENCH_DB", "mercato_flash_bench")
    os.environ.setdefault("MERCATO_BENCH_PORT", "8130")
    os.environ.setdefault("MERCATO_BENCH_REDIS", "redis://127.0.0.1:6379/14")
    sys.path.insert(0, str(ROOT / "bench"))
    import run

    if not run.BIN.exists():  # a worktree without its own virtualenv
        run.BIN = Path(sys.executable).parent
    run.ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="mercato-flash-bench-"))
    redis = run.redis_for_bench()
    if not redis:
        raise SystemExit("the flash bench needs Redis (MERCATO_BENCH_REDIS)")
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")},
        "PYTHONPATH": str(ROOT / "src"),
        "MERCATO_VAR_DIR": str(work / "var"),
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": run.SECRET,
        "MERCATO_PAYMENT_METHODS": "cod,sandbox",
        "MERCATO_UNSAFE_ALLOW_SANDBOX": "1",
        "DATABASE_URL": f"{run.PG_SERVER}/{run.DATABASE}",
        "MERCATO_BENCH_VIEWS": "1",
        "REDIS_URL": redis,
        "CELERY_BROKER_URL": redis,
        "RATE_FLASH_PER_IP": "10000000/m",
        "RATE_FLASH_PER_ACCOUNT": "6000/m",
    }
    if args.reuse_db:
        import psycopg

        with psycopg.connect(f"{run.PG_SERVER}/postgres") as conn:
            pg_version = conn.execute("SHOW server_version").fetchone()[0]
    else:
        run.log(f"PostgreSQL: recreating {run.DATABASE}, migrating, seeding")
        pg_version = run.recreate_database()
        run.timed_seed(env)
    python = str(run.BIN / "python")
    me = str(Path(__file__).resolve())
    run.log(f"prepare: {args.buyers:,} buyers, a flash sale of {args.units} units")
    subprocess.run(
        [python, me, "prepare", str(work), str(args.buyers), str(args.units)],
        env=env,
        check=True,
        cwd=ROOT,
    )
    fixtures = json.loads((work / "fixtures.json").read_text())
    floor = run.start_gunicorn(
        run.floor_env(env),
        work / "floor.log",
        app="floor.wsgi",
        port=run.FLOOR_PORT,
        chdir=run.FLOOR_DIR,
    )
    server = run.start_gunicorn(env, work / "gunicorn.log")
    floor_url = f"{run.FLOOR_BASE}/bench/product/{fixtures['product_id']}/"
    buy_url = f"{run.BASE}/flash/item/{fixtures['item_id']}/buy/"
    buyers = str(work / "buyers.txt")
    wrk = {"connections": args.connections, "duration": args.duration}

    def floor_run() -> dict:
        run.run_wrk(floor_url, run.LUA, [], connections=args.connections, duration=args.warmup)
        return run.run_wrk(floor_url, run.LUA, [], **wrk)

    try:
        run.log("floor: one row read")
        floor_first = floor_run()
        run.log("the crowd on the flash sale")
        crowd = run.run_wrk(buy_url, FLASH_LUA, [buyers, str(run.WRK_THREADS)], **wrk)
        run.log("idle: PostgreSQL's transaction counter with no requests (autovacuum, timers)")
        idle_before = _pg_transactions(run.DATABASE)
        time.sleep(args.duration)
        idle_after = _pg_transactions(run.DATABASE)
        run.log("sold out: PostgreSQL's transaction counter around the run")
        before = _pg_transactions(run.DATABASE)
        sold_out = run.run_wrk(buy_url, FLASH_LUA, [buyers, str(run.WRK_THREADS)], **wrk)
        after = _pg_transactions(run.DATABASE)
        run.log("floor again")
        floor_last = floor_run()
    finally:
        for s in (server, floor):
            s.terminate()
            s.wait(timeout=30)
    done = subprocess.run(
        [python, me, "check", str(work)], env=env, check=True, cwd=ROOT, capture_output=True,
        text=True,
    )  # fmt: skip
    database = json.loads(done.stdout.strip().splitlines()[-1])
    floor_rps = (floor_first["rps"] + floor_last["rps"]) / 2
    result = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python bench/flash_bench.py " + " ".join(sys.argv[1:]),
        "machine": run.machine(pg_version),
        "server": {"workers": run.WORKERS, "threads": run.THREADS},
        "wrk": {**wrk, "threads": run.WRK_THREADS, "warmup": args.warmup},
        "buyers": args.buyers,
        "floor": {"rps": round(floor_rps, 1), "runs": [floor_first["rps"], floor_last["rps"]]},
        "crowd": crowd,
        "sold_out": sold_out,
        # Minus the counter's own read; the idle figure is the same window with no requests.
        "sold_out_pg_transactions": after - before - 1,
        "idle_pg_transactions": idle_after - idle_before - 1,
        "crowd_share": round(crowd["rps"] / floor_rps, 3),
        "sold_out_share": round(sold_out["rps"] / floor_rps, 3),
        "database": database,
    }
    result["oversold"] = max(0, database["sold"] - database["units"]) + max(
        0, database["orders"] - database["units"]
    )
    result["five_xx"] = crowd["status"]["5xx"] + sold_out["status"]["5xx"]
    result["met"] = bool(
        result["crowd_share"] >= GOAL
        and result["oversold"] == 0
        and result["five_xx"] == 0
        and database["sold"] == database["orders"] == database["stock_reserved"]
    )
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    if not args.no_docs:
        docs = run.DOCS.read_text()
        run.DOCS.write_text(run.replace_section(docs, "flash-bench", section(result)))
    print(json.dumps(result, indent=2, ensure_ascii=False))


def section(r: dict) -> str:
    m, d, c, s = r["machine"], r["database"], r["crowd"], r["sold_out"]
    return "\n".join(
        [
            f"Measured {r['date']} with `{r['command']}` on {m['nproc']} CPUs ({m['cpu']}), "
            f"PostgreSQL {m['postgresql']}, {m['wrk']}; gunicorn {r['server']['workers']} "
            f"workers x {r['server']['threads']} threads with Redis; wrk "
            f"-t{r['wrk']['threads']} -c{r['wrk']['connections']} -d{r['wrk']['duration']}s, "
            f"{r['buyers']:,} logged-in buyers in turn, each with the page's token.",
            "",
            "| run | requests/s | p50 ms | p99 ms | answers | share of the floor |",
            "|---|---:|---:|---:|---|---:|",
            f"| bare Django floor (one row read) | {r['floor']['rps']:,.0f} | | | | 1.00 |",
            f"| flash buy: the crowd ({d['units']} units) | {c['rps']:,.0f} | {c['p50_ms']:.1f} "
            f"| {c['p99_ms']:.1f} | {c['status']} | **{r['crowd_share']:.2f}** |",
            f"| flash buy: sold out | {s['rps']:,.0f} | {s['p50_ms']:.1f} | {s['p99_ms']:.1f} "
            f"| {s['status']} | {r['sold_out_share']:.2f} |",
            "",
            f"- Sold {d['sold']} of {d['units']} units in {d['orders']} orders; at most "
            f"{d['max_units_held']} unit(s) per customer; stock reserved {d['stock_reserved']}. "
            f"Oversold: **{r['oversold']}**; 5xx: **{r['five_xx']}**.",
            f"- PostgreSQL transactions during the {s['requests']:,} sold-out requests: "
            f"**{r['sold_out_pg_transactions']}**, and {r['idle_pg_transactions']} in as long "
            "with no request at all (pg_stat_database, before and after: autovacuum and the "
            "workers' timers count there too).",
            f"- Goal (at least {GOAL:.0%} of the floor, zero oversell, zero 5xx): "
            f"{'met' if r['met'] else 'NOT MET'}.",
        ]
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "prepare":
        prepare(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "check":
        check(Path(sys.argv[2]))
    else:
        main()

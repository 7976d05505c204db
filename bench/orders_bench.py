"""Order processing's figures (issue 13) on PostgreSQL, written to docs/performance.md:

1. paid orders through the automatic review, allocation and wave creation, end to end
   (orders/s, batch size 1000), with the review queue checked (exactly the orders made
   to be held are held);
2. the order console's search over 1,000,000 orders (each query's time and plan: an index
   scan, no sequential scan of the orders);
3. the delivery-audit scorecard over 1,000,000 tracking events (250,000 parcels);
4. signed tracking webhook requests per second (Django's test client in one process: the
   verification, nonce, parse, apply and commit, without a network or a web server).

    MERCATO_BENCH_DB=mercato_orders_bench .venv/bin/python bench/orders_bench.py \
        [--review 100000] [--orders 1000000] [--events 1000000] [--webhooks 2000]

The database is dropped and created again. The first orders come through the real
placement (checkout, payment, reservations); the rest are copied from them in SQL with
new numbers, phones, names, streets and dates (INSERT ... SELECT generate_series), which
is how a million rows are made in minutes rather than hours. Copies of a paid order keep
its lines and stock reservations, so the review and allocation read what production's do.
"""

import argparse
import cProfile
import json
import logging
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchdb import PG_SERVER, recreate_database, setup_django, write_section

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "orders-latest.json"
DATABASE = os.environ.get("MERCATO_BENCH_DB", "mercato_orders_bench")
BATCH = 1000
PROFILE = os.environ.get("MERCATO_BENCH_PROFILE", "")  # cProfile the pipeline into this file
HELD_EVERY = 50  # every 50th copied order has a placeholder name: the review holds it


def columns(cursor, table: str) -> list[str]:
    cursor.execute(
        # Generated columns (service_ticket.subject_spaced) are written by PostgreSQL.
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "AND is_generated = 'NEVER' ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def copy_rows(cursor, table: str, where: str, n: int, overrides: dict[str, str]) -> None:
    """INSERT n copies of the rows of `table` matching `where` (alias t), with the series
    number g, each column taken from the row unless overridden by an SQL expression."""
    cols = columns(cursor, table)
    exprs = [overrides.get(c, f't."{c}"') for c in cols]
    names = ", ".join(f'"{c}"' for c in cols)
    cursor.execute(
        f'INSERT INTO "{table}" ({names}) SELECT {", ".join(exprs)} '  # noqa: S608 - ours
        f'FROM "{table}" t, generate_series(1, {n}) g WHERE {where}'
    )


def reset_sequence(cursor, table: str) -> None:
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - ours
        f'(SELECT max(id) FROM "{table}"))'
    )


def make_templates():
    """A shop (warehouses with bins, carriers, SKUs with stock) and two paid orders to
    copy from, placed through checkout: one prepaid, one cash on delivery."""
    import dataclasses

    from mercato.testing.fulfillment import (
        ADDRESS,
        carriers,
        make_customer,
        make_shop,
        make_sku,
        place,
        stock,
    )

    warehouses = make_shop()
    carriers()
    skus = [make_sku(price="59.00"), make_sku(price="19.90")]
    for n, sku in enumerate(skus):
        stock(sku, warehouses["四川省"], 1000, f"A-{n + 1:02d}")
    customer = make_customer()
    address = dataclasses.replace(ADDRESS, mobile=customer.mobile)
    prepaid = place(customer, (skus[0], 1), (skus[1], 2), address=address)
    cod = place(make_customer(), (skus[0], 1), method="cod", address=address)
    return prepaid, cod


NAMES = "ARRAY['王芳','李伟','张敏','刘洋','陈静','杨磊','赵丽','黄强','周杰','吴娟','徐涛','孙燕']"
PROVINCES = (
    "ARRAY['四川省','上海市','广东省','北京市','浙江省','江苏省','湖北省','山东省','河南省',"
    "'陕西省','福建省','湖南省']"
)
STATUSES = (
    "ARRAY['delivered','delivered','delivered','completed','shipped','cancelled',"
    "'closed','pending_payment','allocated','picking']"
)


def copy_orders(cursor, template, n: int, *, first: int, prefix: str, status_sql: str, spread):
    """n copies of `template` (an Order) with their lines and reservations."""

    base = first
    # Real-looking numbers (date, dash, running number), as the console's search reads them.
    number = f"'{prefix}-' || lpad((g + {base})::text, 9, '0')"
    name = f"CASE WHEN g % {HELD_EVERY} = 0 THEN '收货人' ELSE ({NAMES})[1 + g % 12] END"
    copy_rows(cursor, "orders_order", f"t.id = {template.pk}", n, {
        "id": f"{base} + g",
        "number": number,
        "status": status_sql,
        "recipient": name,
        "mobile": f"'139' || lpad(((g + {base}) % 100000000)::text, 8, '0')",
        "detail": "'人民南路四段' || g || '号'",
        "province": "t.province" if spread is None else f"({PROVINCES})[1 + g % 12]",
        "placed_at": "t.placed_at" if spread is None
        else f"now() - (g % {spread}) * interval '1 second'",
        "idempotency_key": "''",
        "client_ip": "NULL",
    })  # fmt: skip
    if spread is None:  # orders for the review: their lines and reservations too
        line_count = cursor.execute(
            "SELECT count(*) FROM orders_orderline WHERE order_id = %s", [template.pk]
        )
        line_count = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(max(id), 0) FROM orders_orderline")
        line_base = cursor.fetchone()[0]
        copy_rows(cursor, "orders_orderline", f"t.order_id = {template.pk}", n, {
            "id": f"{line_base} + (g - 1) * {line_count} + "
                  f"(row_number() OVER (PARTITION BY g ORDER BY t.id))",
            "order_id": f"{base} + g",
        })  # fmt: skip
        cursor.execute("SELECT coalesce(max(id), 0) FROM inventory_reservation")
        res_base = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM inventory_reservation WHERE reference = %s", [template.number]
        )
        res_count = cursor.fetchone()[0]
        copy_rows(cursor, "inventory_reservation", f"t.reference = '{template.number}'", n, {
            "id": f"{res_base} + (g - 1) * {res_count} + "
                  f"(row_number() OVER (PARTITION BY g ORDER BY t.id))",
            "reference": number,
        })  # fmt: skip
        reset_sequence(cursor, "orders_orderline")
        reset_sequence(cursor, "inventory_reservation")
    reset_sequence(cursor, "orders_order")


def backend_cpu_seconds(connection) -> float:
    """CPU seconds (user + system) of this connection's PostgreSQL backend so far, from
    /proc (the server runs on this machine); 0 where /proc cannot be read."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pipeline_worker(results) -> None:
    """One worker process: the review job's batch and the allocation job's batch in turn
    until neither finds work, then the wave job's batches (5,000 parcels each, as the
    back office's background wave job takes them) until none is left, as a Celery worker
    does with these jobs on the beat schedule (rows are claimed with SKIP LOCKED, so
    workers never take the same order or parcel). Puts its counts, when its review and
    allocation ended and its CPU seconds (its own and its PostgreSQL backend's) on
    `results`."""
    from django.db import connection

    from mercato.fulfillment.allocation import allocate_approved_orders
    from mercato.fulfillment.review.services import review_paid_orders
    from mercato.fulfillment.waves import create_waves

    profile = cProfile.Profile() if PROFILE else None
    if profile:
        profile.enable()
    pg_started, cpu_started = backend_cpu_seconds(connection), time.process_time()
    reviewed = allocated = 0
    while True:
        review = review_paid_orders(batch_size=BATCH)
        allocation = allocate_approved_orders(batch_size=BATCH)
        reviewed += review.total
        allocated += allocation.orders
        if not (review.total or allocation.orders or allocation.held):
            break
    allocated_at = time.time()
    while create_waves(actor=None, max_parcels=5000, limit=5000).waves:
        pass
    if profile:
        profile.disable()
        profile.dump_stats(f"{PROFILE}.{os.getpid()}")
    results.put({
        "reviewed": reviewed, "allocated": allocated, "allocated_at": allocated_at,
        "python": time.process_time() - cpu_started,
        "postgres": backend_cpu_seconds(connection) - pg_started,
    })  # fmt: skip
    connection.close()


def bench_pipeline(n: int, templates, workers: int) -> dict:
    """n paid orders through review, allocation and waves (the scheduled jobs' steps):
    `workers` processes take the review and allocation batches, then the wave job runs."""
    import multiprocessing

    from django.db import connection, connections, transaction

    from mercato.fulfillment.models import Shipment, Wave
    from mercato.fulfillment.waves import create_waves
    from mercato.orders.models import Order

    prepaid, cod = templates
    with connection.cursor() as cursor, transaction.atomic():
        cursor.execute("SELECT max(id) FROM orders_order")
        first = cursor.fetchone()[0] + 1000
        half = n // 2
        copy_orders(cursor, prepaid, half, first=first, prefix="20250101", status_sql="'paid'",
                    spread=None)  # fmt: skip
        copy_orders(cursor, cod, n - half, first=first + half, prefix="20250102",
                    status_sql="'cod_confirmed'", spread=None)  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    expected_held = sum(1 for g in range(1, half + 1) if g % HELD_EVERY == 0) + sum(
        1 for g in range(1, n - half + 1) if g % HELD_EVERY == 0
    )
    # Forked workers must not share the parent's database connection.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    started, started_at = time.perf_counter(), time.time()
    processes = [context.Process(target=_pipeline_worker, args=(results,)) for _ in range(workers)]
    for process in processes:
        process.start()
    done = [results.get() for _ in processes]
    for process in processes:
        process.join()
    ended = time.perf_counter()
    allocated_after = max(d["allocated_at"] for d in done) - started_at
    pg_started, cpu_started = backend_cpu_seconds(connection), time.process_time()
    # Nothing may be left for another wave: the workers took every parcel.
    left = create_waves(actor=None, max_parcels=5000).parcels
    python_cpu = time.process_time() - cpu_started + sum(d["python"] for d in done)
    pg_cpu = backend_cpu_seconds(connection) - pg_started + sum(d["postgres"] for d in done)
    reviewed = sum(d["reviewed"] for d in done)
    held = Order.objects.filter(status="under_review").count()
    held_names = set(
        Order.objects.filter(status="under_review").values_list("recipient", flat=True)
    )
    in_waves = Shipment.objects.filter(wave__isnull=False).count()
    total = ended - started
    return {
        "orders": n + 2, "batch_size": BATCH, "workers": workers, "reviewed": reviewed,
        "held": held, "held_expected": expected_held + 0, "held_names": sorted(held_names),
        "allocated": sum(d["allocated"] for d in done), "parcels_in_waves": in_waves,
        "waves_made": Wave.objects.count(), "parcels_left_for_waves": left,
        "seconds": {"review_and_allocation": round(allocated_after, 2),
                    "waves": round(total - allocated_after, 2), "total": round(total, 2)},
        "orders_per_second": round(reviewed / total, 1),
        # Load-independent: CPU seconds of these processes and of their PostgreSQL backends.
        "cpu_seconds": {"python": round(python_cpu, 2), "postgres": round(pg_cpu, 2)},
        "orders_per_cpu_second": round(reviewed / (python_cpu + pg_cpu), 1),
    }  # fmt: skip


def bench_console(n: int, templates) -> dict:
    """n orders in every status over a year; each console search timed (median of 7) and
    its plan checked for a sequential scan of the orders."""
    from django.core.exceptions import EmptyResultSet
    from django.db import connection, transaction

    from mercato.fulfillment.console import CappedPaginator, console_orders
    from mercato.orders.models import Order

    prepaid, _cod = templates
    with connection.cursor() as cursor, transaction.atomic():
        cursor.execute("SELECT max(id) FROM orders_order")
        first = cursor.fetchone()[0] + 1000
        step = 200_000
        for start in range(0, n, step):
            copy_orders(
                cursor, prepaid, min(step, n - start), first=first + start, prefix="20240101",
                status_sql=f"({STATUSES})[1 + g % 10]", spread=365 * 86400,
            )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE orders_order")
    some = Order.objects.filter(number__startswith="20240101-").order_by("pk")[n // 2]
    today = datetime.now().date()
    queries = {
        "order number": {"q": some.number},
        "mobile": {"q": some.mobile},
        "recipient": {"q": "王芳"},
        "status": {"status": "shipped"},
        "status + date range": {
            "status": "delivered",
            "placed_from": str(today.replace(day=1)),
            "placed_to": str(today),
        },
        "payment method": {"payment_method": "cod"},
        "no filter (newest first)": {},
    }
    results = {}
    for label, data in queries.items():
        timings, plan = [], ""
        for _run in range(7):
            began = time.perf_counter()
            flt = console_orders(data)
            page = CappedPaginator(flt.qs, 50).get_page(1)
            rows = list(page.object_list)
            _count = page.paginator.count
            timings.append((time.perf_counter() - began) * 1000)
        try:
            sql, params = flt.qs[:50].query.sql_with_params()
        except EmptyResultSet:
            sql = None
        if sql:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN " + sql, params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
        results[label] = {
            "ms_median": round(statistics.median(timings), 1),
            "ms_max": round(max(timings), 1),
            "rows": len(rows),
            "seq_scan_on_orders": bool(re.search(r"Seq Scan on orders_order", plan)),
        }
    return {"orders": Order.objects.count(), "queries": results}


def bench_scorecard(events: int) -> dict:
    """events/4 parcels of the five carriers over 90 days with four tracking events each;
    the scorecard per carrier and province, and per carrier and week, timed (median of 5)."""
    from datetime import timedelta

    from django.db import connection, transaction
    from django.utils import timezone

    from mercato.fulfillment import audit

    parcels = events // 4
    with connection.cursor() as cursor, transaction.atomic():
        cursor.execute(
            "SELECT id FROM orders_order WHERE number LIKE '20240101-%%' ORDER BY id LIMIT 1"
        )
        order_id = cursor.fetchone()[0]
        cursor.execute("SELECT id FROM fulfillment_carrier ORDER BY id")
        carriers = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT id FROM inventory_warehouse ORDER BY id LIMIT 1")
        warehouse = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(max(id), 0) FROM fulfillment_shipment")
        base = cursor.fetchone()[0]
        carrier_array = "ARRAY[" + ",".join(map(str, carriers)) + "]"
        cursor.execute(
            f"""
            INSERT INTO fulfillment_shipment (id, number, order_id, kind, reference,
                warehouse_id, province, status, carrier_id, carrier_fee, promised_days,
                promised_by, waybill_no, cod_amount, weight_g, created_at, shipped_at,
                delivered_at, last_event_at, damaged, exception_note)
            SELECT {base} + g, 'S' || g, {order_id} + (g % 1000), 'order', 'S' || g,
                {warehouse}, ({PROVINCES})[1 + g % 12],
                CASE WHEN g % 97 = 0 THEN 'lost' WHEN g % 41 = 0 THEN 'refused'
                     ELSE 'delivered' END,
                ({carrier_array})[1 + g % {len(carriers)}], 10, 3,
                (now() - (g % 90) * interval '1 day')::date + 3, 'WB' || lpad(g::text, 12, '0'),
                0, 800, now() - (g % 90) * interval '1 day',
                now() - (g % 90) * interval '1 day',
                CASE WHEN g % 97 = 0 OR g % 41 = 0 THEN NULL
                     ELSE now() - (g % 90) * interval '1 day' + (1 + g % 5) * interval '1 day'
                END,
                now(), g % 53 = 0, ''
            FROM generate_series(1, {parcels}) g
            """  # noqa: S608 - ours
        )
        cursor.execute(
            f"""
            INSERT INTO fulfillment_trackingevent (shipment_id, carrier_id, event_id, code,
                occurred_at, location, description, source, applied, received_at)
            SELECT s.id, s.carrier_id, s.waybill_no || '-' || k,
                (ARRAY['picked_up','in_transit','out_for_delivery','delivered'])[k],
                s.shipped_at + k * interval '1 day', '', '', 'webhook', true, now()
            FROM fulfillment_shipment s, generate_series(1, 4) k
            WHERE s.id > {base}
            """  # noqa: S608 - ours
        )
        reset_sequence(cursor, "fulfillment_shipment")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE fulfillment_shipment")
        cursor.execute("VACUUM ANALYZE fulfillment_trackingevent")
        cursor.execute("SELECT count(*) FROM fulfillment_trackingevent")
        stored_events = cursor.fetchone()[0]
    today = timezone.localdate()
    since = today - timedelta(days=89)
    out = {"parcels": parcels, "tracking_events": stored_events}
    for label, kwargs in (
        ("per carrier and province", {}),
        ("per carrier and week", {"by_province": False, "by_week": True}),
    ):
        timings = []
        for _run in range(5):
            began = time.perf_counter()
            scores = audit.scorecard(since=since, until=today, **kwargs)
            timings.append(time.perf_counter() - began)
        out[label] = {"seconds_median": round(statistics.median(timings), 3),
                      "seconds_max": round(max(timings), 3), "rows": len(scores)}  # fmt: skip
    return out


def bench_webhook(requests: int) -> dict:
    """Signed webhook requests, each one event for one shipped parcel, through Django's
    test client (one process, one thread)."""
    import secrets

    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from mercato.fulfillment import tracking
    from mercato.fulfillment.models import Carrier

    carrier = Carrier.objects.order_by("pk").first()
    if not carrier.webhook_secret:
        Carrier.objects.filter(pk=carrier.pk).update(webhook_secret=secrets.token_hex(32))
        carrier.refresh_from_db()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE fulfillment_shipment SET status = 'shipped', delivered_at = NULL, "
            "last_event_at = NULL WHERE id IN (SELECT id FROM fulfillment_shipment WHERE "
            "carrier_id = %s AND waybill_no LIKE 'WB%%' ORDER BY id LIMIT %s) "
            "RETURNING waybill_no",
            [carrier.pk, requests],
        )
        waybills = [row[0] for row in cursor.fetchall()]
    client = Client()
    url = f"/api/carriers/{carrier.code}/tracking"
    bodies = []
    for i, waybill in enumerate(waybills):
        body = json.dumps({"events": [{
            "event_id": f"bench-{i}", "waybill_no": waybill, "code": "in_transit",
            "occurred_at": timezone.now().isoformat(), "location": "中转场",
        }]}).encode()  # fmt: skip
        bodies.append(body)
    statuses = []
    began = time.perf_counter()
    for body in bodies:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        signature = tracking.sign(carrier.webhook_secret, timestamp=timestamp, nonce=nonce,
                                  body=body)  # fmt: skip
        response = client.post(
            url, body, content_type="application/json",
            headers={"X-Mercato-Timestamp": timestamp, "X-Mercato-Nonce": nonce,
                     "X-Mercato-Signature": signature},
        )  # fmt: skip
        statuses.append(response.status_code)
    elapsed = time.perf_counter() - began
    return {
        "requests": len(bodies),
        "ok": statuses.count(200),
        "other_statuses": sorted(set(statuses) - {200}),
        "requests_per_second": round(len(bodies) / elapsed, 1),
    }


def machine() -> str:
    cpus = os.cpu_count()
    load = os.getloadavg()
    pg = subprocess.run(
        ["psql", f"{PG_SERVER}/postgres", "-Atc", "SHOW server_version"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    return (
        f"{cpus} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} when the "
        f"run ended (a machine shared with other work); PostgreSQL {pg}; "
        f"Python {platform.python_version()}"
    )


def write_docs(result: dict, command: str) -> None:
    p, c, s, w = (result.get(k) for k in ("pipeline", "console", "scorecard", "webhook"))
    lines = [f"Run {result['at']} with `{command}`.", "", f"- Machine: {result['machine']}", ""]
    if p:
        verdict = "correct" if p["held"] == p["held_expected"] else "WRONG"
        lines += [
            f"**Review → allocation → waves**: {p['reviewed']:,} paid and COD orders in "
            f"{p['seconds']['total']} s = **{p['orders_per_second']:,} orders/s** end to end "
            f"(batches of {p['batch_size']} orders for review and allocation and of 5,000 "
            f"parcels for waves, taken by {p['workers']} worker processes; the last review "
            f"and allocation batch ended after {p['seconds']['review_and_allocation']} s; CPU "
            f"{p['cpu_seconds']['python']} s Python + {p['cpu_seconds']['postgres']} s "
            f"PostgreSQL backend = {p['orders_per_cpu_second']:,} orders per CPU second, "
            "the figure a loaded machine changes least). Review queue: "
            f"{p['held']:,} held, {p['held_expected']:,} made to be held (placeholder name "
            f"every {HELD_EVERY}th order) — {verdict}"
            f"; {p['allocated']:,} allocated, {p['parcels_in_waves']:,} parcels in "
            f"{p['waves_made']} waves.",
            "",
        ]
    if c:
        lines += [
            f"**Order console search** over {c['orders']:,} orders (first page of 50 and the "
            "capped count, median of 7 runs):",
            "",
            "| search | median ms | max ms | rows | sequential scan of orders |",
            "|---|---:|---:|---:|---|",
        ]
        for label, q in c["queries"].items():
            lines.append(
                f"| {label} | {q['ms_median']} | {q['ms_max']} | {q['rows']} | "
                f"{'yes' if q['seq_scan_on_orders'] else 'no'} |"
            )
        lines.append("")
    if s:
        lines += [
            f"**Delivery-audit scorecard** over {s['tracking_events']:,} tracking events "
            f"({s['parcels']:,} parcels, 90 days): per carrier and province "
            f"{s['per carrier and province']['seconds_median']} s "
            f"({s['per carrier and province']['rows']} rows), per carrier and week "
            f"{s['per carrier and week']['seconds_median']} s (median of 5).",
            "",
        ]
    if w:
        lines += [
            f"**Tracking webhook**: {w['requests']:,} signed requests (one event each) in one "
            f"process through Django's test client: **{w['requests_per_second']} requests/s** "
            f"({w['ok']:,} answered 200).",
            "",
        ]
    lines.append("Raw figures: `bench/results/orders-latest.json`.")
    write_section("orders-bench", "Order processing (issue 13)", "\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--review", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--webhooks", type=int, default=2000)
    parser.add_argument("--no-docs", action="store_true")
    # Worker processes taking the review and allocation batches: one per core, as a
    # deployment runs its Celery workers (docs/operator.md).
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    recreate_database(DATABASE)
    setup_django(
        DATABASE,
        without=("REDIS_URL",),
        defaults={"MERCATO_PAYMENT_METHODS": "cod,sandbox", "MERCATO_UNSAFE_ALLOW_SANDBOX": "1"},
    )
    logging.disable(logging.INFO)
    from django.db import transaction

    with transaction.atomic():
        templates = make_templates()
    result = {"at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
    if args.review:
        result["pipeline"] = bench_pipeline(args.review, templates, args.workers)
        print(json.dumps(result["pipeline"], ensure_ascii=False), flush=True)
    if args.orders:
        result["console"] = bench_console(args.orders, templates)
        print(json.dumps(result["console"], ensure_ascii=False), flush=True)
    if args.events and args.orders:
        result["scorecard"] = bench_scorecard(args.events)
        print(json.dumps(result["scorecard"], ensure_ascii=False), flush=True)
    if args.webhooks and args.events and args.orders:
        result["webhook"] = bench_webhook(args.webhooks)
        print(json.dumps(result["webhook"], ensure_ascii=False), flush=True)
    result["machine"] = machine()
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    if not args.no_docs:
        write_docs(result, "python bench/orders_bench.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()

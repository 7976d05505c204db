"""Stock control's figures (issue 14 part 6) on PostgreSQL, written to docs/performance.md:

1. ledger reconciliation (`inventory.selectors.stock_disagreements`, what
   `mercato check_data` and the back office's reconciliation report run) over 1,000,000
   ledger rows of 48,000 stock rows, three of them planted to disagree;
2. the stock workspace's list (/backoffice/stock/) over 8,000 SKUs × 6 warehouses,
   filtered and paginated: the whole back-office page (filter, count, page of 50, on
   order, in transit, cover, template) through Django's test client.

    MERCATO_BENCH_DB=mercato_bench_proc_ops .venv/bin/python bench/stock_bench.py \
        [--skus 8000] [--movements 1000000] [--no-docs]

The database is dropped and created again. Warehouses, zones and bins come through the
services; products, SKUs, stock rows and ledger rows are written with COPY
(catalog.bulk.insert_objects): each stock row's ledger starts with a receipt and goes on
with shipments, adjustments and returns (a fifth of them in the last 30 days), and adds up
to the row's on hand.
"""

import argparse
import os
import random
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchdb import recreate_database, save_results, setup_django, timed, write_section
from orders_bench import machine

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "stock-latest.json"
RUNS = 7
WAREHOUSES = ["上海市", "广东省", "北京市", "四川省", "湖北省", "陕西省"]
BINS = 1500  # per warehouse
CHUNK = 50_000


CPU: list[float] = []  # this process's CPU ms of each call of the last timed(..., cpu=CPU)


def copy_movements(rows: list[dict]) -> None:
    """COPY ledger rows with their own created_at (insert_objects stamps auto_now_add
    fields with the time of the insert)."""
    from django.db import connection
    from psycopg import sql

    from mercato.inventory.models import StockMovement

    fields = [f for f in StockMovement._meta.concrete_fields if f.name != "id"]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(StockMovement._meta.db_table),
        sql.SQL(", ").join(sql.Identifier(f.column) for f in fields),
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row.get(f.attname) for f in fields])


def seed(skus: int, movements: int) -> dict:
    from decimal import Decimal

    from django.db import connection, transaction
    from django.utils import timezone
    from tqdm import tqdm

    from mercato.catalog.bulk import insert_objects
    from mercato.catalog.models import Product, Sku
    from mercato.inventory.locations import define_bins
    from mercato.inventory.models import Bin, Stock, StockMovement
    from mercato.inventory.services import create_warehouse
    from mercato.testing.factories import make_category

    rng = random.Random(1)
    now = timezone.now()
    with transaction.atomic():
        warehouses = []
        for i, province in enumerate(WAREHOUSES, start=1):
            wh = create_warehouse(
                actor=None, code=f"B{i}", name=f"{province[:2]}仓", provinces=[province],
                province=province, city="某市", district="某区", address="物流园1号",
                priority=i * 10,
            )  # fmt: skip
            define_bins(actor=None, warehouse_id=wh.pk,
                        bins=[(f"Z{n % 5}", f"Z{n % 5}-{n:05d}") for n in range(BINS)])  # fmt: skip
            warehouses.append(wh)
        categories = [make_category(name=f"品类{i}", slug=f"bench-{i}") for i in range(12)]
        per_product = 4
        insert_objects(Product, [
            {"code": f"BP{n:06d}", "name": f"基准商品 {n}", "slug": f"bp-{n}",
             "category_id": categories[n % len(categories)].pk, "status": "on_sale",
             "created_at": now, "updated_at": now}
            for n in range(skus // per_product)
        ])  # fmt: skip
        product_ids = list(Product.objects.order_by("pk").values_list("pk", flat=True))
        insert_objects(Sku, [
            {"product_id": product_ids[n // per_product], "code": f"BS{n:06d}",
             "spec_key": str(n % per_product), "list_price": Decimal(rng.randint(10, 900)),
             "cost_price": Decimal(rng.randint(5, 500)), "created_at": now, "updated_at": now}
            for n in range(skus)
        ])  # fmt: skip
        sku_ids = list(Sku.objects.order_by("pk").values_list("pk", flat=True))
        bins = {
            wh.pk: list(Bin.objects.filter(warehouse=wh).values_list("pk", flat=True))
            for wh in warehouses
        }
        # Each row's ledger: a receipt, then shipments (-1..-5), returns and adjustments.
        per_row = movements // (len(sku_ids) * len(warehouses))
        extra = movements - per_row * len(sku_ids) * len(warehouses)
        stocks, n = [], 0
        for sku_id in sku_ids:
            for wh in warehouses:
                stocks.append({"sku_id": sku_id, "warehouse_id": wh.pk, "on_hand": 0,
                               "reserved": 0, "bin_id": bins[wh.pk][n % BINS],
                               "updated_at": now})  # fmt: skip
                n += 1
        insert_objects(Stock, stocks)
        rows = list(Stock.objects.order_by("pk").values_list("pk", flat=True))
        on_hand = {}
        batch, written = [], 0
        bar = tqdm(total=movements, desc="ledger rows", unit="row", file=sys.stderr)
        for i, stock_id in enumerate(rows):
            count = per_row + (1 if i < extra else 0)
            balance = 0
            for k in range(count):
                if k == 0:
                    delta, reason = rng.randint(200, 400), "receipt"
                else:
                    roll = rng.random()
                    if roll < 0.85 and balance > 5:
                        delta, reason = -rng.randint(1, 5), "shipment"
                    elif roll < 0.92:
                        delta, reason = rng.randint(1, 3), "return"
                    else:
                        delta, reason = rng.randint(20, 60), "receipt"
                at = now - timedelta(days=120 * (count - k) / count, minutes=rng.randint(0, 600))
                batch.append({"stock_id": stock_id, "reason": reason, "on_hand_delta": delta,
                              "reserved_delta": 0, "on_hand_before": balance,
                              "on_hand_after": balance + delta, "reserved_before": 0,
                              "reserved_after": 0, "reference": "", "note": "",
                              "created_at": at})  # fmt: skip
                balance += delta
            if i % 97 == 0 and balance > 3:  # low stock: a last shipment leaves 3 units
                batch.append({**batch[-1], "reason": "shipment", "on_hand_delta": 3 - balance,
                              "on_hand_before": balance, "on_hand_after": 3})  # fmt: skip
                balance = 3
            on_hand[stock_id] = balance
            if len(batch) >= CHUNK:
                copy_movements(batch)
                written += len(batch)
                bar.update(len(batch))
                batch = []
        copy_movements(batch)
        bar.update(len(batch))
        bar.close()
        # Stock rows hold what their ledgers add up to, but for three planted ones.
        planted = rows[1], rows[len(rows) // 2], rows[-1]
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE bench_on_hand (id bigint, n int)")
            with cursor.cursor.copy("COPY bench_on_hand (id, n) FROM STDIN") as copy:
                for stock_id, n in on_hand.items():
                    copy.write_row((stock_id, n + (7 if stock_id in planted else 0)))
            cursor.execute(
                "UPDATE inventory_stock s SET on_hand = b.n FROM bench_on_hand b WHERE s.id = b.id"
            )
    with connection.cursor() as cursor:
        for table in ("inventory_stock", "inventory_stockmovement", "catalog_sku",
                      "catalog_product"):  # fmt: skip
            cursor.execute(f"VACUUM ANALYZE {table}")
    return {"skus": len(sku_ids), "warehouses": len(warehouses), "stock_rows": len(rows),
            "movements": StockMovement.objects.count(), "planted": list(planted),
            "first_warehouse": warehouses[2].pk}  # fmt: skip


def bench_reconcile(seeded: dict) -> dict:
    from mercato.inventory.selectors import stock_disagreements

    median, worst, problems = timed(lambda: stock_disagreements(limit=200), runs=RUNS)
    assert len(problems) == 3, problems
    return {"ms_median": median, "ms_max": worst, "found": len(problems)}


def bench_list(seeded: dict) -> dict:
    from django.test import Client
    from django.urls import reverse

    from mercato.core.models import User
    from mercato.staff import services as staff_services

    clerk = User.objects.filter(username="bench-stock").first() or staff_services.create_staff(
        actor=None, username="bench-stock", password="pass-1234-word",
        department_code="procurement", employee_no="EBENCH0002", display_name="bench-stock",
    ).user  # fmt: skip
    client = Client()
    client.force_login(clerk)
    url = reverse("backoffice:stock_list")
    wh = seeded["first_warehouse"]
    filters = {
        "no filter, page 1": {},
        "no filter, page 200": {"page": "200"},
        "warehouse": {"warehouse": wh},
        "warehouse, page 50": {"warehouse": wh, "page": "50"},
        "SKU code prefix": {"q": "BS0042"},
        "product name words": {"q": "基准商品 77"},
        "low stock": {"low": "on"},
        "warehouse + low stock": {"warehouse": wh, "low": "on"},
        "overstock": {"over": "on"},
        "warehouse + overstock": {"warehouse": wh, "over": "on"},
    }
    results = {}
    for label, query in filters.items():

        def page(query=query):
            response = client.get(url, query)
            assert response.status_code == 200, response.status_code
            found = re.search(r'id="stock-count">(\d+)', response.content.decode())
            return int(found.group(1))

        median, worst, count = timed(page, runs=RUNS, cpu=CPU)
        results[label] = {"ms_median": median, "ms_max": worst, "count": count,
                          "cpu_ms_median": round(statistics.median(CPU), 2)}  # fmt: skip
    return results


def write_docs(result: dict, command: str) -> None:
    r, lst = result["reconcile"], result["list"]
    lines = [
        f"Run {result['at']} with `{command}`.", "", f"- Machine: {result['machine']}", "",
        f"**Ledger reconciliation** (`inventory.selectors.stock_disagreements`, what "
        f"`mercato check_data` and /backoffice/stock/reconcile/ run) over "
        f"{result['movements']:,} ledger rows of {result['stock_rows']:,} stock rows, three "
        f"planted to disagree: median {r['ms_median']} ms, max {r['ms_max']} ms of {RUNS} runs "
        f"(found {r['found']}).", "",
        f"**Nightly roll of the kept shipments** (`inventory.services.roll_recent_shipped`, "
        f"every stock row's units shipped in the 30-day window, which the overstock filter "
        f"trusts): {result['roll_ms']} ms for {result['stock_rows']:,} rows.", "",
        f"**Stock workspace list** (/backoffice/stock/, the whole page through the test "
        f"client: filter, count, a page of 50 with on order, in transit and cover, template) "
        f"over {result['skus']:,} SKUs × {result['warehouses']} warehouses, median of {RUNS}:",
        "", "| filter | median ms | max ms | Django CPU ms (median) | rows matching |",
        "|---|---:|---:|---:|---:|",
    ]  # fmt: skip
    for label, q in lst.items():
        lines.append(
            f"| {label} | {q['ms_median']} | {q['ms_max']} | {q['cpu_ms_median']} | "
            f"{q['count']:,} |"
        )
    lines += ["", "Raw figures: `bench/results/stock-latest.json`."]
    write_section("stock-bench", "Stock control (issue 14, part 6)", "\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skus", type=int, default=8000)
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database")
    args = parser.parse_args()
    name = os.environ.get("MERCATO_BENCH_DB", "mercato_bench_proc_ops")
    if not args.reuse:
        recreate_database(name)
    setup_django(name, without=("REDIS_URL", "CELERY_BROKER_URL"))
    began = time.perf_counter()
    if args.reuse:
        from mercato.inventory.models import Stock, StockMovement, Warehouse

        whs = list(Warehouse.objects.order_by("priority").values_list("pk", flat=True))
        seeded = {"skus": args.skus, "warehouses": len(whs), "first_warehouse": whs[2],
                  "stock_rows": Stock.objects.count(),
                  "movements": StockMovement.objects.count()}  # fmt: skip
    else:
        seeded = seed(args.skus, args.movements)
    print(f"seeded in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    # What the nightly job does (inventory.tasks): the kept shipments the overstock filter
    # trusts; COPY wrote the ledger without them.
    from mercato.inventory.services import roll_recent_shipped

    began = time.perf_counter()
    roll_recent_shipped()
    seeded["roll_ms"] = round((time.perf_counter() - began) * 1000)
    result = {
        **{k: v for k, v in seeded.items() if k != "planted"},
        "at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "reconcile": bench_reconcile(seeded),
        "list": bench_list(seeded),
    }
    result["machine"] = machine()
    save_results(RESULTS, result)
    if not args.no_docs:
        command = "MERCATO_BENCH_DB=mercato_bench_proc_ops .venv/bin/python bench/stock_bench.py"
        write_docs(result, command)


if __name__ == "__main__":
    main()

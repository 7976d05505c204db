"""Purchase suggestions (issue 14 part 2) for 8,000 SKUs × 6 warehouses with a year of
daily sales history, on PostgreSQL, written to docs/performance.md:

    .venv/bin/python bench/suggestions_bench.py [--skus 8000] [--reuse] [--no-docs]

The database (MERCATO_BENCH_DB, default mercato_bench_suggestions) is made afresh unless
--reuse finds it filled: 6 warehouses each serving its own province, SKUs in 3 suppliers'
price lists (MOQ 1–50), stock per SKU and warehouse, and 364 days of sales — per series
a daily rate drawn from a gamma distribution (a long tail: most SKUs sell rarely, some
sell every day), a weekly pattern (busy weekends) and Poisson days; one order per
warehouse and day whose lines are that day's SKUs (about 3 million order lines). Orders
are made through orders.services, their lines copied in (bench data only).

Timed: procurement.planning.suggest() end to end — reading the year of order lines by
SKU, province and day, the forecasts (method chosen per series by rule), stock, transit,
open POs, prices and lead times, and the suggested quantities. Median of 3 runs, with
the split between reading the history and the rest of the last run.
"""

import argparse
import dataclasses
import datetime
import os
import platform
import statistics
import sys
import time
from collections import Counter
from datetime import UTC
from decimal import Decimal
from pathlib import Path

import numpy as np
from benchdb import PG_SERVER, recreate_database, save_results, setup_django, write_section
from orders_bench import backend_cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "suggestions-latest.json"
RUNS = 3
DAYS = 364
PROVINCES = [
    ("sh", "上海市", "上海市"), ("gz", "广东省", "广州市"), ("bj", "北京市", "北京市"),
    ("cd", "四川省", "成都市"), ("wh", "湖北省", "武汉市"), ("xa", "陕西省", "西安市"),
]  # fmt: skip
WEEK = np.array([0.8, 0.85, 0.9, 0.95, 1.05, 1.2, 1.25])


def database_filled(name: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(f"{PG_SERVER}/{name}") as conn:
            return conn.execute("SELECT COUNT(*) FROM orders_orderline").fetchone()[0] > 0
    except psycopg.Error:
        return False


def seed(skus: int, rng) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from mercato.catalog.models import Product, Sku
    from mercato.inventory.models import Stock
    from mercato.inventory.services import create_warehouse
    from mercato.procurement.models import SupplierPrice
    from mercato.testing.factories import (
        ORDER_ADDRESS,
        BrandFactory,
        make_category,
        make_order,
        priced_line,
    )
    from mercato.testing.procurement import USCC, make_supplier

    began = time.perf_counter()
    warehouses = [
        create_warehouse(
            actor=None,
            code=code,
            name=f"{city}仓",
            provinces=[province],
            province=province,
            city=city,
            district="-",
            address="1号",
        )  # fmt: skip
        for code, province, city in PROVINCES
    ]
    category, brand = make_category("基准"), BrandFactory()
    products = Product.objects.bulk_create(
        Product(
            code=f"BP{n:06d}",
            name=f"基准商品{n}",
            slug=f"bench-{n}",
            category=category,
            brand=brand,
        )  # fmt: skip
        for n in range(skus)
    )
    sku_rows = Sku.objects.bulk_create(
        Sku(
            product=p,
            code=f"BS{n:06d}",
            specs={},
            spec_key="",
            list_price=Decimal("99.00"),
            cost_price=Decimal("60.00"),
            weight_g=500,
            volume_cm3=1000,
        )  # fmt: skip
        for n, p in enumerate(products)
    )
    suppliers = [make_supplier(code=f"B{n}", uscc=USCC[n], name=f"基准供应商{n}") for n in range(3)]
    first = datetime.date(2025, 1, 1)
    prices = []
    for n, sku in enumerate(sku_rows):
        for k, supplier in enumerate(suppliers):
            if (n + k) % 3 != 2:  # two suppliers per SKU
                prices.append(
                    SupplierPrice(
                        supplier=supplier,
                        sku=sku,
                        valid_from=first,
                        price=Decimal(20 + (n * 7 + k * 3) % 50),
                        min_quantity=int(rng.choice([1, 6, 12, 24, 50])),
                    )  # fmt: skip
                )
    SupplierPrice.objects.bulk_create(prices, batch_size=5000)
    rate = rng.gamma(0.25, 1.2, size=(skus, len(warehouses)))
    Stock.objects.bulk_create(
        (
            Stock(sku=sku, warehouse=w, on_hand=int(rng.poisson(rate[n, j] * 20)))
            for n, sku in enumerate(sku_rows)
            for j, w in enumerate(warehouses)
        ),
        batch_size=5000,
    )
    today = timezone.localdate()
    lines = 0
    probe = sku_rows[0]
    with connection.cursor() as cursor:
        for j, (_code, province, city) in enumerate(PROVINCES):
            address = dataclasses.replace(ORDER_ADDRESS, province=province, city=city, district="-")
            for back in range(DAYS, 0, -1):
                day = today - datetime.timedelta(days=back)
                units = rng.poisson(rate[:, j] * WEEK[day.weekday()])
                sold = np.nonzero(units)[0]
                if not len(sold):
                    continue
                with transaction.atomic():
                    order = make_order(
                        lines=[priced_line(sku=probe, unit_price="1.00", quantity=1)],
                        address=address, payment_method="cod", shipping="0.00",
                    )  # fmt: skip
                    placed = datetime.datetime.combine(day, datetime.time(4), tzinfo=UTC)
                    cursor.execute(
                        "UPDATE orders_order SET placed_at = %s, status = 'completed' "
                        "WHERE id = %s",
                        [placed, order.pk],
                    )
                    cursor.execute("DELETE FROM orders_orderline WHERE order_id = %s", [order.pk])
                    columns = (
                        "order_id, sku_id, product_id, product_name, sku_code, specs, "
                        "unit_price, quantity, line_total, discount_share"
                    )
                    with cursor.copy(f"COPY orders_orderline ({columns}) FROM STDIN") as copy:
                        for n in sold:
                            sku = sku_rows[n]
                            q = int(units[n])
                            copy.write_row(
                                (
                                    order.pk,
                                    sku.pk,
                                    sku.product_id,
                                    "基准商品",
                                    sku.code,
                                    "{}",
                                    "1.00",
                                    q,
                                    f"{q}.00",
                                    "0.00",
                                )  # fmt: skip
                            )
                lines += len(sold)
        cursor.execute("ANALYZE orders_orderline")
        cursor.execute("ANALYZE orders_order")
    return {"seed_s": round(time.perf_counter() - began, 1), "order_lines": lines}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skus", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep a filled bench database")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument(
        "--serial", action="store_true",
        help="no parallel query workers: the backend's CPU seconds are then all of the query's",
    )  # fmt: skip
    args = parser.parse_args()
    name = os.environ.get("MERCATO_BENCH_DB", "mercato_bench_suggestions")
    fresh = not (args.reuse and database_filled(name))
    server = recreate_database(name) if fresh else "(reused)"
    setup_django(name)
    from django.db import connection
    from django.utils import timezone

    from mercato.inventory.models import Warehouse
    from mercato.procurement import forecast, planning

    seeded = seed(args.skus, np.random.default_rng(args.seed)) if fresh else {}
    with connection.cursor() as cursor:
        if args.serial:
            cursor.execute("SET max_parallel_workers_per_gather = 0")
        cursor.execute("SELECT COUNT(*) FROM orders_orderline")
        (order_lines,) = cursor.fetchone()
        cursor.execute("SHOW server_version")
        (server,) = cursor.fetchone()

    # Wall time, and the CPU seconds of this process and of its PostgreSQL backend: on a
    # machine shared with other work the CPU seconds say what the run would take alone.
    timings, cpu, suggestions = [], [], []
    for _ in range(args.runs):
        began, own, backend = (
            time.perf_counter(),
            time.process_time(),
            backend_cpu_seconds(connection),
        )
        suggestions = planning.suggest()
        timings.append(time.perf_counter() - began)
        cpu.append(time.process_time() - own + backend_cpu_seconds(connection) - backend)
    # The split: reading the history alone.
    warehouses = list(Warehouse.objects.prefetch_related("served").order_by("priority", "code"))
    began = time.perf_counter()
    keys, history = planning.sales_history(warehouses=warehouses, today=timezone.localdate())
    read_s = time.perf_counter() - began
    methods = Counter(forecast.choose_methods(history))
    result = {
        "at": datetime.datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "skus": args.skus,
        "warehouses": len(PROVINCES),
        "series": len(keys),
        "order_lines": order_lines,
        **seeded,
        "s_median": round(statistics.median(timings), 2),
        "s_all": [round(t, 2) for t in timings],
        "cpu_s_median": round(statistics.median(cpu), 2),
        "cpu_s_all": [round(t, 2) for t in cpu],
        "history_read_s": round(read_s, 2),
        "suggestions": len(suggestions),
        "methods": dict(methods),
        "fit_each": forecast.FIT_EACH,
        "runs": args.runs,
        "serial": args.serial,
        "load": open("/proc/loadavg").read().strip(),
        "machine": (
            f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), PostgreSQL "
            f"{server}; Python {platform.python_version()}, NumPy {np.__version__}, "
            f"statsmodels {__import__('statsmodels').__version__}"
        ),
    }
    save_results(RESULTS, result)
    if not args.no_docs:
        write_docs(result, "python bench/suggestions_bench.py " + " ".join(sys.argv[1:]))


SERIAL_NOTE = {
    True: "no parallel query workers, so the query's CPU is all counted",
    False: "parallel query workers not counted",
}


def write_docs(r: dict, command: str) -> None:
    m = r["methods"]
    lines = [
        f"Run {r['at']} with `{command.strip()}`; load average when it ended: {r['load']} "
        "(above 2 on this 2-CPU machine, other work competed with the run).", "",
        f"- Machine: {r['machine']}", "",
        f"`procurement.planning.suggest()` for {r['skus']:,} SKUs × {r['warehouses']} "
        f"warehouses, {r['series']:,} series with sales over 364 days "
        f"({r['order_lines']:,} order lines), median of {r['runs']} runs: **{r['s_median']} s** "
        f"(runs {r['s_all']}; target under 30 s); CPU seconds of the process and its "
        f"PostgreSQL backend, median **{r['cpu_s_median']} s** (runs {r['cpu_s_all']}: what "
        f"the run costs without other work competing; "
        f"{SERIAL_NOTE[bool(r.get('serial'))]}"
        f"). Reading the year of order lines "
        f"by SKU, province and day ≈ {r['history_read_s']} s. Methods chosen by rule: "
        f"Holt-Winters {m.get('holt_winters', 0):,} (statsmodels fits the {r['fit_each']} "
        f"largest, the rest take the median parameters; the recursion runs batched), "
        f"simple exponential smoothing {m.get('ses', 0):,}, moving average "
        f"{m.get('moving_average', 0):,}. {r['suggestions']:,} suggestions with a quantity.",
        "", "Raw figures: `bench/results/suggestions-latest.json`.",
    ]  # fmt: skip
    write_section("suggestions-bench", "Purchase suggestions (issue 14 part 2)", "\n".join(lines))


if __name__ == "__main__":
    main()

"""Benchmark: import 100,000 SKUs from CSV into a fresh PostgreSQL database.

    .venv/bin/python bench/import_bench.py [--rows 100000] [--small 20000] [--json] [--no-docs]

Generates a deterministic CSV (4 SKUs per product, valid EAN-13 barcodes), creates the
database (default mercato_bench_import), migrates it, adds the categories and brands the
file names, then times the import in a child process (parse, validate, write: mode
all-or-nothing, one transaction) and reports rows/s and the child's peak RSS. It does so
twice, for --small rows and for --rows rows (a fresh database each), so that memory growth
per row shows: flat memory means the same peak for both. The result goes into
docs/performance.md between the import-bench markers, unless --no-docs.
"""

import argparse
import csv
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchdb import write_section

ROOT = Path(__file__).resolve().parent.parent

TREE = {
    "手机数码": {"手机": ["智能手机", "老人手机"], "数码配件": ["充电器", "数据线", "耳机"]},
    "家用电器": {"大家电": ["冰箱", "洗衣机", "空调"], "厨房电器": ["电饭煲", "微波炉"]},
    "服装鞋帽": {"男装": ["衬衫", "T恤"], "女装": ["连衣裙", "外套"], "鞋": ["运动鞋"]},
    "美妆个护": {"护肤": ["面霜", "精华"], "个护": ["洗发水", "牙膏"]},
}
COLOURS = ["黑色", "白色", "蓝色", "红色", "金色", "银色", "绿色", "紫色"]
SIZES = ["64GB", "128GB", "256GB", "512GB", "S", "M", "L", "XL"]
HEADER = [
    "product_code", "product_name", "category", "brand", "status", "sku_code", "barcode",
    "specs", "list_price", "cost_price", "weight_g", "volume_cm3", "subtitle", "seo_title",
    "seo_keywords", "seo_description",
]  # fmt: skip


def ean13(n: int) -> str:
    body = f"690{n:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def leaf_paths() -> list[str]:
    return [
        f"{a}/{b}/{c}" for a, subs in TREE.items() for b, leaves in subs.items() for c in leaves
    ]


def brand_names() -> list[str]:
    return [f"品牌{i:03d}" for i in range(60)]


def write_csv(path: Path, rows: int, seed: int = 1) -> None:
    """The same file for the same (rows, seed): 4 SKUs per product."""
    rng = random.Random(seed)
    leaves, brands = leaf_paths(), brand_names()
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for i in range(rows):
            p = i // 4
            if i % 4 == 0:
                name = f"测试商品{p} {rng.choice(['旗舰版', '标准版', '青春版', '至尊版'])}"
                category, brand = rng.choice(leaves), rng.choice(brands)
                colours = rng.sample(COLOURS, 2)
                size = rng.sample(SIZES, 2)
                base = rng.randint(20, 9000)
            specs = f"颜色={colours[i % 2]};规格={size[(i // 2) % 2]}"
            price = f"{base + (i % 4) * 10}.{rng.randint(0, 99):02d}"
            out.writerow(
                [
                    f"B{p:06d}", name, category, brand, "on_sale", f"B{p:06d}-{i % 4 + 1:02d}",
                    ean13(i), specs, price, f"{base * 0.7:.2f}", rng.randint(50, 20000),
                    rng.randint(100, 50000), "包邮 正品保障", name, "测试,商品", "",
                ]
            )  # fmt: skip


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except OSError:
        ram = "unknown"
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram": ram, "python": platform.python_version()}


# -- the child: Django set up against the bench database, times one import ----------------
def child(csv_path: str, mode: str) -> None:
    import django

    django.setup()
    from django.db import connection

    from mercato.catalog.importing import import_products
    from mercato.catalog.models import Brand, Category, Sku
    from mercato.catalog.text import pinyin_slug

    for top, subs in TREE.items():
        root = Category.objects.add_root({"name": top, "slug": pinyin_slug(top)})
        for mid, leaves in subs.items():
            node = Category.objects.add_child(root, {"name": mid, "slug": pinyin_slug(top + mid)})
            for leaf in leaves:
                Category.objects.add_child(node, {"name": leaf, "slug": pinyin_slug(mid + leaf)})
    Brand.objects.bulk_create(
        [Brand(name=n, slug=f"brand-{i}") for i, n in enumerate(brand_names())]
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with connection.cursor() as cursor:
        cursor.execute("select pg_backend_pid()")
        backend = cursor.fetchone()[0]
    # On a shared, loaded machine wall-clock time waits for other processes: CPU seconds
    # of this process and of its PostgreSQL backend (same host) show the import's own cost.
    backend_before, cpu_before = _backend_cpu(backend), time.process_time()
    started = time.perf_counter()
    with open(csv_path, "rb") as fh:
        result = import_products(actor=None, file=fh, fmt="csv", mode=mode)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    backend_cpu = _backend_cpu(backend) - backend_before
    with connection.cursor() as cursor:
        cursor.execute("select version()")
        server = cursor.fetchone()[0]
    out = {
        "rows": result.processed_rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(result.processed_rows / seconds),
        "python_cpu_s": round(cpu, 2),
        "postgres_cpu_s": round(backend_cpu, 2),
        "rows_per_cpu_s": round(result.processed_rows / (cpu + backend_cpu)),
        "rss_before_import_mib": round(rss_before / 1024, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "errors": result.error_count,
        "skus_in_db": Sku.objects.count(),
        "written": result.written,
        "database": server.split(" on ")[0],
        "vendor": connection.vendor,
    }
    print("RESULT " + json.dumps(out))


def _backend_cpu(pid: int) -> float:
    """User + system CPU seconds of a process on this host (the PostgreSQL backend);
    0 when /proc cannot tell (PostgreSQL elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _psql(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)


def run(rows: int, database: str, server: str, mode: str, keep: bool) -> dict:
    url = f"{server.rstrip('/')}/{database}"
    admin = f"{server.rstrip('/')}/postgres"
    with tempfile.TemporaryDirectory(prefix="mercato-import-bench-") as tmp:
        csv_path = Path(tmp) / "skus.csv"
        write_csv(csv_path, rows)
        _psql(admin, f'DROP DATABASE IF EXISTS "{database}"')
        _psql(admin, f'CREATE DATABASE "{database}"')
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "MERCATO_VAR_DIR": tmp,
            "DJANGO_SETTINGS_MODULE": "mercato.settings",
            "LOG_LEVEL": "WARNING",
        }
        try:
            subprocess.run(
                [sys.executable, "-m", "mercato.manage", "migrate", "--noinput", "-v0"],
                env=env,
                check=True,
            )
            proc = subprocess.run(
                [sys.executable, __file__, "--child", str(csv_path), "--mode", mode],
                env=env,
                capture_output=True,
                text=True,
            )
            if proc.returncode:
                sys.exit(f"The import failed:\n{proc.stderr[-4000:]}")
        finally:
            if not keep:
                _psql(admin, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
        result = json.loads(line.removeprefix("RESULT "))
        result["csv_mib"] = round(csv_path.stat().st_size / 1024 / 1024, 1)
    result.update(mode=mode, machine=machine())
    return result


def growth_per_row(small: dict, big: dict) -> float:
    """Bytes of peak RSS per extra row between the two runs (about 0 when memory is flat)."""
    extra_rows = big["rows"] - small["rows"]
    grown = (big["peak_rss_mib"] - big["rss_before_import_mib"]) - (
        small["peak_rss_mib"] - small["rss_before_import_mib"]
    )
    return round(grown * 1024 * 1024 / extra_rows, 1) if extra_rows else 0.0


def write_docs(runs: list[dict], command: str) -> None:
    small, result = runs[0], runs[-1]
    m = result["machine"]
    table = [
        "| rows | CSV | time | rows/s | CPU: Python + PostgreSQL | rows per CPU second "
        "| RSS before the import | peak RSS |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ] + [
        f"| {r['rows']:,} | {r['csv_mib']} MiB | {r['seconds']} s | **{r['rows_per_s']:,}** "
        f"| {r['python_cpu_s']} s + {r['postgres_cpu_s']} s | **{r['rows_per_cpu_s']:,}** "
        f"| {r['rss_before_import_mib']} MiB | **{r['peak_rss_mib']} MiB** |"
        for r in runs
    ]
    section = "\n".join(
        [
            "## Import of products and SKUs from CSV",
            "",
            f"Command: `{command}`",
            "",
            f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, Python {m['python']}; "
            f"{result['database']}; load average {result['load']} at the start",
            f"- File: 4 SKU rows per product; mode `{result['mode']}` (one transaction); "
            "each run in a fresh database and a fresh process",
            "",
            *table,
            "",
            f"- **{result['rows_per_s']:,} rows/s** end to end (parse, validate, write) "
            f"for {result['rows']:,} rows",
            f"- Memory growth: **{growth_per_row(small, result)} bytes of peak RSS per extra row** "
            f"from {small['rows']:,} to {result['rows']:,} rows (peak minus RSS before the "
            "import, compared between the two runs)",
            "",
            "The file is streamed and handled in chunks of 2,000 rows (a product's rows stay in",
            "one chunk): a fixed number of queries per chunk (existing products, SKUs, barcodes,",
            "specs; what earlier chunks held, from a temporary table), bulk inserts (COPY) and",
            "updates, one audit entry per import. Memory holds one chunk, whatever the file's",
            "length: the codes, barcodes and products seen so far are in the temporary table.",
        ]
    )
    write_section("import-bench", "", section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="SKU rows (default 100000)")
    parser.add_argument(
        "--small", type=int, default=20_000, help="rows of the first, smaller run (default 20000)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/performance.md")
    parser.add_argument("--database", default="mercato_bench_import")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--mode", default="all_or_nothing", choices=["all_or_nothing", "partial"])
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.mode)
        return
    if not 1 <= args.small < args.rows:
        parser.error("--small must be at least 1 and below --rows")
    runs = []
    for rows in (args.small, args.rows):
        load = os.getloadavg()[0]
        runs.append(
            run(rows, args.database, args.server, args.mode, args.keep and rows == args.rows)
        )
        runs[-1]["load"] = round(load, 1)
        r = runs[-1]
        if not args.json:
            print(
                f"{r['rows']:,} rows in {r['seconds']} s: {r['rows_per_s']:,} rows/s, "
                f"CPU {r['python_cpu_s']} s + PostgreSQL {r['postgres_cpu_s']} s "
                f"({r['rows_per_cpu_s']:,} rows per CPU second), "
                f"peak RSS {r['peak_rss_mib']} MiB ({r['rss_before_import_mib']} MiB before; "
                f"{r['database']})"
            )
    command = (
        "python bench/import_bench.py"
        + (f" --rows {args.rows}" if args.rows != 100_000 else "")
        + (f" --small {args.small}" if args.small != 20_000 else "")
    )
    if not args.no_docs:
        write_docs(runs, command)
    if args.json:
        print(json.dumps(runs))
    else:
        print(f"Peak RSS growth: {growth_per_row(runs[0], runs[-1])} bytes per extra row")


if __name__ == "__main__":
    main()

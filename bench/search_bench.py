"""Search under load: uncached, over hundreds of distinct queries, against the bare view.

    .venv/bin/python bench/search_bench.py [--reuse-db] [--duration 15] [--connections 16]

Runs inside `make bench` (bench/run.py calls it after the web targets), or alone: then it
recreates and seeds the bench database itself unless --reuse-db (an existing seeded and
indexed database, MERCATO_BENCH_DB). gunicorn as bench/run.py starts it (2 workers x 4
gthreads, --reuse-port), wrk with the same settings, two server runs:

1. result cache off (MERCATO_SEARCH_CACHE_SECONDS=0): every request is searched afresh.
   - `bare_row`: the one-row JSON view through Mercato's stack, the floor of this run;
   - `search_uncached`: wrk rotates over the judged shopper queries (bench/search_queries.py,
     370 distinct: names, brands, pinyin, initials, typos, units, several words), each
     connection from another offset.
2. result cache on (the default, 600 s): the same rotation (`search_rotating`), where each
   query is searched once per server process and served from the cache afterwards, and
   one query repeated (`search_one`).

The floor is also measured against the minimal Django project when bench/ carries one
(bench/minimal/, issue 12); until then the Mercato-stack bare view is the floor. Writes
bench/results/search-latest.json and the `search-bench` section of docs/performance.md.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402 - bench/run.py: server, wrk, reporting helpers
from search_queries import search_paths, write_lua  # noqa: E402

RESULTS = run.ROOT / "bench" / "results" / "search-latest.json"
ONE_QUERY = "华为 手机"


def measure(env: dict, log: Path, targets, *, args) -> list[dict]:
    """Start gunicorn with `env`, run wrk on each (name, label, path, script) target."""
    results = []
    server = run.start_gunicorn(env, log)
    try:
        for name, label, path, script in targets:
            url = run.BASE + path
            status, size = run.probe(url, "")
            entry = {"name": name, "label": label, "path": path, "http_status": status}
            if status != 200:
                entry["status"] = f"HTTP {status}"
                run.log(f"{label}: {entry['status']}, not measured")
                results.append(entry)
                continue
            run.log(f"{label}: warm-up {args.warmup} s, then {args.duration} s")
            wrk = _wrk(url, script, connections=args.connections)
            if args.warmup:
                wrk(args.warmup)
            entry.update(wrk(args.duration), bytes=size, status="ok")
            results.append(entry)
    finally:
        server.terminate()
        server.wait(timeout=30)
    floor = next((t for t in results if t["name"] == "bare_row" and t.get("rps")), None)
    for t in results:
        if floor and t.get("rps"):
            t["ratio_rps"] = round(t["rps"] / floor["rps"], 3)
    return results


def _wrk(url: str, script: Path | None, *, connections: int):
    def go(duration: int) -> dict:
        command = [
            "wrk", f"-t{run.WRK_THREADS}", f"-c{connections}", f"-d{duration}s",
            "--timeout", "10s", "-s", str(script or run.LUA), url,
        ]  # fmt: skip
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        line = next(x for x in out.splitlines() if x.startswith("BENCH "))
        return json.loads(line[len("BENCH ") :])

    return go


def section(result: dict) -> str:
    m, w = result["machine"], result["wrk"]
    lines = [
        f"Run {result['date']} with `{result['command']}`.",
        "",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM; PostgreSQL "
        f"{m['postgresql']}; load average {result['load']} when it started",
        f"- Server: gunicorn {run.WORKERS} workers x {run.THREADS} threads (gthread, "
        "--reuse-port), DEBUG off, demo data (2,000 products), locmem cache per process",
        f"- Load: wrk -t{run.WRK_THREADS} -c{w['connections']} -d{w['duration']}s after "
        f"{w['warmup']} s of warm-up; rotating targets go through {result['queries']} "
        "distinct judged shopper queries (bench/search_queries.py)",
        "",
        "| server run | target | requests/s | p50 ms | p99 ms | share of the bare view |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for run_name, targets in result["runs"].items():
        for t in targets:
            if t.get("rps"):
                lines.append(
                    f"| {run_name} | {t['label']} | {t['rps']:,.0f} | {t['p50_ms']:.1f} | "
                    f"{t['p99_ms']:.1f} | {t.get('ratio_rps', 0):.2f} |"
                )
            else:
                lines.append(f"| {run_name} | {t['label']} | {t['status']} | | | |")
    lines += [
        "",
        "Shares are requests/s divided by the bare view's in the same server run. "
        "Raw figures: `bench/results/search-latest.json`; where the time goes: "
        "`bench/search_profile.py`.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--reuse-db", action="store_true", help="use the seeded bench database")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/performance.md")
    args = parser.parse_args()
    run.ensure_wrk()
    command = "python bench/search_bench.py " + " ".join(sys.argv[1:])
    work = Path(tempfile.mkdtemp(prefix="mercato-search-bench-"))
    env = {
        **os.environ,
        "MERCATO_VAR_DIR": str(work / "var"),
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
        "DATABASE_URL": f"{run.PG_SERVER}/{run.DATABASE}",
        "MERCATO_BENCH_VIEWS": "1",
    }
    env.pop("REDIS_URL", None)
    if args.reuse_db:
        import psycopg

        with psycopg.connect(f"{run.PG_SERVER}/postgres", autocommit=True) as conn:
            pg_version = conn.execute("SHOW server_version").fetchone()[0]
    else:
        run.log(f"PostgreSQL: recreating {run.DATABASE}, migrating, seeding, indexing")
        pg_version = run.recreate_database()
        run.timed_seed(env)
        run.mercato(env, "rebuild_search_index", "--quiet")
    run.mercato(env, "collectstatic", "--noinput", "-v0")
    product_id = run.first_product_id(env)
    rotation = write_lua(work / "search-rotation.lua")
    bare = ("bare_row", "bare view: one product row (JSON)", f"/bench/product/{product_id}/", None)
    one = "/search/?" + urllib.parse.urlencode({"q": ONE_QUERY})
    first_path = search_paths()[0]
    uncached = measure(
        {**env, "MERCATO_SEARCH_CACHE_SECONDS": "0"},
        work / "gunicorn-uncached.log",
        [bare, ("search_uncached", "search, result cache off, rotating", first_path, rotation)],
        args=args,
    )
    cached = measure(
        env,
        work / "gunicorn-cached.log",
        [
            bare,
            ("search_rotating", "search, result cache on, rotating", first_path, rotation),
            ("search_one", f"search, one query ({ONE_QUERY}), cached", one, None),
        ],
        args=args,
    )
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    result = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
        "machine": run.machine(pg_version),
        "load": load,
        "queries": len(search_paths()),
        "wrk": {"connections": args.connections, "duration": args.duration, "warmup": args.warmup},
        "runs": {"result cache off": uncached, "result cache on": cached},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    if not args.no_docs:
        text = run.DOCS.read_text() if run.DOCS.exists() else "# Performance\n"
        run.DOCS.write_text(run.replace_section(text, "search-bench", section(result)))
    for run_name, targets in result["runs"].items():
        for t in targets:
            ratio = t.get("ratio_rps", 0)
            figure = f"{t['rps']:,.0f} req/s, share {ratio:.2f}" if t.get("rps") else t["status"]
            print(f"{run_name:<18} {t['label']:<40} {figure}")


if __name__ == "__main__":
    main()

"""`make bench`, buying: add-to-cart, order placement and the 50-buyer race, over HTTP.

    .venv/bin/python bench/buy_bench.py [--duration 15] [--connections 16] [--reuse-db]

On the PostgreSQL bench database (MERCATO_BENCH_DB, default mercato_bench) seeded with
seed_demo, under gunicorn (2 workers x 4 threads, as the web bench, on MERCATO_BENCH_PORT)
with Redis for cache, sessions and the Celery broker (MERCATO_BENCH_REDIS, default
redis://127.0.0.1:6379/15; "none" for the embedded defaults):

1. bench/buy_fixtures.py prepares members with a session and a cart of 3 lines, guest
   sessions, a stock row for the bare view and the race (20 units, 50 buyers);
2. wrk (bench/buy.lua) measures, one after the other with the same connections: the bare
   view doing one conditional stock update (POST /bench/reserve/<id>/), order placement
   (POST /api/orders, each request another member's cart of 3 lines) and add-to-cart
   (POST /api/cart/lines by guests); placement's requests/s over the bare view's is the
   issue's ratio (target >= 0.20);
3. the race: 50 threads released by a barrier POST /api/orders for the last 20 units of
   one SKU; expects exactly 20 x 201 and 30 x 409, and stock, ledger, reservations and
   order lines that agree;
4. writes bench/results/buy-latest.json, docs/img/bench-buy.svg and the buy-bench
   section of docs/performance.md, and prints the figures.

Without --reuse-db it recreates, migrates and seeds the database first (as bench/run.py
does); `make bench` runs it with --reuse-db after the web bench.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402 - bench/run.py: database, gunicorn, machine and docs helpers

ROOT, BIN = run.ROOT, run.BIN
LUA = ROOT / "bench" / "buy.lua"
FIXTURES = ROOT / "bench" / "buy_fixtures.py"
RESULTS = ROOT / "bench" / "results" / "buy-latest.json"
SVG = ROOT / "docs" / "img" / "bench-buy.svg"
TARGET_RATIO = 0.20
RACE_TIMEOUT = 120


def log(message: str) -> None:
    print(f"[buy-bench] {message}", file=sys.stderr, flush=True)


# Set-up ----------------------------------------------------------------------------------
def redis_url() -> str | None:
    """MERCATO_BENCH_REDIS, flushed (our own database number), or None (see bench/run.py)."""
    return run.redis_for_bench()


def fixtures(env: dict, action: str, work: Path, *args: str) -> dict:
    done = subprocess.run(
        [str(BIN / "python"), str(FIXTURES), action, "--out", str(work), *args],
        env=env, cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"bench/buy_fixtures.py {action} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# Requests --------------------------------------------------------------------------------
def post(path: str, *, shopper: list | None = None, body: dict | None = None) -> tuple[int, dict]:
    """(status, JSON body) of one POST, as the shopper (session key, CSRF secret)."""
    headers = {"Content-Type": "application/json"}
    if shopper:
        key, csrf = shopper[0], shopper[1]
        headers.update({"Cookie": f"sessionid={key}; csrftoken={csrf}", "X-CSRFToken": csrf})
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(run.BASE + path, data=data, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=RACE_TIMEOUT) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw or b"{}")
    except ValueError:
        return status, {"raw": raw[:200].decode(errors="replace")}


def order_body(address_id, payment: str, key: str) -> dict:
    return {"address_id": int(address_id), "payment_method": payment, "idempotency_key": key}


def first_line(path: Path) -> list[str]:
    return path.read_text().splitlines()[0].split()


def run_wrk(mode: str, path: str, args, *, shoppers: Path | None = None, offset: int = 0,
            skus: str = "", duration: int) -> dict:  # fmt: skip
    command = [
        "wrk", f"-t{run.WRK_THREADS}", f"-c{args.connections}", f"-d{duration}s",
        "--timeout", "10s", "-s", str(LUA), run.BASE + path, "--",
        mode, str(shoppers or ""), str(run.WRK_THREADS), str(offset), skus, args.payment,
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    return json.loads(line[len("BENCH ") :])


def measure(name, label, mode, path, args, **kwargs) -> dict:
    """Warm-up, then the measured run; for "order", the measured run uses fresh members."""
    log(f"{label}: warm-up {args.warmup} s, then {args.duration} s")
    offset = kwargs.pop("offset", 0)
    if args.warmup:
        warm = run_wrk(mode, path, args, offset=offset, duration=args.warmup, **kwargs)
        # Thread k took lines k, k+T, ...: skip as many rounds as the busiest thread used,
        # counting requests still in flight when the warm-up stopped.
        offset += warm["rounds_used"] * run.WRK_THREADS
    result = run_wrk(mode, path, args, offset=offset, duration=args.duration, **kwargs)
    return {"name": name, "label": label, "path": path, **result}


# The race --------------------------------------------------------------------------------
def race(buyers: list[list], payment: str) -> dict:
    """All buyers POST /api/orders at once (a barrier releases them); statuses and time."""
    barrier = threading.Barrier(len(buyers))
    answers: list[tuple[int, dict, float, float]] = [None] * len(buyers)

    def buy(i: int, buyer: list) -> None:
        body = order_body(buyer[2], payment, f"race-{int(time.time())}-{i:02d}")
        barrier.wait()
        started = time.perf_counter()
        status, data = post("/api/orders", shopper=buyer, body=body)
        answers[i] = (status, data, started, time.perf_counter())

    threads = [threading.Thread(target=buy, args=(i, b)) for i, b in enumerate(buyers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(RACE_TIMEOUT)
    done = [a for a in answers if a]
    statuses = Counter(a[0] for a in done)
    refused = next((a[1] for a in done if a[0] == 409), {})
    return {
        "buyers": len(buyers),
        "answered": len(done),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "wall_s": round(max(a[3] for a in done) - min(a[2] for a in done), 3) if done else None,
        "slowest_s": round(max(a[3] - a[2] for a in done), 3) if done else None,
        "sold_out_message": refused.get("detail", ""),
    }


def race_verdict(result: dict, units: int) -> list[str]:
    """What is wrong with the race's outcome; empty when it is exactly right."""
    problems = []
    statuses, db = result["statuses"], result["database"]
    if statuses.get("201") != units or statuses.get("409") != result["buyers"] - units:
        problems.append(f"expected {units} x 201 and {result['buyers'] - units} x 409")
    if db["reserved"] != units or db["available"] != 0:
        problems.append(f"stock reserved {db['reserved']}, available {db['available']}")
    if db["ledger_reserved"] != db["reserved"] or db["ledger_on_hand"] != db["on_hand"]:
        problems.append("the ledger does not add up to the stock rows")
    if db["reservation_rows_units"] != units or db["order_lines_units"] != units:
        problems.append("reservations or order lines do not hold the units sold")
    return problems


def run_profile(env: dict, bare_stock_id: int) -> dict | None:
    """Medians of one request at a time, in-process: wall and database ms, queries, and how
    long a placement holds the day's order-number counter row (bench/buy_profile.py)."""
    done = subprocess.run(
        [
            str(BIN / "python"), str(ROOT / "bench" / "buy_profile.py"), "--json",
            "--orders", "41", "--bare-stock", str(bare_stock_id),
        ],
        env=env, cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode:
        log(f"buy_profile.py failed: {done.stderr[-500:]}")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


# Reporting -------------------------------------------------------------------------------
def race_lines(r: dict) -> list[str]:
    """The race's paragraph of docs/performance.md (also written by bench/run.py)."""
    lines = [
        "",
        f"**50-buyer race** (one SKU, {r['units']} units left in two warehouses, 50 members "
        f"POST /api/orders at once, released by a barrier): wall time **{r['wall_s']} s** "
        f"(slowest answer {r['slowest_s']} s); answers "
        f"{', '.join(f'{n} × {code}' for code, n in r['statuses'].items())}; stock reserved "
        f"{r['database']['reserved']} of {r['database']['on_hand']}, ledger "
        f"{r['database']['ledger_reserved']}, order lines {r['database']['order_lines_units']}"
        f": **{'exactly right' if not r['problems'] else '; '.join(r['problems'])}**.",
    ]
    if r.get("sold_out_message"):
        lines.append(f"The 409 answer says: “{r['sold_out_message']}”")
    return lines


def section(result: dict) -> str:
    m, w = result["machine"], result["wrk"]
    targets = {t["name"]: t for t in result["targets"]}
    ratio = result.get("placement_ratio")
    lines = [
        f"Run {result['date']} with `{result['command']}`; load average "
        f"{result['load_before']} before, {result['load_after']} after.",
        "",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM; PostgreSQL "
        f"{m['postgresql']}; Python {m['python']}; {m['wrk']}",
        f"- Server: gunicorn {run.WORKERS} workers x {run.THREADS} threads (gthread, "
        f"--reuse-port: a listening socket per worker), DEBUG off, demo data; "
        f"{result['redis_note']}",
        f"- Load: wrk -t{run.WRK_THREADS} -c{w['connections']} -d{w['duration']}s after "
        f"{w['warmup']} s of warm-up per target, payment method `{result['payment']}`",
        "",
        "| target | request | requests/s | p50 ms | p99 ms | answers | ratio to bare |",
        "|---|---|---:|---:|---:|---|---:|",
    ]
    for t in result["targets"]:
        s = t["status"]
        answers = f"{s['2xx']} 2xx" + "".join(
            f", {s[k]} {k}" for k in ("409", "other_4xx", "5xx") if s[k]
        )
        lines.append(
            f"| {t['label']} | `{t['request']}` | {t['rps']:,.0f} | {t['p50_ms']:.1f} | "
            f"{t['p99_ms']:.1f} | {answers} | {t.get('ratio', 0):.2f} |"
        )
    if ratio is not None:
        verdict = "meets" if ratio >= TARGET_RATIO else "**misses**"
        lines += [
            "",
            f"**Order placement: {targets['place']['rps']:,.0f} orders/s = {ratio:.0%} of the bare "
            f"conditional update** ({targets['bare']['rps']:,.0f}/s), p99 "
            f"{targets['place']['p99_ms']:.0f} ms; this {verdict} the issue's 20%.",
        ]
    lines += race_lines(result["race"])
    p = result.get("profile")
    if p:
        place, cart = p["place"], p["cart"]
        counter = (
            f", and holds the day's order-number counter row for {place['lock_ms']:.0f} ms, "
            "which every other placement waits for (at most "
            f"{1000 / place['lock_ms']:,.0f} placements/s)"
            if place["lock_ms"]
            else ""
        )
        lines += [
            "",
            "One request at a time, in-process (`bench/buy_profile.py`, medians): a placement "
            f"takes {place['ms']:.0f} ms, {place['db_ms']:.0f} ms of it in {place['queries']:.0f} "
            f"queries{counter}; a guest's first add-to-cart takes {cart['ms']:.0f} ms, "
            f"{cart['db_ms']:.0f} ms in {cart['queries']:.0f} queries.",
        ]
        if p.get("bare"):
            lines[-1] += (
                f" The bare view takes {p['bare']['ms']:.1f} ms the same way: placement costs "
                f"{place['ms'] / p['bare']['ms']:.0f} times as much "
                f"({p['bare']['ms'] / place['ms']:.0%} in-process)."
            )
    lines += [
        "",
        "Each placement request is another member's cart of 3 lines (SKUs from a pool of 60 "
        "with stock in every warehouse, addresses in six provinces): re-pricing, shipping "
        "fee, stock reserved with row locks and ledger rows, order, lines, event, cart "
        "emptied, in one transaction. The bare view is a single `UPDATE ... SET reserved = "
        "reserved + 1 WHERE on_hand > reserved` on one row. Add-to-cart: guests with a "
        "session add one unit of a pool SKU. Raw figures: `bench/results/buy-latest.json`.",
    ]
    return "\n".join(lines)


def update_docs(result: dict) -> None:
    text = run.DOCS.read_text() if run.DOCS.exists() else "# Performance\n"
    if "<!-- buy-bench -->" not in text:
        text = (
            text.rstrip("\n")
            + "\n\n## Buying\n\n![Requests per second, buying](img/bench-buy.svg)\n"
        )
    run.DOCS.write_text(run.replace_section(text, "buy-bench", section(result)))


# Main ------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per target (15)")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up seconds per target (3)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--members", type=int, default=8000, help="members with a cart (8000)")
    parser.add_argument("--guests", type=int, default=2000, help="guest sessions (2000)")
    parser.add_argument("--payment", default="sandbox", help="payment method (sandbox)")
    parser.add_argument("--reuse-db", action="store_true", help="the database is seeded already")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite the docs")
    args = parser.parse_args()
    if args.duration < 1 or args.connections < 1 or args.warmup < 0 or args.members < 100:
        parser.error("--duration, --connections at least 1, --warmup 0, --members 100")
    run.ensure_wrk()
    command = " ".join(["python bench/buy_bench.py", *sys.argv[1:]])
    if os.environ.get("MAKELEVEL"):
        command = "make bench"
    work = Path(tempfile.mkdtemp(prefix="mercato-buy-bench-"))
    redis = redis_url()
    env = run.bench_env(work, redis)
    load_before = round(os.getloadavg()[0], 2)

    if args.reuse_db:
        import psycopg

        with psycopg.connect(f"{run.PG_SERVER}/postgres") as conn:
            pg_version = conn.execute("SHOW server_version").fetchone()[0]
    else:
        log(f"PostgreSQL: recreating {run.DATABASE}, migrating, seeding")
        pg_version = run.recreate_database()
        run.timed_seed(env)
        run.mercato(env, "collectstatic", "--noinput", "-v0")
    log(f"fixtures: {args.members} members with carts, {args.guests} guests, the race")
    prepared = fixtures(
        env, "prepare", work, "--members", str(args.members), "--guests", str(args.guests)
    )
    race_data = json.loads((work / "fixtures.json").read_text())["race"]
    members, guests = work / "members.txt", work / "guests.txt"
    skus = ",".join(str(s) for s in prepared["pool_sku_ids"])
    bare_path = f"/bench/reserve/{prepared['bare_stock_id']}/"

    server = run.start_gunicorn(env, work / "gunicorn.log")
    try:
        checks = {
            "bare": post(bare_path),
            "cart": post("/api/cart/lines", shopper=first_line(guests),
                         body={"sku_id": prepared["pool_sku_ids"][0], "quantity": 1}),
            "place": post("/api/orders", shopper=first_line(members),
                          body=order_body(first_line(members)[2], args.payment, "bench-probe-0")),
        }  # fmt: skip
        for name, (status, body) in checks.items():
            log(f"probe {name}: HTTP {status} {json.dumps(body, ensure_ascii=False)[:200]}")
        targets = []
        plan = [
            ("bare", "bare view: 1 stock UPDATE", "bare", bare_path, {}),
            ("place", "order placement, 3 lines", "order", "/api/orders",
             {"shoppers": members, "offset": 1}),
            ("cart", "add to cart, guest", "cart", "/api/cart/lines",
             {"shoppers": guests, "skus": skus}),
        ]  # fmt: skip
        for name, label, mode, path, kwargs in plan:
            if checks[name][0] not in (200, 201):
                log(f"{label}: probe answered HTTP {checks[name][0]}, not measured")
                continue
            entry = measure(name, label, mode, path, args, **kwargs)
            entry["request"] = f"POST {path}"
            targets.append(entry)
        log("race: 50 buyers, 20 units")
        race_result = race(race_data["buyers"], args.payment)
    finally:
        server.terminate()
        server.wait(timeout=30)
    log("in-process profile: bench/buy_profile.py --json")
    profiled = run_profile(env, prepared["bare_stock_id"])
    race_result["units"] = race_data["units"]
    race_result["database"] = fixtures(env, "check-race", work)
    race_result["problems"] = race_verdict(race_result, race_data["units"])

    by_name = {t["name"]: t for t in targets}
    bare = by_name.get("bare")
    for t in targets:
        if bare:
            t["ratio"] = round(t["rps"] / bare["rps"], 3)
    result = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
        "machine": run.machine(pg_version),
        "load_before": load_before,
        "load_after": round(os.getloadavg()[0], 2),
        "redis_note": (
            "Redis for cache, sessions (cached_db) and the Celery broker (the unpaid-order "
            "timer is queued, no worker runs)"
            if redis
            else "no Redis: local-memory cache, Celery tasks run in-process"
        ),
        "payment": args.payment,
        "wrk": {"connections": args.connections, "duration": args.duration, "warmup": args.warmup},
        "fixtures_seconds": prepared["seconds"],
        "probes": {k: v[0] for k, v in checks.items()},
        "targets": targets,
        "placement_ratio": by_name["place"]["ratio"] if bare and "place" in by_name else None,
        "race": race_result,
        "profile": profiled,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    if targets and not args.no_docs:
        run.write_svg(
            [{**t, "ratio_rps": t.get("ratio")} for t in targets],
            result["date"], path=SVG, floor="bare", title="Buying: requests/s",
        )  # fmt: skip
        update_docs(result)
    if redis:
        redis_url()  # flush what the run left in our Redis database
    shutil.rmtree(work, ignore_errors=True)

    for t in targets:
        print(
            f"{t['label']:<42} {t['rps']:>8,.0f} req/s  p50 {t['p50_ms']:7.1f} ms  "
            f"p99 {t['p99_ms']:7.1f} ms  ratio {t.get('ratio', 0):.2f}  answers {t['status']}"
        )
    if result["placement_ratio"] is not None:
        print(f"placement / bare view: {result['placement_ratio']:.1%} (target 20%)")
    if profiled:
        print(f"one request at a time, in-process (medians): {json.dumps(profiled)}")
    r = race_result
    verdict = "WRONG: " + "; ".join(r["problems"]) if r["problems"] else "OK"
    print(
        f"race: {r['buyers']} buyers, {r['units']} units: {r['statuses']} in {r['wall_s']} s; "
        f"database {r['database']}; {verdict}"
    )
    if r["problems"]:
        sys.exit(1)


if __name__ == "__main__":
    main()

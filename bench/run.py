"""`make bench`: Mercato under gunicorn on PostgreSQL, measured against a minimal Django.

    .venv/bin/python bench/run.py [--duration 15] [--warmup 3] [--connections 16]
        [--only NAME,NAME] [--skip-import] [--skip-buy] [--skip-sqlite-seed] [--skip-chat]

1. Times `seed_demo` on a fresh SQLite database; (re)creates the PostgreSQL database
   (MERCATO_BENCH_DB, default mercato_bench), migrates and seeds it (timed), builds the
   search index, and prepares the buying fixtures (bench/buy_fixtures.py).
2. Starts two servers under the same gunicorn set-up (2 workers x 4 threads, gthread,
   --reuse-port): Mercato on MERCATO_BENCH_PORT (8110), with Redis (MERCATO_BENCH_REDIS,
   default redis://127.0.0.1:6379/15, "none" to leave it out) for cache, sessions and the
   Celery broker; and the floor, bench/minimal (a Django project with no middleware, no
   sessions, one view reading one row through the ORM, one doing the conditional stock
   UPDATE) on the next port.
3. Measures every target of `targets()` below with wrk (same threads, connections,
   warm-up and duration), the floors first and again last. Each figure is reported as a
   share of the minimal floor of its kind (reads: the one-row read; writes: the hot-row
   UPDATE), the mean of its two runs; Mercato's own bare views (its whole stack around
   the same statements) are a second reference.
4. Runs the 50-buyer race (bench/buy_bench.py), bench/import_bench.py, bench/chat_bench.py
   (1,000 WebSockets on one ASGI process; it writes its own section), and writes
   bench/results/latest.json, docs/img/bench-web.svg and the web-bench, seed-bench and
   buy-bench sections of docs/performance.md.
"""

import argparse
import http.cookiejar
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from benchdb import replace_section

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
DOCS = ROOT / "docs" / "performance.md"
SVG = ROOT / "docs" / "img" / "bench-web.svg"
RESULTS = ROOT / "bench" / "results" / "latest.json"
LUA = ROOT / "bench" / "report.lua"
SHOP_LUA = ROOT / "bench" / "shop.lua"
BUY_LUA = ROOT / "bench" / "buy.lua"
FLOOR_DIR = ROOT / "bench" / "minimal"
HOST, PORT = "127.0.0.1", int(os.environ.get("MERCATO_BENCH_PORT", "8110"))
FLOOR_PORT = int(os.environ.get("MERCATO_BENCH_FLOOR_PORT", str(PORT + 1)))
BASE = f"http://{HOST}:{PORT}"
FLOOR_BASE = f"http://{HOST}:{FLOOR_PORT}"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
# Own names let two people bench on one machine without dropping each other's database.
DATABASE = os.environ.get("MERCATO_BENCH_DB", "mercato_bench")
WORKERS, THREADS = 2, 4
WRK_THREADS = 2
DEMO_USER, DEMO_PASSWORD = "ops", "mercato-demo"
SECRET = "bench-only-secret-key-not-for-production-0123456789"
# Rotating shop targets: the shop's page-cache version is bumped this often during the run,
# as a busy shop's stock changes do, so practically every request renders its page.
BUMP_SECONDS = 1.0
# What a bump moves (catalog.shopcache): a stock state going in or out moves the shop version
# alone, so product pages keep their products' documents; any other change (a price, a
# product's text, an image, a category) moves the content version too, and the documents go.
STOCK_BUMP = ("shop",)
CONTENT_BUMP = ("shop", "content")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# The targets ------------------------------------------------------------------------------
@dataclass
class Target:
    """One measured request stream. Add one to `targets()` to have it measured, reported as
    a share of its floor and drawn; `goal` is the share issue 11 or 12 asks for (None: reported)."""

    name: str
    label: str
    path: str = ""  # one URL (for "paths": a label for the table)
    paths: list[str] = field(default_factory=list)  # "paths": each request the next one
    mode: str = "get"  # get | post | paths | guest-add | order | cart (see shop.lua, buy.lua)
    server: str = "mercato"  # or "floor": bench/minimal
    floor: str = "read"  # the share is of the minimal "read" or "write" floor
    goal: float | None = None
    login: bool = False  # the back-office session cookie of DEMO_USER
    # The versions bumped every BUMP_SECONDS (STOCK_BUMP or CONTENT_BUMP; none: cache hits)
    bump: tuple[str, ...] = ()
    expect: tuple[int, ...] = (200,)  # what the probe request must answer
    group: str = "shop"  # floors | shop | buying | back office: the table's sections


def targets(ctx: dict) -> list[Target]:
    """Everything `make bench` measures, in order. `ctx` holds the URLs of the seeded
    database (bench/shop_paths.py) and the buying fixtures (bench/buy_fixtures.py)."""
    bare = ctx["bare_product_id"]
    stock = ctx.get("bare_stock_id")
    floors = [
        Target("floor_read", "minimal Django: one row read (JSON)", f"/bench/product/{bare}/",
               server="floor", group="floors"),
        Target("own_read", "Mercato's stack: the same read", f"/bench/product/{bare}/",
               goal=0.80, group="floors"),
    ]  # fmt: skip
    if stock:
        floors += [
            Target("floor_write", "minimal Django: hot-row stock UPDATE",
                   f"/bench/reserve/{stock}/", mode="post", server="floor", floor="write",
                   group="floors"),
            Target("own_write", "Mercato's stack: the same UPDATE", f"/bench/reserve/{stock}/",
                   mode="post", floor="write", group="floors"),
        ]  # fmt: skip
    shop = [
        Target("product", "product page, one URL (page cache)", ctx["product"], goal=0.70),
        Target("products", f"product pages, all {len(ctx['products']):,} on sale rotating",
               "/p/<each on-sale product>/", ctx["products"], mode="paths", goal=0.40,
               bump=STOCK_BUMP),
        # The same with every bump a price change's: no product's document survives a second.
        Target("products_content",
               f"product pages, all {len(ctx['products']):,} rotating, documents rebuilt too",
               "/p/<each on-sale product>/", ctx["products"], mode="paths",
               bump=CONTENT_BUMP),
        Target("category", "category, two facets (page cache)", ctx["category"], goal=0.50),
        Target("categories", f"categories, {len(ctx['categories'])} with a facet rotating",
               "/c/<each category>/?brand=…", ctx["categories"], mode="paths", bump=STOCK_BUMP),
        Target("search", "search, two words (result cache)", ctx["search"]),
        # Issue 11: uncached search over 100+ distinct queries at 0.30 of the floor.
        Target("searches", f"search, {len(ctx['searches'])} queries rotating",
               "/search/?q=<each query>", ctx["searches"], mode="paths", bump=STOCK_BUMP,
               goal=0.30),
    ]  # fmt: skip
    buying = []
    if stock:
        buying = [
            Target("cart_add", "add to cart, a new guest each time (form POST)", "/cart/add/",
                   ctx["guest_adds"], mode="guest-add", goal=0.40, expect=(302,),
                   group="buying"),
            Target("cart_api", "add to cart, guest with a session (API)", "/api/cart/lines",
                   mode="cart", expect=(200, 201), group="buying"),
            Target("place", "order placement, 3 lines (API)", "/api/orders", mode="order",
                   floor="write", goal=0.25, expect=(201,), group="buying"),
        ]  # fmt: skip
    back_office = [
        Target("backoffice_list", "back office: product list, logged in",
               "/backoffice/catalog/products/", login=True, group="back office"),
    ]  # fmt: skip
    again = [
        Target(f"{t.name}_again", t.label + " (again, at the end)", t.path, mode=t.mode,
               server=t.server, floor=t.floor, group="floors")
        for t in floors
        if t.server == "floor"
    ]  # fmt: skip
    return floors + shop + buying + back_office + again


# Machine ---------------------------------------------------------------------------------
def machine(pg_version: str) -> dict:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        ram = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        ram = "unknown"
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram": ram,
        "python": platform.python_version(),
        "postgresql": pg_version,
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0].split(" Copyright")[0],
        "os": platform.platform(),
    }


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    log("wrk is missing: installing Debian's package")
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)


# Database and data -----------------------------------------------------------------------
def recreate_database() -> str:
    """Drop and create the bench database; returns the server version."""
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
        return conn.execute("SHOW server_version").fetchone()[0]


def mercato(env: dict, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run([str(BIN / "mercato"), *args], env=env, check=True, cwd=ROOT)
    return round(time.perf_counter() - started, 2)


def timed_seed(env: dict) -> dict:
    mercato(env, "migrate", "--noinput", "-v0")
    return {"seconds": mercato(env, "seed_demo", "--quiet")}


def shop_urls(env: dict) -> dict:
    done = subprocess.run(
        [str(BIN / "python"), str(ROOT / "bench" / "shop_paths.py")],
        env=env, check=True, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


# catalog.shopcache's bump, one statement per version (a version's row may not exist yet).
BUMP_SQL = (
    "INSERT INTO catalog_cacheversion (name, version) VALUES (%s, 1) "
    "ON CONFLICT (name) DO UPDATE SET version = catalog_cacheversion.version + 1"
)


def bump_versions(conn, names: tuple[str, ...]) -> None:
    for name in names:
        conn.execute(BUMP_SQL, (name,))


class Bumper(threading.Thread):
    """Bumps `names` (the shop's cache versions) every BUMP_SECONDS until stopped."""

    def __init__(self, names: tuple[str, ...]):
        super().__init__(daemon=True)
        self.names = names
        self.stopped = threading.Event()
        self.bumps = 0

    def run(self):
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/{DATABASE}", autocommit=True) as conn:
            bump_versions(conn, self.names)
            while not self.stopped.wait(BUMP_SECONDS):
                bump_versions(conn, self.names)
                self.bumps += 1


def page_weight(url: str) -> dict:
    """Bytes of a page's HTML, raw and gzip-compressed (level 6, what proxies use)."""
    import gzip

    request = urllib.request.Request(url)  # noqa: S310 - our own loopback server
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        body = response.read()
    return {"html_bytes": len(body), "gzip_bytes": len(gzip.compress(body, compresslevel=6))}


# Servers ---------------------------------------------------------------------------------
def vacuum_database() -> None:
    """VACUUM (ANALYZE) the bench database before anything is measured, as autovacuum
    would in a running shop: the fixtures and every earlier run with --reuse-db churn carts,
    cart lines and sessions, and on a server without autovacuum (this machine kind's
    PostgreSQL has it off) a reused database was measured with the dead rows of every run
    before it (cart lines: 217,000 dead beside 384,000 live after a day of runs)."""
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/{DATABASE}", autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def start_gunicorn(
    env: dict, log_path: Path, *, app: str = "mercato.wsgi", port: int = PORT, chdir=ROOT
) -> subprocess.Popen:
    """gunicorn as the benches run it, each worker with its own listening socket
    (--reuse-port: gunicorn opens one per worker, and the kernel spreads new connections
    over them). With one shared socket, whichever worker woke first accepted most of the
    connections wrk opens at once and kept them for the whole run (keep-alive): one worker
    busy, the other idle, and a figure that depended on that luck (seen here: the bare
    view at 339 and at 659 requests/s in two runs, gunicorn at 100% CPU of 200%)."""
    command = [
        str(BIN / "gunicorn"), app, "-b", f"{HOST}:{port}",
        "-w", str(WORKERS), "--threads", str(THREADS), "--worker-class", "gthread",
        "--reuse-port", "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(
        command, env=env, cwd=chdir, stdout=log_path.open("w"), stderr=subprocess.STDOUT
    )
    for _ in range(120):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {log_path}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1):  # noqa: S310
                return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def floor_env(env: dict) -> dict:
    """The minimal project's environment: the same database, nothing of Mercato's."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "DATABASE_URL", "PG_PREPARE_THRESHOLD")
    return {
        **{k: v for k, v in env.items() if k in keep},
        "DJANGO_SETTINGS_MODULE": "floor.settings",
        "SECRET_KEY": SECRET,
    }


def login_cookie() -> str:
    """Log in through the back-office form; returns the Cookie header of the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{BASE}/backoffice/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    form = {"username": DEMO_USER, "password": DEMO_PASSWORD}
    if token:
        form["csrfmiddlewaretoken"] = token.group(1)
    request = urllib.request.Request(  # noqa: S310 - our own loopback server
        f"{BASE}/backoffice/login/",
        data=urllib.parse.urlencode(form).encode(),
        headers={"Referer": f"{BASE}/backoffice/login/"},
    )
    opener.open(request, timeout=10).read()
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise SystemExit(f"could not log in as {DEMO_USER}: no session cookie")
    return "; ".join(f"{k}={v}" for k, v in sorted(cookies.items()))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def probe(url: str, cookie: str = "", *, data: bytes | None = None, headers=None) -> int:
    """The status of one request, without following redirects."""
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(  # noqa: S310 - our own loopback server
        url, data=data, headers={**({"Cookie": cookie} if cookie else {}), **(headers or {})}
    )
    try:
        with opener.open(request, timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def probe_target(t: Target, base: str, ctx: dict, cookie: str) -> int:
    url = base + (t.paths[0] if t.mode == "paths" else t.path)
    if t.mode in ("get", "paths"):
        return probe(url, cookie if t.login else "")
    if t.mode == "post":
        return probe(url, data=b"")
    if t.mode == "guest-add":
        sku, page = t.paths[0].split()
        token = "probe" * 6 + "00"
        form = {"sku": sku, "quantity": "1", "next": page, "csrfmiddlewaretoken": token}
        return probe(url, data=urllib.parse.urlencode(form).encode(),
                     headers={"Cookie": f"csrftoken={token}"})  # fmt: skip
    shopper = ctx["guests" if t.mode == "cart" else "members"].read_text().split("\n", 1)[0]
    key, csrf, address = shopper.split()
    body = (
        {"sku_id": ctx["pool_sku_ids"][0], "quantity": 1}
        if t.mode == "cart"
        else {"address_id": int(address), "payment_method": "sandbox",
              "idempotency_key": f"bench-probe-{int(time.time())}"}
    )  # fmt: skip
    return probe(
        url,
        data=json.dumps(body).encode(),
        headers={"Cookie": f"sessionid={key}; csrftoken={csrf}", "X-CSRFToken": csrf,
                 "Content-Type": "application/json"},
    )  # fmt: skip


def run_wrk(url: str, script: Path, script_args: list[str], *, connections: int, duration: int,
            cookie: str = "") -> dict:  # fmt: skip
    command = [
        "wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
        "-s", str(script), *(["-H", f"Cookie: {cookie}"] if cookie else []), url,
        "--", *script_args,
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    return json.loads(line[len("BENCH ") :])


def measure(t: Target, args, ctx: dict, work: Path, cookie: str) -> dict:
    """Warm-up, then the measured run, with the script and arguments of the target's mode."""
    base = FLOOR_BASE if t.server == "floor" else BASE
    url = base + (t.path if t.mode not in ("paths",) else "/")
    if t.mode in ("paths", "guest-add"):
        listing = work / f"{t.name}.txt"
        listing.write_text("\n".join(t.paths) + "\n")
        shop_args = [t.mode, str(listing), str(WRK_THREADS)]
    else:
        shop_args = [t.mode]

    def once(duration: int, offset: int) -> dict:
        if t.mode in ("order", "cart"):
            file = ctx["members" if t.mode == "order" else "guests"]
            skus = ",".join(str(s) for s in ctx["pool_sku_ids"])
            buy_args = [t.mode, str(file), str(WRK_THREADS), str(offset), skus, "sandbox"]
            return run_wrk(url, BUY_LUA, buy_args, connections=args.connections,
                           duration=duration)  # fmt: skip
        return run_wrk(url, SHOP_LUA, shop_args, connections=args.connections,
                       duration=duration, cookie=cookie if t.login else "")  # fmt: skip

    offset = ctx.get("members_used", 0) if t.mode == "order" else 0
    if args.warmup:
        warm = once(args.warmup, offset)
        # Members place once: skip as many rounds as the busiest warm-up thread used.
        offset += warm.get("rounds_used", 0) * WRK_THREADS
    bumper = None
    if t.bump:
        bumper = Bumper(t.bump)
        bumper.start()
    try:
        result = once(args.duration, offset)
    finally:
        if bumper:
            bumper.stopped.set()
            bumper.join()
    if t.mode == "order":
        ctx["members_used"] = offset + result.get("rounds_used", 0) * WRK_THREADS
    if bumper:
        result["version_bumps"] = bumper.bumps
    status = result.get("status", {})
    if "2xx" not in status:  # buy.lua's counts
        result["status"] = {
            "2xx": status.get("2xx", 0),
            "409": status.get("409", 0),
            "4xx": status.get("other_4xx", 0),
            "5xx": status.get("5xx", 0),
        }
    return result


# Reporting -------------------------------------------------------------------------------
def floor_of(results: list[dict], kind: str) -> dict | None:
    """The minimal floor of a kind: the mean requests/s of its runs (start and end)."""
    runs = [
        r for r in results if r.get("server") == "floor" and r["floor"] == kind and r.get("rps")
    ]
    if not runs:
        return None
    return {
        "rps": sum(r["rps"] for r in runs) / len(runs),
        "runs": [round(r["rps"]) for r in runs],
        "p99_ms": sum(r["p99_ms"] for r in runs) / len(runs),
    }


def add_shares(results: list[dict]) -> dict:
    floors = {kind: floor_of(results, kind) for kind in ("read", "write")}
    own = {r["floor"]: r for r in results if r["name"] in ("own_read", "own_write")}
    for r in results:
        floor = floors.get(r["floor"])
        if floor and "rps" in r:
            r["share"] = round(r["rps"] / floor["rps"], 3)
            if r["floor"] in own and own[r["floor"]].get("rps") and r["server"] == "mercato":
                r["share_of_own"] = round(r["rps"] / own[r["floor"]]["rps"], 3)
            r["met"] = None if r.get("goal") is None else r["share"] >= r["goal"]
    return floors


def write_svg(
    targets: list[dict],
    when: str,
    *,
    path: Path = SVG,
    floor: str = "bare_row",
    title: str = "Requests/s per target",
) -> None:
    """A horizontal bar chart of requests/s per target, plain SVG (no script, no fonts).

    Targets whose name is `floor` or that run on the floor server are drawn grey.
    """
    measured = [t for t in targets if "rps" in t]
    width, bar_h, gap, left, top = 720, 22, 10, 330, 40
    height = top + len(targets) * (bar_h + gap) + 30
    peak = max((t["rps"] for t in measured), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f"<title>{title}, {when}</title>",
        f'<text x="10" y="22" font-size="15" font-weight="bold">{title} ({when})</text>',
    ]
    for i, target in enumerate(targets):
        y = top + i * (bar_h + gap)
        parts.append(f'<text x="10" y="{y + 16}">{target["label"][:52]}</text>')
        if "rps" in target:
            w = max(2, round((width - left - 110) * target["rps"] / peak))
            grey = target["name"] == floor or target.get("server") == "floor"
            colour = "#888" if grey else "#2b6cb0"
            parts.append(f'<rect x="{left}" y="{y}" width="{w}" height="{bar_h}" fill="{colour}"/>')
            share = target.get("share", target.get("ratio_rps"))
            label = f" ({share:.2f}×)" if share else ""
            parts.append(
                f'<text x="{left + w + 6}" y="{y + 16}">{target["rps"]:,.0f}{label}</text>'
            )
        else:
            parts.append(f'<text x="{left}" y="{y + 16}" fill="#b00">{target["status"]}</text>')
    parts.append(
        f'<text x="10" y="{height - 10}" font-size="11" fill="#555">(share) = requests/s '
        f"divided by the minimal Django floor's (grey) of the same run</text>"
    )
    parts.append("</svg>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts) + "\n")


def _answers(status: dict) -> str:
    return ", ".join(f"{n} {k}" for k, n in status.items() if n) or "none"


def web_section(result: dict) -> str:
    m, w, f = result["machine"], result["wrk"], result["floors"]
    read, write = f.get("read"), f.get("write")
    lines = [
        f"Run {result['date']} with `{result['command']}`, {result['minutes']} minutes; load "
        f"average {result['load_before']} before, {result['load_after']} after.",
        "",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM; PostgreSQL "
        f"{m['postgresql']}; Python {m['python']}; {m['wrk']}",
        f"- Servers, the same gunicorn set-up: {WORKERS} workers x {THREADS} threads "
        "(gthread, --reuse-port), DEBUG off, on the machine that runs the load: Mercato with "
        f"the demo data ({result['redis_note']}), and the floor, `bench/minimal` (Django "
        f"{result.get('django', '')}, no middleware, no sessions, one view per floor) on the "
        "same database, vacuumed and analysed before the first target (VACUUM (ANALYZE))",
        f"- Load: wrk -t{WRK_THREADS} -c{w['connections']} -d{w['duration']}s over loopback "
        f"after {w['warmup']} s of warm-up per target",
    ]
    if read:
        lines.append(
            f"- **Floors**: minimal Django reading one row: **{read['rps']:,.0f} requests/s** "
            f"(runs at the start and the end: {', '.join(f'{x:,}' for x in read['runs'])})"
            + (
                f"; the hot-row stock UPDATE: **{write['rps']:,.0f}/s** "
                f"({', '.join(f'{x:,}' for x in write['runs'])})"
                if write
                else ""
            )
        )
    lines += [
        "",
        "| target | requests/s | p50 ms | p99 ms | answers | share of the minimal floor | goal |",
        "|---|---:|---:|---:|---|---:|---|",
    ]
    group = None
    for t in result["targets"]:
        if t["group"] != group:
            group = t["group"]
            lines.append(f"| **{group}** | | | | | | |")
        label = f"{t['label']} `{t['path']}`" if t["mode"] != "paths" else t["label"]
        if "rps" not in t:
            lines.append(f"| {label} | {t['status']} | | | | | |")
            continue
        goal = ""
        if t.get("goal") is not None:
            goal = f"≥ {t['goal']:.2f} {'met' if t.get('met') else '**not met**'}"
        share = f"{t['share']:.2f}" if "share" in t else ""
        if t["floor"] == "write" and share:
            share += " (of the UPDATE)"
        lines.append(
            f"| {label} | {t['rps']:,.0f} | {t['p50_ms']:.1f} | {t['p99_ms']:.1f} | "
            f"{_answers(t['status'])} | {share} | {goal} |"
        )
    weight = next((t for t in result["targets"] if t.get("gzip_bytes")), None)
    lines += [
        "",
        "Shares are requests/s divided by the minimal floor's of the same run (the mean of "
        "its two runs), reads by the one-row read and writes (placement) by the hot-row "
        "UPDATE. Rotating targets request a different URL each time, round the whole list; "
        f"during them the shop's cache version is bumped every {BUMP_SECONDS:g} s (as a "
        "busy shop's stock changes do), so practically every request renders its page: they "
        "measure pages that are not in the page cache. A stock change leaves what a product "
        "page keeps of its product (its document: text, trail, images, related cards) and the "
        'warm-up fills those; the row "documents rebuilt too" bumps the content version as '
        "well, as a price or text change does, so nothing of the page is kept. Single URLs "
        "are page-cache hits after the first request. Raw figures: "
        "`bench/results/latest.json`.",
    ]
    if weight:
        lines += [
            "",
            f"Product page weight without images: {weight['html_bytes'] / 1024:.1f} KB of "
            f"HTML, **{weight['gzip_bytes'] / 1024:.1f} KB gzip-compressed**.",
        ]
    if result.get("import"):
        imp = result["import"]
        lines += [
            "",
            f"Import in the same run: {imp.get('rows', 0):,} SKU rows at "
            f"**{imp.get('rows_per_s', 0):,} rows/s**, peak RSS {imp.get('peak_rss_mib')} MiB "
            "(details in the import section below).",
        ]
    elif result.get("import_note"):
        lines += ["", f"Import: {result['import_note']}."]
    return "\n".join(lines)


def seed_section(result: dict) -> str:
    seed = result["seed_demo"]
    m = result["machine"]
    rows = [
        "| database | command | seconds |",
        "|---|---|---:|",
    ]
    if seed.get("sqlite"):
        rows.append(
            f"| SQLite (WAL, fresh file, migrated) | `mercato seed_demo` | "
            f"{seed['sqlite']['seconds']} |"
        )
    rows.append(
        f"| PostgreSQL {m['postgresql']} (fresh database) | `mercato seed_demo` | "
        f"{seed['postgresql']['seconds']} |"
    )
    return "\n".join(
        [
            f"Run {result['date']} by `{result['command']}` on {m['nproc']} CPUs ({m['cpu']}).",
            "",
            *rows,
            "",
            "Seconds of the `seed_demo` process alone, start-up included: 2,000 products, 8,000 "
            "SKUs, 105 categories, 150 brands, 6 warehouses, 22 staff, 5,000 customers with "
            "about 6,800 addresses. The issue asks for under 60 s on SQLite.",
        ]
    )


def race_section(result: dict) -> str:
    r = result["race"]
    place = next((t for t in result["targets"] if t["name"] == "place" and t.get("rps")), None)
    lines = [f"Run {result['date']} with `{result['command']}` (the same run as above)."]
    if place:
        lines += [
            "",
            f"**Order placement: {place['rps']:,.0f} orders/s = {place['share']:.0%} of the "
            f"minimal hot-row UPDATE** ({result['floors']['write']['rps']:,.0f}/s)"
            + (
                f", {place['share_of_own']:.0%} of Mercato's own bare UPDATE"
                if place.get("share_of_own")
                else ""
            )
            + f"; p99 {place['p99_ms']:.0f} ms. Each request is another member's cart of 3 "
            "lines (SKUs from a pool of 60 with stock in every warehouse, addresses in six "
            "provinces): re-pricing, shipping fee, stock reserved with row locks and ledger "
            "rows, order, lines, event, cart emptied, in one transaction; payment `sandbox`.",
        ]
    import buy_bench  # bench/ is on the path when the buying targets ran

    return "\n".join(lines + buy_bench.race_lines(r))


def update_docs(result: dict) -> None:
    text = DOCS.read_text() if DOCS.exists() else "# Performance\n"
    text = replace_section(text, "web-bench", web_section(result))
    text = replace_section(text, "seed-bench", seed_section(result))
    if result.get("race"):
        text = replace_section(text, "buy-bench", race_section(result))
    DOCS.write_text(text)


# Main ------------------------------------------------------------------------------------
def run_import_bench() -> tuple[dict | None, str]:
    script = ROOT / "bench" / "import_bench.py"
    log("import benchmark: bench/import_bench.py --json")
    done = subprocess.run(
        [str(BIN / "python"), str(script), "--json", "--database", f"{DATABASE}_import"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    if done.returncode != 0:
        return None, f"bench/import_bench.py failed (exit {done.returncode})"
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("["):
            return json.loads(line)[-1], ""
        if line.startswith("{"):
            return json.loads(line), ""
    return None, "bench/import_bench.py printed no JSON"


def run_chat_bench(no_docs: bool) -> tuple[dict | None, str]:
    """bench/chat_bench.py (1,000 WebSockets on one ASGI process) in a process of its own; it
    writes its own section of docs/performance.md."""
    script = ROOT / "bench" / "chat_bench.py"
    log("live chat benchmark: bench/chat_bench.py")
    done = subprocess.run(
        [str(BIN / "python"), str(script), *(["--no-docs"] if no_docs else [])],
        capture_output=True, text=True, cwd=ROOT / "bench",
        env={**os.environ, "MERCATO_BENCH_DB": f"{DATABASE}_chat"},
    )  # fmt: skip
    if done.returncode != 0:
        return None, f"bench/chat_bench.py failed (exit {done.returncode})"
    return json.loads(done.stdout), ""


def redis_for_bench() -> str | None:
    url = os.environ.get("MERCATO_BENCH_REDIS", "redis://127.0.0.1:6379/15")
    if url == "none":
        return None
    import redis

    try:
        client = redis.Redis.from_url(url)
        client.ping()
        client.flushdb()  # our own database number: stale sessions and queued tasks go
    except redis.RedisError as exc:
        log(f"Redis at {url} does not answer ({exc}); cache, sessions and tasks stay embedded")
        return None
    return url


def bench_base_env(work: Path) -> dict:
    """The environment of the bench's commands and servers, without a database or Redis:
    files under `work`, no debug, a fixed secret, the sandbox payment on."""
    env = {
        **os.environ,
        "MERCATO_VAR_DIR": str(work / "var"),
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": SECRET,
        # Placement pays with the sandbox, which is off unless switched on (issue 10): the
        # run of 2026-12-04 without these answered every placement 422.
        "MERCATO_PAYMENT_METHODS": "cod,sandbox",
        "MERCATO_UNSAFE_ALLOW_SANDBOX": "1",
    }
    for name in ("DATABASE_URL", "REDIS_URL", "CACHE_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    return env


def bench_env(work: Path, redis: str | None) -> dict:
    """bench_base_env on the bench's PostgreSQL database, the bench views on, and Redis
    (cache, sessions, broker) when given."""
    env = {
        **bench_base_env(work),
        "DATABASE_URL": f"{PG_SERVER}/{DATABASE}",
        "MERCATO_BENCH_VIEWS": "1",
    }
    if redis:
        env.update(REDIS_URL=redis, CELERY_BROKER_URL=redis)
    return env


def main() -> None:
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per target (15)")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up seconds per target (3)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--members", type=int, default=12000, help="members with a cart")
    parser.add_argument("--only", default="", help="measure only these targets (names, comma)")
    parser.add_argument("--skip-import", action="store_true", help="do not run the import bench")
    parser.add_argument("--skip-chat", action="store_true", help="do not run the chat bench")
    parser.add_argument("--skip-buy", action="store_true", help="no buying targets, no race")
    parser.add_argument("--skip-sqlite-seed", action="store_true", help="no SQLite seed timing")
    parser.add_argument("--reuse-db", action="store_true", help="the database is seeded already")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite the docs")
    args = parser.parse_args()
    if args.duration < 1 or args.connections < 1 or args.warmup < 0:
        parser.error("--duration and --connections must be at least 1, --warmup at least 0")
    ensure_wrk()
    command = "make bench" if os.environ.get("MAKELEVEL") else "python bench/run.py"
    if sys.argv[1:]:
        command = "python bench/run.py " + " ".join(sys.argv[1:])
    load_before = round(os.getloadavg()[0], 2)

    work = Path(tempfile.mkdtemp(prefix="mercato-bench-"))
    base_env = bench_base_env(work)

    seeds = {}
    if not args.skip_sqlite_seed and not args.reuse_db:
        log("seed_demo on a fresh SQLite database")
        seeds["sqlite"] = timed_seed({**base_env, "MERCATO_VAR_DIR": str(work / "sqlite")})

    redis = redis_for_bench()  # flushed before the fixtures put sessions into it
    env = bench_env(work, redis)
    if args.reuse_db:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres") as conn:
            pg_version = conn.execute("SHOW server_version").fetchone()[0]
        seeds["postgresql"] = {"seconds": None}
    else:
        log(f"PostgreSQL: recreating {DATABASE}, migrating, seeding")
        pg_version = recreate_database()
        seeds["postgresql"] = timed_seed(env)
        # seed_demo bulk-creates (no signals): build the search index as `make demo` does.
        mercato(env, "rebuild_search_index", "--quiet")
    mercato(env, "collectstatic", "--noinput", "-v0")
    ctx = shop_urls(env)
    if not args.skip_buy:
        sys.path.insert(0, str(ROOT / "bench"))
        import buy_bench

        log(f"buying fixtures: {args.members:,} members with a cart of 3 lines, guests, race")
        ctx.update(buy_bench.fixtures(env, "prepare", work, "--members", str(args.members)))
        fixtures = json.loads((work / "fixtures.json").read_text())
        ctx["race"] = fixtures["race"]
        ctx["members"], ctx["guests"] = work / "members.txt", work / "guests.txt"
        ctx["guest_adds"] = [f"{sku} {page}" for sku, page in fixtures["pool_pages"].items()]
    vacuum_database()
    plan = targets(ctx)
    if args.only:
        wanted = set(args.only.split(","))
        plan = [t for t in plan if t.name in wanted or t.server == "floor"]

    results = []
    floor_server = start_gunicorn(
        floor_env(env), work / "floor.log", app="floor.wsgi", port=FLOOR_PORT, chdir=FLOOR_DIR
    )
    server = start_gunicorn(env, work / "gunicorn.log")
    race = None
    try:
        cookie = login_cookie()
        for t in plan:
            entry = {**asdict(t), "paths": len(t.paths)}
            status = probe_target(t, FLOOR_BASE if t.server == "floor" else BASE, ctx, cookie)
            entry["probe"] = status
            if status not in t.expect:
                entry["status"] = "missing (HTTP 404)" if status == 404 else f"HTTP {status}"
                log(f"{t.label}: {entry['status']}, not measured")
                results.append(entry)
                continue
            log(f"{t.label}: warm-up {args.warmup} s, then {args.duration} s")
            entry.update(measure(t, args, ctx, work, cookie))
            results.append(entry)
            log(f"  {entry['rps']:,.0f} requests/s, p99 {entry['p99_ms']:.0f} ms, "
                f"{_answers(entry['status'])}")  # fmt: skip
        if not args.skip_buy:
            log("race: 50 buyers, 20 units")
            race = buy_bench.race(ctx["race"]["buyers"], "sandbox")
        weight = next((r for r in results if r["name"] == "product" and r.get("rps")), None)
        if weight:
            weight.update(page_weight(BASE + weight["path"]))
    finally:
        for s in (server, floor_server):
            s.terminate()
            s.wait(timeout=30)
    if race is not None:
        race["units"] = ctx["race"]["units"]
        race["database"] = buy_bench.fixtures(env, "check-race", work)
        race["problems"] = buy_bench.race_verdict(race, ctx["race"]["units"])
    floors = add_shares(results)

    imported, import_note = (None, "skipped (--skip-import)")
    if not args.skip_import:
        imported, import_note = run_import_bench()
    chat, chat_note = (None, "skipped (--skip-chat)")
    if not args.skip_chat:
        chat, chat_note = run_chat_bench(args.no_docs)
    if redis:
        redis_for_bench()  # flush what the run left in our Redis database

    import django

    result = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
        "minutes": round((time.perf_counter() - started) / 60, 1),
        "load_before": load_before,
        "load_after": round(os.getloadavg()[0], 2),
        "machine": machine(pg_version),
        "django": django.get_version(),
        "server": {"workers": WORKERS, "threads": THREADS, "bind": BASE, "floor": FLOOR_BASE},
        "redis_note": "Redis for cache, sessions and the Celery broker"
        if redis
        else "no Redis: local-memory cache, Celery tasks in-process",
        "wrk": {
            "threads": WRK_THREADS,
            "connections": args.connections,
            "duration": args.duration,
            "warmup": args.warmup,
        },
        "floors": floors,
        "seed_demo": seeds,
        "targets": results,
        "race": race,
        "import": imported,
        "import_note": import_note,
        "chat": chat,
        "chat_note": chat_note,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    if not args.no_docs:
        write_svg(results, result["date"], title="Requests/s per target")
        update_docs(result)
    shutil.rmtree(work, ignore_errors=True)
    for t in results:
        if "rps" in t:
            goal = ""
            if t.get("goal") is not None:
                goal = f"  goal {t['goal']:.2f} {'met' if t.get('met') else 'NOT MET'}"
            print(
                f"{t['label'][:52]:<52} {t['rps']:>8,.0f} req/s  p99 {t['p99_ms']:7.1f} ms  "
                f"share {t.get('share', 0):.2f}{goal}"
            )
        else:
            print(f"{t['label'][:52]:<52} {t['status']}")
    if race:
        print(f"race: {race['statuses']} in {race['wall_s']} s; problems: {race['problems']}")
    if imported:
        print(f"import: {imported.get('rows_per_s', 0):,} rows/s, peak RSS "
              f"{imported.get('peak_rss_mib')} MiB")  # fmt: skip
    if chat:
        c = chat["load"]
        print(f"chat: {c['held_at_end']:,} sockets held, message p50 {c['p50_ms']} ms, "
              f"p99 {c['p99_ms']} ms")  # fmt: skip
    written = "" if args.no_docs else f", {SVG.relative_to(ROOT)}, docs/performance.md"
    print(f"{result['minutes']} minutes; written: {RESULTS.relative_to(ROOT)}{written}")


if __name__ == "__main__":
    main()

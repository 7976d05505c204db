"""The fixed cost of a request, in-process: the WSGI application called directly.

    .venv/bin/python bench/request_profile.py [--project mercato|floor] [-n 400]
        [--cookie "k=v; ..."] [--post FORM] [--profile] [--calls] [--cold | --bump]
        PATH [PATH ...]

Calls the project's WSGI application (gunicorn's entry point, middleware and all) for each
PATH in turn, -n rounds, and prints per path the median and 10th percentile of the wall
time and of this thread's CPU time, and the queries of one request. `--project floor` runs
the minimal floor project (bench/minimal) instead of Mercato; `--profile` adds cProfile's
heaviest functions; `--calls` prints the Python function calls per request instead of
timing (cProfile's count: the same on every run, whatever the machine's load).
`--post FORM` POSTs that url-encoded form instead of a GET, its csrfmiddlewaretoken sent
as the CSRF cookie too: without --cookie every request is a new visitor (a new guest's
add to cart: sku=…&quantity=1&next=…&csrfmiddlewaretoken=…).
Needs DATABASE_URL (the bench database) and, for Mercato's bare views,
MERCATO_BENCH_VIEWS=1. Timers in-process are steadier than requests/s on a shared machine.
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def environ_for(path: str, cookie: str, method: str = "GET", body: bytes = b"") -> dict:
    path, _, query = path.partition("?")
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "request_profile",
        "HTTP_ACCEPT": "*/*",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    if cookie:
        env["HTTP_COOKIE"] = cookie
    if body:
        env["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        env["CONTENT_LENGTH"] = str(len(body))
    return env


def call(app, path: str, cookie: str, body: bytes = b"") -> tuple[str, int]:
    status = []

    def start_response(s, headers, exc_info=None):
        status.append(s)

    environ = environ_for(path, cookie, "POST" if body else "GET", body)
    chunks = app(environ, start_response)
    size = sum(len(c) for c in chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return status[0], size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--project", choices=["mercato", "floor"], default="mercato")
    parser.add_argument("-n", type=int, default=400, help="rounds (400)")
    parser.add_argument("--cookie", default="")
    parser.add_argument(
        "--post",
        default="",
        help="POST this url-encoded form body instead of GET; a csrfmiddlewaretoken in it "
        "is sent as the csrftoken cookie too (without --cookie: a new guest each request)",
    )
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--calls", action="store_true", help="Python function calls per request, not timings"
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="clear the cache before each request (untimed): every page, card and result "
        "is rendered afresh, as after a shop version bump",
    )
    parser.add_argument(
        "--bump",
        action="store_true",
        help="bump the shop version before each request (untimed), as bench/run.py's rotating "
        "targets do: no page is in the page cache; what is kept under other keys stays (each "
        "path is requested once, untimed, before the rounds)",
    )
    args = parser.parse_args()
    if args.project == "floor":
        sys.path.insert(0, str(ROOT / "bench" / "minimal"))
        os.environ["DJANGO_SETTINGS_MODULE"] = "floor.settings"
        from floor.wsgi import application as app
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mercato.settings")
        from mercato.wsgi import application as app
    from django.core.cache import cache
    from django.db import connection

    def backend_cpu() -> float | None:
        """The PostgreSQL backend's CPU seconds so far (same machine only)."""
        from orders_bench import backend_cpu_seconds

        return backend_cpu_seconds(connection) if connection.vendor == "postgresql" else None

    def bump() -> None:
        with connection.cursor() as cursor:  # bench/run.py's Bumper
            cursor.execute(
                "UPDATE catalog_cacheversion SET version = version + 1 WHERE name = 'shop'"
            )

    body = args.post.encode()
    token = dict(urllib.parse.parse_qsl(args.post)).get("csrfmiddlewaretoken")
    cookie = "; ".join(c for c in (args.cookie, token and f"csrftoken={token}") if c)
    for path in args.paths:
        # "@FILE": a different path of FILE for each request, in turn.
        rotation = Path(path[1:]).read_text().split() if path.startswith("@") else [path]
        for i in range(20):  # warm: imports, URL resolver, templates, prepared statements
            call(app, rotation[-1 - i % len(rotation)], cookie, body)
        if args.bump:  # each path once: what outlives a bump is kept, as in a long run
            for each in rotation:
                call(app, each, cookie, body)
        queries: list[str] = []

        def record(execute, sql, *rest, queries=queries):
            queries.append(sql)
            return execute(sql, *rest)

        if args.cold:
            cache.clear()
        if args.bump:
            bump()
        with connection.execute_wrapper(record):
            status, size = call(app, rotation[-21 % len(rotation)], cookie, body)
        if args.calls:
            counter = cProfile.Profile()
            counter.enable()
            for i in range(args.n):
                call(app, rotation[i % len(rotation)], cookie, body)
            counter.disable()
            calls = pstats.Stats(counter).total_calls / args.n
            print(f"{path}: {status}, {size} bytes, {len(queries)} queries; {calls:,.1f} calls")
            continue
        backend = backend_cpu()
        wall, cpu = [], []
        # Thread CPU time: waiting for the database is not the cost looked for.
        profiler = cProfile.Profile(time.thread_time) if args.profile else None
        for i in range(args.n):
            if args.cold:
                cache.clear()
            if args.bump:
                bump()
            w, c = time.perf_counter(), time.thread_time()
            if profiler:
                profiler.enable()
            call(app, rotation[i % len(rotation)], cookie, body)
            if profiler:
                profiler.disable()
            cpu.append(time.thread_time() - c)
            wall.append(time.perf_counter() - w)
        backend = backend_cpu() - backend if backend is not None else None
        q = statistics.quantiles
        print(
            f"{path}: {status}, {size} bytes, {len(queries)} queries; wall median "
            f"{statistics.median(wall) * 1000:.3f} ms (p10 {q(wall, n=10)[0] * 1000:.3f}); "
            f"CPU median {statistics.median(cpu) * 1000:.3f} ms (p10 {q(cpu, n=10)[0] * 1000:.3f})"
            + (
                ""
                if backend is None
                else f"; PostgreSQL backend CPU {backend / args.n * 1000:.3f} ms a request "
                "(untimed bumps included)"
            )
        )
        for sql in queries:
            print(f"    {sql[:200]}")
        if profiler:
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(int(os.environ.get("PROFILE_LINES", 45)))
            stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()

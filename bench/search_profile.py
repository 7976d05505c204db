"""Where an uncached search spends its time: queries and Python.

    DATABASE_URL=postgres://.../mercato_bench .venv/bin/python bench/search_profile.py \
        [--rounds 2] [--profile 25]

Runs in-process with Django's test client against a seeded, indexed database, with the
result cache off (MERCATO_SEARCH_CACHE_SECONDS=0): searches every query of the rotation
(bench/search_queries.py, the judged shopper queries), prints milliseconds per request
(median, p90), the queries per request grouped by statement shape, and cProfile's
heaviest functions. Read-only apart from the search counts it writes.
"""

import argparse
import cProfile
import os
import pstats
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mercato.settings")
os.environ["MERCATO_SEARCH_CACHE_SECONDS"] = "0"

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from search_queries import search_paths  # noqa: E402


def shape(sql: str) -> str:
    sql = re.sub(r"'[^']*'", "?", sql)
    sql = re.sub(r"\b\d+(\.\d+)?\b", "?", sql)
    sql = re.sub(r"(\?, )+\?", "?…", sql)
    sql = re.sub(r"(%s, )+%s", "%s…", sql)
    return sql[:150]


class QueryTimer:
    def __init__(self):
        self.queries: list[tuple[str, float]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((sql, time.perf_counter() - started))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="passes over the queries")
    parser.add_argument("--profile", type=int, default=25, help="functions to list")
    args = parser.parse_args()
    from django.conf import settings

    settings.MERCATO_SEARCH_CACHE_SECONDS = 0
    settings.MERCATO_SEARCH_COUNT_SECONDS = 10
    client = Client()
    paths = search_paths()
    for path in paths[:20]:  # warm up: jieba, the dictionary, prepared statements
        assert client.get(path).status_code == 200
    walls, db_ms, counts = [], [], Counter()
    profile = cProfile.Profile()
    for _ in range(args.rounds):
        for path in paths:
            timer = QueryTimer()
            started = time.perf_counter()
            with connection.execute_wrapper(timer):
                profile.enable()
                response = client.get(path)
                profile.disable()
            walls.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, path
            db_ms.append(sum(t for _sql, t in timer.queries) * 1000)
            counts.update(shape(sql) for sql, _t in timer.queries)
    n = len(walls)
    walls.sort()
    print(f"{n} searches over {len(paths)} distinct queries, result cache off")
    print(
        f"wall ms: median {statistics.median(walls):.2f}, p90 {walls[int(n * 0.9)]:.2f}; "
        f"database ms median {statistics.median(db_ms):.2f}"
    )
    print("queries per request:")
    for sql, k in counts.most_common():
        print(f"  {k / n:5.2f}  {sql}")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()

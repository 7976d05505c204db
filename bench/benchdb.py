"""What the PostgreSQL benches share: a database made afresh, and Django set up on it in
the bench's own process (`python bench/<name>.py` puts this folder on sys.path)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("MERCATO_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DOCS = ROOT / "docs" / "performance.md"


def recreate_database(name: str) -> str:
    """Drop `name` (whoever is still connected) and create it empty; the server version."""
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        return conn.execute("SHOW server_version").fetchone()[0]


def setup_django(name: str, *, without=("CELERY_BROKER_URL",), defaults=None) -> None:
    """Django on database `name`, its tables migrated. The variables in `without` are
    removed (no broker: tasks run in-process), `defaults` set where the caller has none."""
    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{name}"
    for variable in without:
        os.environ.pop(variable, None)
    base = {"DJANGO_SETTINGS_MODULE": "mercato.settings", "LOG_LEVEL": "WARNING"}
    for variable, value in {**base, **(defaults or {})}.items():
        os.environ.setdefault(variable, value)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def replace_section(text: str, name: str, body: str, heading: str = "") -> str:
    """`text` with `body` between its <!-- name --> and <!-- /name --> markers; appended at
    the end (under `## heading` when given) while the markers are not there yet."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    section = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        return head + section + rest.split(end, 1)[1]
    title = f"## {heading}\n\n" if heading else ""
    return text.rstrip("\n") + "\n\n" + title + section + "\n"


def write_section(name: str, heading: str, body: str) -> None:
    """A bench's figures into its own section of docs/performance.md."""
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Performance\n"
    DOCS.write_text(replace_section(text, name, body, heading), encoding="utf-8")


def timed(run, *, runs: int = 7, cpu: list | None = None) -> tuple[float, float, object]:
    """(median ms, max ms, last result) of `runs` calls of `run`. `cpu`, when given, is
    filled with the CPU ms this process (Django, not PostgreSQL) spent in each call: on a
    loaded machine the wall time is mostly waiting for a core."""
    import statistics
    import time

    timings, result = [], None
    if cpu is not None:
        cpu.clear()
    for _ in range(runs):
        began, used = time.perf_counter(), time.process_time()
        result = run()
        timings.append((time.perf_counter() - began) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - used) * 1000)
    return round(statistics.median(timings), 2), round(max(timings), 2), result


def save_results(path: Path, result: dict) -> None:
    """Print a benchmark's figures and keep them as bench/results/<name>-latest.json."""
    import json

    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    path.parent.mkdir(exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")


def solver_machine() -> str:
    """The machine line of the scipy benches: CPUs and their model, the load when the run
    ended, the Python, NumPy and SciPy versions."""
    import platform

    import numpy
    import scipy

    model = platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (
        f"{os.cpu_count()} CPUs ({model}), load average {os.getloadavg()[0]:.1f} when the run "
        f"ended (shared with other work); Python {platform.python_version()}, "
        f"NumPy {numpy.__version__}, SciPy {scipy.__version__} (HiGHS)"
    )


def finish(result: dict, *, results: Path, write_docs, no_docs: bool) -> None:
    """Save the figures; unless `no_docs`, write them to docs/performance.md with the
    command that produced them."""
    save_results(results, result)
    if not no_docs:
        script = Path(sys.argv[0]).name
        write_docs(result, f"python bench/{script} " + " ".join(sys.argv[1:]))


def solver_bench_args(**options: int):
    """The scipy benches' command line (--seed, --no-docs and `options`: --name N, with
    these defaults), then Django set up on the default settings (they read no database)."""
    import argparse

    parser = argparse.ArgumentParser()
    for name, default in {**options, "seed": 1}.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mercato.settings")
    import django

    django.setup()
    return args

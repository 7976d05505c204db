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

"""A check, run under every test, that an app's own SQL names only the app's own tables.

DESIGN.md: each app changes its own tables through its own services, and reads another
app's data through that app's selectors and services. The ORM keeps to that by
construction (a model belongs to one app; a queryset another app's selector returned is
that app's query); raw SQL does not, so every statement sent through Django's cursors is
looked at (connection.execute_wrappers): an INSERT, UPDATE or DELETE on a table of app A,
or a read of it (FROM, JOIN), executed directly by a module of app B (the frame that
called `cursor.execute`), is recorded, and the test that ran it fails
(mercato/conftest.py). READS_ALLOWED lists the few reads that stay, with the reason.

Statements the ORM builds, migrations and the tests' own SQL are not judged: their caller
is Django or a test module. Tables are known by their models (`_meta.db_table`, so
auto-created many-to-many tables count) and, for tables without a model (search's FTS
table), by the `<app label>_` prefix.
"""

import re
import sys
import threading

from django.apps import apps
from django.db.backends.signals import connection_created

# The table after INSERT INTO / UPDATE / DELETE FROM, wherever it stands (CTEs included);
# words that follow UPDATE in other roles (DO UPDATE SET, FOR UPDATE OF) are no tables.
WRITE = re.compile(r'\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:ONLY\s+)?"?(\w+)"?', re.I)
# Every table a statement names after FROM, JOIN, INTO or UPDATE: what it reads or writes.
# (A second table of a comma list, "FROM a, b", is not seen; our SQL joins with JOIN.)
NAMED = re.compile(r'\b(?:FROM|JOIN|INTO|UPDATE)\s+(?:ONLY\s+)?"?(\w+)"?', re.I)

# Frames between the app's `cursor.execute` and this wrapper, and helpers that run the
# statements their caller built (judged as the caller's).
_PLUMBING = ("django.db.backends.", "django.db.utils", "contextlib", __name__)
# (core.db.insert_after runs the caller's statement with the model instances it was given:
# a new guest's session row and the cart's own rows, judged as the cart's.)
_RUNS_CALLERS_SQL = {("mercato.core.db", "execute_together"), ("mercato.core.db", "insert_after")}
# Helpers that write model instances they are given, as the ORM's bulk_create does: not
# judged, as the ORM is not (the model names its table; demo seeds through them).
# mercato.core.compiled runs statements the ORM built (once) from a caller's queryset;
# core.db.count_together counts querysets the owning apps' selectors built.
_WRITES_MODELS = {
    ("mercato.core.db", "insert_rows"),
    ("mercato.core.db", "count_together"),
    ("mercato.catalog.bulk", "insert_objects"),
    ("mercato.core.compiled", "rows"),
}

_found: list[str] = []
_lock = threading.Lock()
_tables: dict[str, str] | None = None


def _table_owners() -> dict[str, str]:
    global _tables
    if _tables is None:
        _tables = {
            model._meta.db_table.lower(): model._meta.app_config.name
            for model in apps.get_models(include_auto_created=True)
        }
    return _tables


def _app_of_table(table: str) -> str | None:
    """'mercato.cart' for cart_cartline; None for tables of no Mercato app."""
    table = table.lower()
    owner = _table_owners().get(table)
    if owner is None:
        for config in apps.get_app_configs():
            if table.startswith(f"{config.label}_"):
                owner = config.name
                break
    return owner if owner and owner.startswith("mercato.") else None


def _app_of_module(module: str) -> str | None:
    """'mercato.checkout' for mercato.checkout.placement; None for tests and test support,
    which may write any table to set a scene, and for modules outside Mercato."""
    parts = module.split(".")
    if parts[0] != "mercato" or len(parts) < 2:
        return None
    if parts[1] in ("testing", "conftest") or "tests" in parts or "conftest" in parts:
        return None
    return ".".join(parts[:2])


# The shared kernel's rows (outbox messages, audit entries) are made by core's functions
# and written in the caller's statements (orders puts its cancel timer in the outbox in the
# order's round trip): every app may write them.
SHARED = {"mercato.core"}


# Raw reads of another app's tables that stay, by (reading app, owning app): each needs a
# reason that no selector of the owner can serve it.
READS_ALLOWED = {
    # The search index is the catalogue's read model: building its documents and ranking
    # matches joins the text index (SQLite FTS5, PostgreSQL tsvector: raw SQL) with the
    # products, categories and brands it indexes, and its result cache is keyed by the
    # shop version row (catalog.shopcache).
    ("mercato.search", "mercato.catalog"),
}


def foreign_writes(sql: str, *, module: str) -> list[str]:
    """The tables of other apps that `sql`, executed by `module`, writes."""
    app = _app_of_module(module)
    if app is None:
        return []
    return [
        table
        for table in WRITE.findall(sql)
        if (owner := _app_of_table(table)) is not None and owner not in (app, *SHARED)
    ]


def foreign_reads(sql: str, *, module: str) -> list[str]:
    """The tables of other apps that `sql`, executed by `module`, reads (or writes: a
    write names its table too), but for READS_ALLOWED."""
    app = _app_of_module(module)
    if app is None:
        return []
    return [
        table
        for table in NAMED.findall(sql)
        if (owner := _app_of_table(table)) is not None
        and owner not in (app, *SHARED)
        and (app, owner) not in READS_ALLOWED
    ]


def _caller_module(frame) -> tuple[str, int]:
    """The module (and line) whose SQL this is; "" when the ORM or a model helper built it."""
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        where = (module, frame.f_code.co_name)
        if where in _WRITES_MODELS:
            return "", 0
        if not module.startswith(_PLUMBING) and where not in _RUNS_CALLERS_SQL:
            return module, frame.f_lineno
        frame = frame.f_back
    return "", 0


def _text(sql) -> str:
    if isinstance(sql, str):
        return sql
    try:  # psycopg.sql.Composed and friends
        return sql.as_string(None)
    except Exception:  # noqa: BLE001 - anything else: judge its repr
        return str(sql)


def _parts(frame, text: str, module: str) -> list[tuple[str, str]]:
    """(sql, module whose SQL it is) of each statement `text` is made of: the parts of
    core.db.execute_together, a core.db.Statement judged as the module that built it (an
    app's service writing its own table in another app's round trip), a plain
    (sql, params) as the caller's; else the statement itself, as `module`'s."""
    from mercato.core.db import Statement

    while frame is not None:
        if (frame.f_globals.get("__name__"), frame.f_code.co_name) == (
            "mercato.core.db",
            "execute_together",
        ):
            run = frame.f_locals
            # One by one (SQLite): the part being run; else all of them, in one statement.
            parts = [run["statement"]] if "statement" in run else run["statements"]
            return [(_text(s[0]), s.module if isinstance(s, Statement) else module) for s in parts]
        frame = frame.f_back
    return [(text, module)]


def check_writes(execute, sql, params, many, context):
    """A connection.execute_wrappers entry: record foreign writes, then run the statement."""
    text = _text(sql)
    if NAMED.search(text):
        module, line = _caller_module(sys._getframe(1))
        for part, owner in _parts(sys._getframe(1), text, module):
            found = []
            if tables := foreign_writes(part, module=owner):
                found.append(f"writes {', '.join(sorted(set(tables)))} (call that app's services)")
            elif tables := foreign_reads(part, module=owner):
                found.append(f"reads {', '.join(sorted(set(tables)))} (call that app's selectors)")
            if found:
                with _lock:
                    _found.append(
                        f"{owner}:{line} {found[0]}, another app's table: {part.strip()[:200]}"
                    )
    return execute(sql, params, many, context)


def _install(connection, **kwargs) -> None:
    if check_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(check_writes)


def install() -> None:
    """Watch every connection: those open now and those opened later (other threads)."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        _install(connection)
    connection_created.connect(_install, dispatch_uid="mercato.testing.tablewrites")


def take_found() -> list[str]:
    """The foreign writes recorded since the last call, forgetting them."""
    with _lock:
        found = list(_found)
        _found.clear()
    return found

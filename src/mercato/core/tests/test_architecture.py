"""Rules of the code's shape that a reviewer would otherwise have to catch by eye."""

import ast
import re
import tomllib
from pathlib import Path

import pytest
from django.apps import apps as django_apps

import mercato
from mercato.testing import tablewrites

SRC = Path(mercato.__file__).parent


def _module_name(path: Path, src: Path = SRC) -> str:
    parts = path.relative_to(src.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path, src: Path = SRC):
    """(line, absolute module name) of every import in the file, relative ones resolved."""
    package = _module_name(path, src)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield node.lineno, module
            # `from mercato.x import tests` names the tests package too
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"


def _tests_package(module: str) -> str | None:
    """'mercato.cart.tests' for any module inside an app's tests package, else None."""
    parts = module.split(".")
    if len(parts) >= 3 and parts[0] == "mercato" and parts[2] == "tests":
        return ".".join(parts[:3])
    return None


def test_no_module_imports_another_apps_tests():
    """Shared factories and fixtures live in mercato.testing: a module imports an app's tests
    package only from inside that same package (never checkout/tests/conftest.py from
    storefront, never a test module's fixtures from another app)."""
    offences = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        own = _tests_package(_module_name(path))
        for line, module in _imported_modules(path):
            imported = _tests_package(module)
            if imported and imported != own:
                offences.append(f"{path.relative_to(SRC.parent)}:{line} imports {module}")
    assert not offences, "import from mercato.testing instead:\n" + "\n".join(offences)


def test_the_import_check_sees_relative_and_absolute_imports(tmp_path):
    """The check above resolves `from ...checkout.tests import x` and `import a.b.tests.c`."""
    path = tmp_path / "mercato" / "storefront" / "tests" / "test_example.py"
    path.parent.mkdir(parents=True)
    path.write_text("from ...checkout.tests.conftest import x\nimport mercato.cart.tests.helpers\n")
    modules = {m for _, m in _imported_modules(path, tmp_path / "mercato")}
    assert {"mercato.checkout.tests.conftest", "mercato.cart.tests.helpers"} <= modules
    assert _tests_package(_module_name(path, tmp_path / "mercato")) == "mercato.storefront.tests"


# The layer contract (pyproject.toml, run by `make lint`) ---------------------------------


def _layer_contract() -> dict:
    pyproject = tomllib.loads((SRC.parent.parent / "pyproject.toml").read_text())
    (contract,) = [
        c for c in pyproject["tool"]["importlinter"]["contracts"] if c["type"] == "layers"
    ]
    return contract


def _layers() -> list[set[str]]:
    """The contract's layers, top first, each the set of its app names."""
    return [
        {name.strip(" ()") for name in re.split(r"[|:]", layer)}
        for layer in _layer_contract()["layers"]
    ]


def _level(app: str) -> int:
    """0 for the top layer; higher numbers lie lower."""
    return next(i for i, layer in enumerate(_layers()) if app in layer)


def test_every_app_is_placed_in_the_layer_contract():
    """Every Mercato app in INSTALLED_APPS and every package under src/mercato is a layer of
    the contract (or one of its named exceptions, which are not apps): a new app fails
    until DESIGN.md's place for it is written down. lint-imports checks the same
    (`exhaustive`); this says it in the test suite too."""
    contract = _layer_contract()
    listed = set().union(*_layers())
    assert contract["containers"] == ["mercato"] and contract["exhaustive"] is True
    installed = {
        config.name.split(".")[1]
        for config in django_apps.get_app_configs()
        if config.name.startswith("mercato.")
    }
    packages = {path.parent.name for path in SRC.glob("*/__init__.py")}
    ignored = set(contract["exhaustive_ignores"])
    assert installed - listed == set(), "apps missing from pyproject's layer contract"
    assert packages - listed - ignored == set(), "packages missing from the layer contract"
    assert not installed & ignored, "an app is among the contract's exceptions"


def test_the_contract_places_apps_as_design_md_does():
    """DESIGN.md: staff and catalog are siblings over core; cart <- checkout -> orders, so
    cart and orders are siblings under checkout, orders under payments, fulfillment and
    aftersales; product reviews (which read delivered orders) above orders and below the
    front ends; the front ends on top."""
    layers = _layers()
    independent = ["|" in layer for layer in _layer_contract()["layers"]]
    assert layers[-1] == {"core"}
    catalog = _level("catalog")
    assert layers[catalog] == {"catalog", "staff"} and independent[catalog]
    assert _level("cart") == _level("orders") and independent[_level("cart")]
    assert _level("checkout") < _level("cart")
    for app in ("payments", "fulfillment", "aftersales", "reviews"):
        assert _level(app) < _level("orders")
    assert 0 < _level("reviews")
    for app in ("customers", "inventory", "search"):
        assert _level("cart") < _level(app) < catalog
    # customers <- promotions <- cart: checkout prices with promotions.
    assert _level("cart") < _level("promotions") < _level("customers")
    assert layers[0] == {"api", "backoffice", "demo", "storefront"}
    # Customer service reads orders, customers and returns; the front ends call it.
    for app in ("aftersales", "orders", "customers"):
        assert _level("service") < _level(app)
    assert _level("service") > 0


# Each app's SQL writes its own tables (mercato.testing.tablewrites, under every test) -----


def test_a_raw_write_to_another_apps_table_is_named():
    """The check behind every test: an INSERT, UPDATE or DELETE that an app's module sends
    on another app's table is reported with module and table; its own tables, core's
    shared rows, statements of tests and the ORM's are not."""
    delete = 'DELETE FROM "cart_cartline" WHERE id IN (%s)'
    assert tablewrites.foreign_writes(delete, module="mercato.checkout.placement") == [
        "cart_cartline"
    ]
    assert tablewrites.foreign_writes(delete, module="mercato.cart.services") == []
    assert tablewrites.foreign_writes(delete, module="mercato.cart.tests.test_x") == []
    assert tablewrites.foreign_writes(delete, module="django.db.models.sql.compiler") == []
    cte = (
        "WITH u AS (UPDATE inventory_stock s SET reserved = 1 RETURNING s.id) "
        "INSERT INTO inventory_reservation (id) SELECT id FROM u "
        "ON CONFLICT (id) DO UPDATE SET id = excluded.id"
    )
    assert tablewrites.foreign_writes(cte, module="mercato.orders.services") == [
        "inventory_stock",
        "inventory_reservation",
    ]
    assert tablewrites.foreign_writes(cte, module="mercato.inventory.services") == []
    outbox = "INSERT INTO core_outboxmessage (id) VALUES (%s)"
    assert tablewrites.foreign_writes(outbox, module="mercato.orders.services") == []
    lock = "SELECT id FROM cart_cart WHERE id = %s FOR UPDATE OF cart_cart"
    assert tablewrites.foreign_writes(lock, module="mercato.checkout.placement") == []


@pytest.mark.django_db
def test_statements_run_together_are_judged_as_the_apps_that_built_them():
    """core.db.execute_together sends other apps' statements in the caller's round trip
    (placement: the cart's DELETE with the order's rows): a core.db.Statement is judged as
    the module that built it, a plain (sql, params) as the caller's."""
    from mercato.cart.models import CartLine
    from mercato.core.db import Statement, execute_together

    delete = f'DELETE FROM "{CartLine._meta.db_table}" WHERE "id" = %s'  # noqa: S608
    runner = {"__name__": "mercato.orders.services", "execute_together": execute_together}
    exec("def run(statements):\n    return execute_together(statements)\n", runner)  # noqa: S102
    tablewrites.take_found()
    runner["run"]([Statement(delete, [0], "mercato.cart.services")] * 2)
    assert tablewrites.take_found() == []
    runner["run"]([Statement(delete, [0], "mercato.cart.services"), (delete, [0])])
    (found,) = tablewrites.take_found()
    assert found.startswith("mercato.orders.services:") and "writes cart_cartline" in found


def test_a_raw_read_of_another_apps_table_is_named():
    """Reads too: placement's old statements (checkout reading the cart's lines with the
    catalogue's SKUs, and the cart row with orders' key check) are named; the same tables
    read by their own apps, and search's allowed reads of the catalogue, are not."""
    lines = (
        "SELECT l.id, s.code FROM cart_cartline l JOIN catalog_sku s ON s.id = l.sku_id "
        "LEFT JOIN (SELECT r.first_fee FROM checkout_shippingrate r) rate ON 1 = 1"
    )
    assert tablewrites.foreign_reads(lines, module="mercato.checkout.placement") == [
        "cart_cartline",
        "catalog_sku",
    ]
    assert tablewrites.foreign_reads(lines, module="mercato.cart.selectors") == [
        "catalog_sku",
        "checkout_shippingrate",
    ]
    lock = (
        "SELECT c.id, (SELECT o.id FROM orders_order o WHERE o.idempotency_key = %s) "
        "FROM cart_cart c WHERE c.id = %s FOR UPDATE OF c"
    )
    assert tablewrites.foreign_reads(lock, module="mercato.checkout.placement") == [
        "orders_order",
        "cart_cart",
    ]
    own = 'SELECT id FROM "inventory_stock" WHERE sku_id IN (%s) ORDER BY id FOR UPDATE'
    assert tablewrites.foreign_reads(own, module="mercato.inventory.reservations") == []
    assert tablewrites.foreign_reads(own, module="mercato.inventory.tests.test_x") == []
    search = 'SELECT p.name FROM search_searchdocument d JOIN "catalog_product" p ON p.id = d.id'
    assert tablewrites.foreign_reads(search, module="mercato.search.backends.database") == []
    assert ("mercato.search", "mercato.catalog") in tablewrites.READS_ALLOWED
    assert len(tablewrites.READS_ALLOWED) == 1, "a new exception needs its reason written down"


def _found_when_checkout_runs(statement: str) -> list[str]:
    """What the check records when a module named as checkout's runs `statement` (with
    one parameter, -1) through Django's cursor, on line 4 of its file."""
    code = (
        "from django.db import connection\n"
        "def run():\n"
        "    with connection.cursor() as cursor:\n"
        f"        cursor.execute({statement!r}, [-1])\n"
    )
    namespace = {"__name__": "mercato.checkout.example"}
    exec(compile(code, "example.py", "exec"), namespace)  # noqa: S102 - a fixed snippet
    tablewrites.take_found()
    namespace["run"]()
    return tablewrites.take_found()


@pytest.mark.django_db
def test_a_raw_read_is_seen_on_the_tests_connection():
    """A SELECT an app's module sends on another app's table through Django's cursor is
    recorded as a read; one through a queryset (the ORM, another app's selector) is not."""
    from mercato.cart.models import CartLine

    (found,) = _found_when_checkout_runs("SELECT id FROM cart_cartline WHERE id = %s")
    assert found.startswith("mercato.checkout.example:4 reads cart_cartline")
    list(CartLine.objects.filter(pk=-1).values("sku__code"))
    assert tablewrites.take_found() == []


@pytest.mark.django_db
def test_the_check_watches_the_tests_connection():
    """SQL an app's module executes through Django's cursor is seen (here a module named as
    checkout's runs a DELETE on the cart's table), and the write still happens."""
    (found,) = _found_when_checkout_runs("DELETE FROM cart_cartline WHERE id = %s")
    assert found.startswith("mercato.checkout.example:4 writes cart_cartline")


def test_every_slow_entry_names_a_test_that_exists():
    """conftest.SLOW (what CI's SQLite pass leaves to its PostgreSQL pass) names files and
    test functions that exist: a renamed test cannot silently lose its mark."""
    from mercato import conftest

    for entry in conftest.SLOW:
        path, _sep, name = entry.partition("::")
        assert (SRC / path).exists(), entry
        if name:
            assert f"def {name.split('[')[0]}(" in (SRC / path).read_text(), entry

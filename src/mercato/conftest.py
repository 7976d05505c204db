"""Fixtures shared by every app's tests, and the skips for absent services."""

import os
import shutil
import socket
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = "/usr/bin/chromium"

# The shared fixtures (factories and set-ups live beside them in mercato.testing).
pytest_plugins = ["mercato.testing.fixtures"]


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1
        ):
            return True
    except OSError:
        return False


# Tests that take minutes (demo-sized data, real processes, browsers over the demo shop,
# memory at scale): marked `slow`, so CI's SQLite pass can leave them to its PostgreSQL pass
# (`make test PYTEST_ARGS='-m "not slow"'`, .ci/run; durations in docs/operator.md). Kept on
# SQLite on purpose: one demo seed and one demo purchase (what `make demo` does there).
# Entries are "path under src/mercato" or "path::test name" (parameters included or not).
SLOW = (
    "demo/tests/test_seed_demo.py::test_same_seed_same_data_other_seed_other_data",
    "demo/tests/test_seed_demo.py::test_full_size_demo_data_set",
    "demo/tests/test_seed_demo.py::test_seeding_again_adds_and_changes_nothing",
    "demo/tests/test_seed_demo.py::test_a_larger_run_adds_only_the_difference",
    "demo/tests/test_seed_buying.py",
    "demo/tests/test_demo_processes.py",
    "demo/tests/test_home_stock.py",
    "demo/tests/test_demo_buying.py::test_a_demo_shopper_buys_with_the_sandbox_and_with_cod[13800138001]",
    "demo/tests/test_browser_demo_buy.py",
    "search/tests/test_relevance.py::test_relevance_on_the_demo_catalogue_meets_the_bar",
    "search/tests/test_defects.py::test_1_a_product_indexed_in_one_process_is_found_in_another",
    "catalog/tests/test_import_memory.py",
    "core/tests/faults/",
)


def _slow(item) -> bool:
    path = item.path.relative_to(Path(__file__).parent).as_posix()
    return any(f"{path}::{item.name}".startswith(entry) for entry in SLOW)


@pytest.hookimpl(tryfirst=True)
def pytest_itemcollected(item):
    # At collection, so `-m "not slow"` deselects them like any marker.
    if _slow(item):
        item.add_marker(pytest.mark.slow)


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    redis_url = os.environ.get("REDIS_URL", "")
    skips = {
        "postgres": None
        if vendor == "postgresql"
        else "needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)",
        "redis": None
        if redis_url and _reachable(redis_url, 6379)
        else "needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0 (CI does)",
        "browser": None
        if shutil.which(CHROMIUM) and _playwright_installed()
        else "needs Chromium at /usr/bin/chromium and playwright (apt-get install chromium)",
        "faults": None
        if shutil.which("redis-server") and vendor == "postgresql"
        else "needs PostgreSQL and redis-server (apt-get install redis-server; CI has both)",
    }
    for item in items:
        for mark, reason in skips.items():
            # The marker, not the keyword: keywords also hold the names of the folders
            # above the test (a checkout in a folder called "faults" would match).
            if reason and item.get_closest_marker(mark):
                item.add_marker(pytest.mark.skip(reason=reason))


def _playwright_installed() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="session", autouse=True)
def _private_cache():
    """A cache of this test process's own before any test's (`_fast_tests` below): a
    module's data set (mercato.testing.fixtures.rolled_back) is seeded before the per-test
    cache exists, and with REDIS_URL the default cache is a server the xdist workers share
    (another worker's warehouse list once made a whole module's placements "sold out")."""
    from django.test import override_settings

    private = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
               "LOCATION": f"session-{uuid.uuid4().hex}"}  # fmt: skip
    with override_settings(CACHES={"default": private}):
        yield


@pytest.fixture(autouse=True)
def _fast_tests(settings, tmp_path, request):
    # Each test gets an empty cache of its own: rate-limit counters, cached pages and
    # progress figures must not leak between tests or between xdist workers. Tests marked
    # `redis` use the real Redis server instead (see `redis_cache`).
    if "redis" not in request.keywords:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": f"test-{uuid.uuid4().hex}",
            }
        }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The sandbox gateway is off by default; the tests switch it on (as `make demo` does).
    # payments/tests/test_sandbox_default.py checks the default itself.
    settings.MERCATO_PAYMENTS = {"MERCATO_PAYMENT_METHODS": "cod,sandbox"}
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AXES_ENABLED = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request with a language cookie leaves
    its language active in the thread (the middleware activates, nothing resets), and a
    service's messages in the next test on the worker came out in English."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session", autouse=True)
def _watch_table_writes():
    from mercato.testing import tablewrites

    tablewrites.install()


@pytest.fixture(autouse=True)
def _own_tables_only(_watch_table_writes):
    """DESIGN.md: an app writes only its own tables and reads others' through their
    selectors. A test during which an app's own SQL wrote or read another app's table
    fails, naming the module, line and table (mercato.testing.tablewrites)."""
    from mercato.testing import tablewrites

    tablewrites.take_found()
    yield
    if found := tablewrites.take_found():
        pytest.fail("SQL named another app's table:\n" + "\n".join(found), pytrace=False)


@pytest.fixture(autouse=True)
def _mercato_celery_stays_current():
    """Tasks run in-process only through Mercato's Celery app. A test that makes another app
    current (`Celery(...)` does unless told not to) sends every later test's `.delay()` in
    this process to its broker: the fault suite once did, and 13 tests after it failed.

    Each test also starts with results joinable: Celery marks "a task is running" in one
    flag for the whole process while an eager task runs, and tasks run at once from several
    threads (the placement races) can leave it set for good; every later `.get()` in the
    process then raised "Never call result.get() within a task!"."""
    from celery.result import allow_join_result

    with allow_join_result():
        yield
    from celery import current_app

    if current_app.main != "mercato":
        current_app_name = current_app.main
        from mercato.celery import app

        app.set_current()
        pytest.fail(
            f"the test left Celery app {current_app_name!r} current: "
            "pass set_as_current=False (core/tests/faults/harness.py::broker_client)",
            pytrace=False,
        )


@pytest.fixture
def redis_cache(settings):
    """The real Redis server as the cache, under a key prefix no other test shares."""
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": prefix,
        }
    }
    from django.core.cache import cache

    yield cache
    # Only this test's keys: cache.clear() is FLUSHDB, which would empty the database under
    # a test running at the same time in another xdist worker (its rate-limit counts, say).
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def make_staff(db):
    """make_staff("operations", roles=["lead"]) → a logged-in-able staff user."""
    from mercato.staff import services

    counter = {"n": 0}

    def make(
        department: str,
        *,
        roles: list[str] | None = None,
        username: str | None = None,
        password: str = "pass-1234-word",
    ):
        counter["n"] += 1
        name = username or f"{department}{counter['n']}"
        profile = services.create_staff(
            actor=None,
            username=name,
            password=password,
            department_code=department,
            employee_no=f"E{department[:3].upper()}{counter['n']:04d}{len(name)}",
            display_name=name,
            role_codes=roles or [],
        )
        return profile.user

    return make


@pytest.fixture
def ops_user(make_staff):
    return make_staff("operations")


@pytest.fixture
def browser_page(chromium_launch_args, monkeypatch):
    """A Chromium page (1280 × 800, zh-CN, 15 s timeouts) for the browser tests; the
    page's script errors collect in `page.errors`. Resize it with set_viewport_size."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's ORM calls are
    # plain synchronous code, so tell Django not to refuse them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(**chromium_launch_args)
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        page.set_default_timeout(15000)
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        yield page
        # ORM calls made while Playwright's loop runs get a connection of their own, which
        # pytest-django does not see; close it, or the test database cannot be dropped.
        connections.close_all()
        browser.close()


@pytest.fixture
def chromium_launch_args():
    return {
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-quic",
            "--disable-sync",
        ],
    }

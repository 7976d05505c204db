"""Fixtures shared by every app's tests, and the skips for absent services."""

import os
import shutil
import socket
import uuid
from urllib.parse import urlparse

import pytest

CHROMIUM = "/usr/bin/chromium"


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1
        ):
            return True
    except OSError:
        return False


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
    }
    for item in items:
        for mark, reason in skips.items():
            if reason and mark in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


def _playwright_installed() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


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
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AXES_ENABLED = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def redis_cache(settings):
    """The real Redis server as the cache, under a key prefix no other test shares."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    from django.core.cache import cache

    yield cache
    cache.clear()


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

import json
import logging

import pytest
from django.db import connection

from mercato.core.logging import JsonFormatter, RequestIdFilter


@pytest.mark.django_db
def test_healthz_answers_ok_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_each_check(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "outbox": "ok", "expiry": "ok"},
    }


@pytest.mark.django_db
def test_readyz_is_503_and_names_the_database_when_it_is_down(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["down"] == ["database"]
    assert "connection refused" in body["checks"]["database"]


@pytest.mark.django_db
def test_an_unreachable_broker_degrades_the_shop_without_taking_it_out(client, settings):
    """The shop sells without the broker (the outbox keeps the work): /readyz stays 200 and
    names it, with the workers that cannot be reached through it; ?deep is 503 to alarm."""
    # Port 9 (discard) is closed on loopback: the broker check must fail, not hang.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["degraded"] == ["broker", "workers"]
    assert body["checks"]["workers"] == "no worker has reported"
    assert client.get("/readyz?deep=1").status_code == 503


@pytest.mark.redis
@pytest.mark.django_db
def test_readyz_checks_a_real_redis_broker(client, settings):
    import os

    settings.CELERY_BROKER_URL = os.environ["REDIS_URL"]
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "ok"


@pytest.mark.django_db
def test_every_response_carries_a_request_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32 and first != second
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    # A header that could inject into logs is replaced, not echoed.
    assert client.get("/healthz", HTTP_X_REQUEST_ID="a b\nc")["X-Request-ID"] != "a b\nc"


def test_json_log_lines_carry_the_request_id():
    record = logging.LogRecord("mercato", logging.INFO, __file__, 1, "付款 %s", ("ok",), None)
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "付款 ok"
    assert line["request_id"] == "-"
    assert line["level"] == "INFO"


@pytest.mark.redis
@pytest.mark.django_db
def test_readyz_checks_a_real_redis_cache(client, redis_cache):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["cache"] == "ok"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "backend",
    ["django.core.cache.backends.redis.RedisCache", "mercato.core.cache.RedisCache"],
)
def test_a_cache_that_is_down_is_named_as_degraded(client, settings, backend):
    """Without Redis the shop serves uncached: /readyz says so with 200, ?deep with 503."""
    settings.CACHES = {
        "default": {"BACKEND": backend, "LOCATION": "redis://127.0.0.1:9/0"}  # discard port
    }
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["degraded"]) == ("degraded", ["cache"])
    assert "Connection" in body["checks"]["cache"]
    assert client.get("/readyz?deep").status_code == 503


@pytest.mark.redis
@pytest.mark.django_db
def test_a_staff_session_lives_in_redis(client, redis_cache, ops_user):
    client.force_login(ops_user)
    key = client.session.session_key
    assert redis_cache.get(f"django.contrib.sessions.cached_db{key}") is not None
    assert client.get("/backoffice/").status_code == 200


@pytest.mark.django_db
def test_pages_are_in_simplified_chinese_unless_the_visitor_chose_english(client):
    """The browser's Accept-Language does not switch the language; the language switch does."""
    page = client.get("/account/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page["Content-Language"] == "zh-hans"
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert client.get("/account/login/")["Content-Language"] == "en"
    client.cookies["django_language"] = "xx"  # an unknown choice falls back to Chinese
    assert client.get("/account/login/")["Content-Language"] == "zh-hans"

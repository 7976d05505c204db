"""What a user sees when something fails: a 500 page in the shop's layout, the API's one
JSON error body, and 503 "busy, try again" with Retry-After when the database gave up on
a lock or lost its connection. Never Django's bare "Server Error (500)"."""

import json

import psycopg
import pytest
from django.db import OperationalError
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    # The test client re-raises view exceptions by default; a browser gets handler500's page.
    return Client(raise_request_exception=False)


def _failing(monkeypatch, exc):
    """Make the home page and the API's category tree fail with `exc` inside the view."""

    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr("mercato.storefront.views.live_slots", fail)
    monkeypatch.setattr("mercato.api.catalog.read.viewer", fail)


def _lock_timeout() -> OperationalError:
    exc = OperationalError("canceling statement due to lock timeout")
    exc.__cause__ = psycopg.errors.LockNotAvailable("canceling statement due to lock timeout")
    return exc


def test_an_error_in_a_shop_page_answers_the_shops_500_page(client, monkeypatch):
    _failing(monkeypatch, RuntimeError("a bug"))
    response = client.get("/", HTTP_X_REQUEST_ID="req-500-test")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert 'class="site-header"' in page  # the shop's layout
    assert "req-500-test" in page  # the code to tell customer service
    assert "出错" in page or "went wrong" in page
    assert "Server Error (500)" not in page
    assert response["Cache-Control"] == "no-store"


def test_the_500_page_is_in_the_visitors_language(client, monkeypatch):
    _failing(monkeypatch, RuntimeError("a bug"))
    client.cookies["django_language"] = "en"
    assert "Sorry, something went wrong on our side." in client.get("/").content.decode()


def test_an_error_under_the_api_answers_its_json_error_body(client, monkeypatch):
    _failing(monkeypatch, RuntimeError("a bug"))
    response = client.get("/api/catalog/categories", HTTP_X_REQUEST_ID="req-api-500")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert set(body) == {"detail", "errors"} and body["errors"] == []
    assert "req-api-500" in body["detail"]


def test_a_lock_timeout_answers_503_busy_with_retry_after(client, monkeypatch, settings):
    settings.MERCATO_BUSY_RETRY_AFTER = 3
    _failing(monkeypatch, _lock_timeout())
    response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "3"
    assert "busy" in response.content.decode() or "繁忙" in response.content.decode()


def test_a_lost_database_connection_answers_503_not_500(client, monkeypatch):
    _failing(monkeypatch, OperationalError("server closed the connection unexpectedly"))
    response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"]


def test_a_busy_api_answers_503_in_its_json_body(client, monkeypatch):
    _failing(monkeypatch, _lock_timeout())
    response = client.get("/api/catalog/categories")
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert set(json.loads(response.content)) == {"detail", "errors"}

"""A lock never freezes the shop: with the web's database timeouts (core.db.use_timeouts),
a placement that meets a stock row locked by another connection answers 503 "busy, try
again" with Retry-After while the lock is still held, changes nothing, and goes through
with the same idempotency key once the row is free; reads never wait on the lock."""

# ruff: noqa: F811

import json
import threading

import pytest
from django.db import connection, connections, transaction
from django.test import Client

from mercato.checkout.tests.conftest import (  # noqa: F401
    CHENGDU,
    cart_with,
    chengdu,
    customer,
    make_sku,
    new_key,
    rates,
    shanghai,
    shop,
    stock,
)
from mercato.core.db import use_timeouts
from mercato.inventory.models import Reservation, Stock
from mercato.orders.models import Order

ADDRESS = {
    k: getattr(CHENGDU, k)
    for k in ("recipient", "mobile", "province", "city", "district", "detail")
}


@pytest.fixture
def client():
    return Client(raise_request_exception=False)  # as a browser: handler500 answers


@pytest.fixture
def web_timeouts(settings):
    settings.MERCATO_DB_TIMEOUTS = {
        **settings.MERCATO_DB_TIMEOUTS,
        "web": {"lock_timeout": 300, "statement_timeout": 10000},
    }
    use_timeouts("web")
    yield
    use_timeouts(None)


class RowLock:
    """Holds FOR UPDATE on rows from another connection until release()."""

    def __init__(self, sql: str, params: list):
        self.locked, self.done = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold, args=(sql, params))
        self.thread.start()
        assert self.locked.wait(30)

    def _hold(self, sql, params):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, params)
                self.locked.set()
                self.done.wait(60)
        finally:
            connections.close_all()

    def release(self):
        self.done.set()
        self.thread.join()


def place(client, key):
    body = {"address": ADDRESS, "payment_method": "sandbox", "idempotency_key": key}
    return client.post("/api/orders", json.dumps(body), content_type="application/json")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_locked_stock_row_answers_busy_and_the_same_key_places_once_later(
    client, customer, make_sku, shop, web_timeouts
):
    sku = make_sku(price="2999.00")
    stock(sku, shop["CD"], 5)
    stock(sku, shop["SH"], 5)
    other = make_sku(price="19.90")
    stock(other, shop["CD"], 5)
    cart_with(customer, (sku, 1))
    client.force_login(customer.user)
    key = new_key()

    lock = RowLock("SELECT id FROM inventory_stock WHERE sku_id = %s FOR UPDATE", [sku.pk])
    try:
        busy = place(client, key)
        # Answered while the lock is still held: the request gave up instead of waiting.
        assert busy.status_code == 503
        assert busy["Retry-After"] == "2"
        assert set(json.loads(busy.content)) == {"detail", "errors"}
        assert not Order.objects.exists() and not Reservation.objects.exists()
        # Reads do not wait on the lock: the product page and the API's product.
        page = client.get(f"/p/{sku.product.slug}/")
        assert page.status_code == 200
        assert client.get(f"/api/catalog/products/{other.product_id}").status_code == 200
    finally:
        lock.release()

    placed = place(client, key)
    assert placed.status_code == 201
    again = place(client, key)
    assert json.loads(again.content)["number"] == json.loads(placed.content)["number"]
    assert Order.objects.count() == 1
    assert (
        Stock.objects.filter(sku=sku).values_list("reserved", flat=True).order_by("reserved").last()
        == 1
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_web_and_task_processes_get_their_own_timeouts(settings):
    settings.MERCATO_DB_TIMEOUTS = {
        "web": {"lock_timeout": 1500, "statement_timeout": 12000},
        "task": {"lock_timeout": 30000, "statement_timeout": 600000},
    }

    def shown():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('lock_timeout'), current_setting('statement_timeout')"
            )
            return cursor.fetchone()

    try:
        use_timeouts("web")
        assert shown() == ("1500ms", "12s")
        use_timeouts("task")
        assert shown() == ("30s", "10min")
    finally:
        use_timeouts(None)
    assert shown() == ("0", "0")

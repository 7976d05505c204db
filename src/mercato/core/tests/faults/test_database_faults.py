"""The database from the side: a PostgreSQL connection killed mid-request
(pg_terminate_backend, what a restart does to every connection), and a stock row locked
by another connection. The shop answers 503 with Retry-After where it cannot finish (never
a 500, never a frozen thread), the checkout's retry with the same key places the order
once, reads never wait, and tasks retry on OperationalError."""

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from mercato.orders.models import Order, OrderStatus

from .harness import (
    Load,
    RowLock,
    backends,
    broker_client,
    data_problems,
    terminate,
    wait_for,
)

pytestmark = [
    pytest.mark.faults,
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.xdist_group("faults"),
]
STOCK_ROWS = "SELECT id FROM inventory_stock WHERE sku_id = %s ORDER BY id FOR UPDATE"


def in_thread(target, *args):
    result = {}

    def run():
        result["value"] = target(*args)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def test_a_connection_killed_in_the_middle_of_a_placement(stack, shop):
    """The placement's backend is killed while it waits for a stock row: 503 (not 500),
    and the retry with the same idempotency key places exactly one order."""
    lock = RowLock(stack.database, STOCK_ROWS, [shop.hot_sku_id])
    try:
        load = Load(stack.base, shop)
        thread, result = in_thread(load.buy, shop.members[0], shop.hot_sku_id)
        [waiting] = wait_for(
            lambda: backends(stack.database, waiting_on_lock=True, exclude=[lock.pid]),
            timeout=30,
            interval=0.02,
            what="the placement waiting on the stock row",
        )
        assert terminate(stack.database, [waiting]) == 1
        wait_for(lambda: load.statuses(kinds={"api-place"}), timeout=30, what="an answer")
    finally:
        lock.release()
    thread.join(60)
    placement = result["value"]
    assert placement["answers"][0] == 503
    assert placement["outcome"] == "placed"
    assert Order.objects.filter(idempotency_key__endswith=placement["key"]).count() == 1
    assert load.bare_500s() == 0 and load.api_errors_not_json() == 0
    assert data_problems() == []


def test_every_connection_killed_under_load(stack, shop):
    """All of gunicorn's and the worker's connections killed three times under load, as a
    PostgreSQL restart does: answers are 2xx or 503 with Retry-After, never 500; requests
    after it succeed; the data holds."""
    load = Load(stack.base, shop).start()
    try:
        load.wait(lambda: load.statuses()[200] >= 30, timeout=120, what="warm-up")
        killed_at = []
        for _ in range(3):
            killed_at.append(time.monotonic())
            terminate(stack.database, backends(stack.database, exclude=stack.our_backend_pids()))
            load.wait(
                lambda: sum(load.statuses(since=killed_at[-1]).values()) >= 20,
                timeout=60,
                what="answers after the kill",
            )
        after = time.monotonic()
        load.wait(
            lambda: load.statuses(since=after, kinds={"api-place"})[201] >= 3,
            timeout=60,
            what="placements after",
        )
    finally:
        load.stop()
    statuses = load.statuses()
    assert set(statuses) <= {200, 201, 503}, statuses
    assert load.bare_500s() == 0 and load.api_errors_not_json() == 0
    assert {p["outcome"] for p in load.placements} <= {"placed"}
    assert data_problems() == []


def test_a_task_whose_connection_is_killed_is_retried(stack, shop):
    """The cancel timer of an expired order waits on the order's row lock; its backend is
    killed; the task retries (OperationalError) and cancels the order once the lock goes."""
    load = Load(stack.base, shop)
    placed = load.buy(shop.members[0], shop.sku_ids[1])
    order = Order.objects.get(number=placed["number"])
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    lock = RowLock(
        stack.database, "SELECT id FROM orders_order WHERE id = %s FOR UPDATE", [order.pk]
    )
    try:
        client = broker_client(stack.env["CELERY_BROKER_URL"])
        client.send_task("mercato.orders.tasks.cancel_unpaid_order_task", args=[order.pk])
        [waiting] = wait_for(
            lambda: backends(stack.database, waiting_on_lock=True, exclude=[lock.pid]),
            timeout=60,
            what="the task waiting on the order",
        )
        terminate(stack.database, [waiting])
        wait_for(lambda: "Retry in" in stack.worker.log_text(), timeout=30, what="a retry")
    finally:
        lock.release()
    wait_for(
        lambda: Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED,
        timeout=60,
        what="the order cancelled by the retry",
    )
    assert data_problems() == []


def test_a_locked_stock_row_never_freezes_the_shop(stack, shop):
    """One SKU's stock rows locked for a while: pages, search, the account page and other
    SKUs' placements go on at once; the locked SKU's placements answer 503 busy with
    Retry-After (the thread is not held) and go through with the same key afterwards."""
    load = Load(stack.base, shop).start()
    try:
        load.wait(lambda: load.statuses(kinds={"api-place"})[201] >= 3, timeout=120, what="warm")
        lock = RowLock(stack.database, STOCK_ROWS, [shop.hot_sku_id])
        locked = time.monotonic()
        try:
            load.wait(
                lambda: (
                    load.statuses(since=locked, kinds={"api-place"})[503] >= 2
                    and load.statuses(since=locked, kinds={"api-place"})[201] >= 4
                    and sum(load.statuses(since=locked).values()) >= 60
                ),
                timeout=120,
                what="busy answers, other orders and reads while locked",
            )
            during = load.by_kind(since=locked)
        finally:
            lock.release()
        released = time.monotonic()
        load.wait(
            lambda: load.statuses(since=released, kinds={"api-place"})[201] >= 4,
            timeout=60,
            what="placements after",
        )
    finally:
        load.stop()
    for kind, statuses in during.items():
        expected = {201, 503} if kind == "api-place" else ({201} if kind == "api-cart" else {200})
        assert set(statuses) <= expected, (kind, statuses)
    assert load.bare_500s() == 0 and load.api_errors_not_json() == 0
    assert {p["outcome"] for p in load.placements} <= {"placed"}
    assert data_problems() == []

"""A gunicorn worker killed while it serves a placement (the OOM killer, a deploy gone
wrong): the shopper's connection drops with no answer, as behind a proxy's 502; the
checkout page's retry with the same idempotency key places the order once, and nothing
half-written stays."""

import os
import signal

import pytest

from mercato.orders.models import Order

from .harness import Http, Load, RowLock, backends, children, data_problems, wait_for

pytestmark = [
    pytest.mark.faults,
    pytest.mark.postgres,
    pytest.mark.xdist_group("faults"),
]
STOCK_ROWS = "SELECT id FROM inventory_stock WHERE sku_id = %s ORDER BY id FOR UPDATE"


def test_a_gunicorn_worker_killed_in_the_middle_of_a_placement(stack, shop):
    """The placement waits on a stock row another connection holds; every gunicorn worker
    is SIGKILLed meanwhile: no answer (status 0), the master starts new workers, and the
    retry with the same key places exactly one order once the row is free."""
    import threading

    load = Load(stack.base, shop)
    lock = RowLock(stack.database, STOCK_ROWS, [shop.hot_sku_id])
    result = {}
    try:
        thread = threading.Thread(
            target=lambda: result.update(load.buy(shop.members[0], shop.hot_sku_id)), daemon=True
        )
        thread.start()
        wait_for(
            lambda: backends(stack.database, waiting_on_lock=True, exclude=[lock.pid]),
            timeout=30,
            interval=0.02,
            what="the placement waiting on the stock row",
        )
        workers = children(stack.web.pid)
        assert workers
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        wait_for(lambda: load.statuses(kinds={"api-place"}), timeout=30, what="the cut-off")
    finally:
        lock.release()
    thread.join(90)

    assert result["answers"][0] == 0  # the connection dropped: no answer at all
    assert result["outcome"] == "placed", result
    assert Order.objects.filter(idempotency_key__endswith=result["key"]).count() == 1
    assert stack.web.alive  # the master stayed and started new workers
    assert set(children(stack.web.pid)).isdisjoint(workers)
    assert Http(stack.base).get("/healthz").status == 200
    assert load.bare_500s() == 0
    assert data_problems() == []

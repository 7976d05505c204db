"""A flash sale of 100 units raced by 1,000 buyers on PostgreSQL, with the Redis gate and
without it (database conditional updates): exactly 100 orders, nobody over the limit, the
stock exact. And the sold-out answer from Redis touches no database."""

import queue
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from mercato.checkout.flash import FlashBuy, place_flash_order
from mercato.checkout.placement import Placement
from mercato.inventory.models import Stock
from mercato.orders.models import Order
from mercato.promotions import flash
from mercato.promotions.models import FlashPurchase, FlashSaleItem
from mercato.testing.buying import CHENGDU, new_key, stock
from mercato.testing.factories import make_customer

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("checkout_races"),
]
UNITS, BUYERS, LIMIT = 100, 1000, 2
CUSTOMERS = 400  # each tries 2 or 3 times: the limit is raced as well as the quantity
WORKERS = 50  # connections at once: PostgreSQL's max_connections is 100


def run_in_pool(calls, workers=WORKERS) -> list:
    """The calls spread over `workers` threads released together by a barrier, each
    with its own connection: the gate, not the pool, is what serialises them."""
    todo: queue.Queue = queue.Queue()
    for entry in enumerate(calls):
        todo.put(entry)
    outcomes: list = [None] * len(calls)
    barrier = threading.Barrier(workers)

    def work():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '60s'")
            barrier.wait()
            while True:
                try:
                    index, call = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    outcomes[index] = call()
                except Exception as exc:  # the test inspects every failure
                    outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _sale(shop, make_sku):
    sku = make_sku(price="299.00")
    stock(sku, shop["CD"], 150)
    now = timezone.now()
    sale = flash.create_flash_sale(
        name="秒杀",
        starts_at=now - timedelta(seconds=1),
        ends_at=now + timedelta(hours=1),
        items=[flash.ItemSpec(sku.pk, Decimal("99.00"), UNITS, per_customer_limit=LIMIT)],
    )
    return sale.items.get()


def _race(item):
    customers = [make_customer() for _ in range(CUSTOMERS)]
    calls = [
        (
            lambda c=customers[i % CUSTOMERS]: place_flash_order(
                customer=c,
                buy=FlashBuy(
                    item_id=item.pk,
                    quantity=1,
                    address=CHENGDU,
                    payment_method="sandbox",
                    idempotency_key=new_key(),
                ),
            )
        )
        for i in range(BUYERS)
    ]
    return run_in_pool(calls)


def _assert_exact(item, outcomes):
    placed = [o for o in outcomes if isinstance(o, Placement)]
    refused = [o for o in outcomes if isinstance(o, flash.FlashRefused)]
    others = [o for o in outcomes if not isinstance(o, Placement | flash.FlashRefused)]
    assert others == []
    assert len(placed) == UNITS and Order.objects.count() == UNITS
    assert {e.code for e in refused} <= {flash.SOLD_OUT, flash.LIMIT_REACHED}
    item.refresh_from_db()
    assert item.sold == UNITS
    per_customer = Order.objects.values("customer").annotate(n=Sum("lines__quantity"))
    assert max(row["n"] for row in per_customer) <= LIMIT
    assert FlashPurchase.objects.aggregate(n=Sum("units"))["n"] == UNITS
    held = {p.customer_id: p.units for p in FlashPurchase.objects.all() if p.units}
    assert held == {row["customer"]: row["n"] for row in per_customer}
    row = Stock.objects.get(sku=item.sku)
    assert (row.on_hand, row.reserved) == (150, UNITS)


def test_1000_buyers_without_redis_get_exactly_100_units(shop, make_sku, settings):
    settings.MERCATO_FLASH_GATE = "database"
    item = _sale(shop, make_sku)
    _assert_exact(item, _race(item))


@pytest.mark.redis
def test_1000_buyers_through_the_redis_gate_get_exactly_100_units(
    shop, make_sku, redis_cache, settings
):
    item = _sale(shop, make_sku)
    outcomes = _race(item)
    _assert_exact(item, outcomes)
    assert flash.sold_out(item.pk)


@pytest.mark.redis
def test_sold_out_is_answered_from_redis_without_a_query(
    shop, make_sku, redis_cache, django_assert_num_queries
):
    item = _sale(shop, make_sku)
    FlashSaleItem.objects.filter(pk=item.pk).update(sold=UNITS)
    item.refresh_from_db()
    with pytest.raises(flash.FlashRefused):
        flash.try_take(item, 1, 1)  # seeds the gate from the database: nothing left
    with django_assert_num_queries(0):
        assert flash.sold_out(item.pk)


@pytest.mark.redis
def test_a_failed_placement_gives_the_gate_its_unit_back(shop, make_sku, redis_cache):
    item = _sale(shop, make_sku)
    customer = make_customer()
    Stock.objects.filter(sku=item.sku).update(on_hand=0)  # sold elsewhere meanwhile
    with pytest.raises(flash.FlashRefused) as exc:
        place_flash_order(
            customer=customer,
            buy=FlashBuy(item.pk, 1, CHENGDU, "sandbox", new_key()),
        )
    assert exc.value.code == flash.SOLD_OUT
    client = flash._client()
    assert int(client.hget(flash._key(item.pk), "left")) == UNITS
    assert int(client.hget(flash._key(item.pk), f"u:{customer.user_id}") or 0) == 0

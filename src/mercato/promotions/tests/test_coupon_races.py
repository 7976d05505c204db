"""Coupons under real concurrency on PostgreSQL: a shared code limited to 50 uses raced by
200 customers, one customer's coupon in two orders at once, and claims racing for the last
coupons of a limited template."""

import queue
import threading
from decimal import Decimal

import pytest
from django.db import connection

from mercato.cart.models import Cart, CartPurpose
from mercato.cart.services import add_to_cart
from mercato.checkout.placement import Placement, place_order
from mercato.orders.models import Order
from mercato.promotions.coupons import CouponError
from mercato.promotions.models import Coupon, CouponStatus, CouponUse
from mercato.testing.buying import CHENGDU, cart_with, new_key, stock
from mercato.testing.concurrency import run_concurrently
from mercato.testing.coupons import give_coupon, make_template
from mercato.testing.factories import make_customer

D = Decimal
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("checkout_races"),
]
WORKERS = 40  # connections at once: PostgreSQL's default max_connections is 100


def buy(cart, customer, code):
    return lambda: place_order(
        cart=cart,
        customer=customer,
        address=CHENGDU,
        payment_method="sandbox",
        idempotency_key=new_key(),
        coupon_code=code,
    )


def run_in_pool(calls, workers=WORKERS) -> list:
    """The calls spread over `workers` threads released together, each with its own
    connection (and lock timeouts, so a deadlock fails instead of hanging)."""
    todo: queue.Queue = queue.Queue()
    for item in enumerate(calls):
        todo.put(item)
    outcomes: list = [None] * len(calls)
    gate = threading.Barrier(workers)

    def work():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '30s'")
            gate.wait()
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


def test_200_customers_redeem_a_code_limited_to_50_and_exactly_50_get_it(shop, make_sku):
    buyers, limit = 200, 50
    make_template(amount="20.00", shared_code="RACE50", shared_limit=limit)
    sku = make_sku(price="100.00")
    stock(sku, shop["CD"], buyers)
    customers = [make_customer() for _ in range(buyers)]
    carts = [cart_with(c, (sku, 1)) for c in customers]

    outcomes = run_in_pool(
        [buy(cart, c, "RACE50") for cart, c in zip(carts, customers, strict=True)]
    )

    placed = [o for o in outcomes if isinstance(o, Placement)]
    refused = [o for o in outcomes if isinstance(o, CouponError)]
    assert len(placed) == limit and len(refused) == buyers - limit
    assert {e.code for e in refused} == {"used_up"}
    coupon = Coupon.objects.get(code="RACE50")
    assert (coupon.used, coupon.status) == (limit, CouponStatus.USED)
    numbers = set(Order.objects.values_list("number", flat=True))
    assert set(CouponUse.objects.values_list("order_number", flat=True)) == numbers
    assert len(numbers) == limit
    assert set(Order.objects.values_list("discount_total", flat=True)) == {D("20.00")}


def test_one_coupon_in_two_orders_at_once_is_used_by_one(shop, make_sku):
    customer = make_customer()
    coupon = give_coupon(make_template(amount="10.00"), customer)
    sku = make_sku(price="100.00")
    stock(sku, shop["CD"], 10)
    carts = [cart_with(customer, (sku, 1))]
    phone_cart = Cart.objects.create(customer=customer, purpose=CartPurpose.PHONE)
    add_to_cart(cart=phone_cart, sku_id=sku.pk, quantity=1)
    carts.append(phone_cart)

    outcomes = run_concurrently([buy(cart, customer, coupon.code) for cart in carts])

    assert sorted(type(o).__name__ for o in outcomes) == ["CouponError", "Placement"]
    assert Order.objects.count() == 1
    assert CouponUse.objects.get().order_number == Order.objects.get().number


def test_twenty_claims_at_once_of_a_coupon_limited_to_five_issue_five():
    from mercato.promotions.coupons import claim_coupon

    template = make_template(claimable=True, issue_limit=5)
    customers = [make_customer() for _ in range(20)]
    same = customers[0]

    outcomes = run_concurrently(
        [lambda c=c: claim_coupon(customer=c, template_id=template.pk) for c in customers]
        + [lambda: claim_coupon(customer=same, template_id=template.pk)]
    )

    issued = [o for o in outcomes if isinstance(o, Coupon)]
    assert len(issued) == 5
    assert {o.code for o in outcomes if isinstance(o, CouponError)} <= {
        "all_claimed",
        "limit_reached",
    }
    template.refresh_from_db()
    assert template.issued == Coupon.objects.count() == 5
    assert Coupon.objects.filter(customer=same).count() <= 1

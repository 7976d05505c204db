"""Placement under real concurrency on PostgreSQL: one thread and connection per buyer,
released together by a barrier (inventory's run_concurrently: each thread has a lock and
statement timeout, so a deadlock fails the test with an error instead of hanging it).
"""

import pytest
from django.db.models import Sum

from mercato.cart.models import CartLine
from mercato.checkout.placement import Placement, place_order
from mercato.inventory.allocation import OutOfStock
from mercato.inventory.models import Reservation, Stock, StockMovement
from mercato.orders.models import Order
from mercato.testing.buying import CHENGDU, cart_with, new_key, stock
from mercato.testing.concurrency import (
    assert_stock_matches_reservations_and_ledger,
    run_concurrently,
)
from mercato.testing.factories import make_customer

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    # Fifty connections each: never two of these at once on one server.
    pytest.mark.xdist_group("checkout_races"),
]


def buy(cart, customer, key=None):
    return lambda: place_order(
        cart=cart,
        customer=customer,
        address=CHENGDU,
        payment_method="sandbox",
        idempotency_key=key or new_key(),
    )


def test_fifty_buyers_race_for_the_last_twenty_units(shop, make_sku):
    """50 customers, each with one unit in the cart, place at once for the last 20: exactly
    20 orders, 30 sold-out answers naming the product, every thread done, 20 units reserved,
    and the ledger agrees."""
    buyers, units = 50, 20
    sku = make_sku(name="限量球鞋", specs={"尺码": "42"})
    stock(sku, shop["CD"], units)
    customers = [make_customer() for _ in range(buyers)]
    carts = [cart_with(c, (sku, 1)) for c in customers]

    outcomes = run_concurrently([buy(cart, c) for cart, c in zip(carts, customers, strict=True)])

    placed = [o for o in outcomes if isinstance(o, Placement)]
    sold_out = [o for o in outcomes if isinstance(o, OutOfStock)]
    assert [o for o in outcomes if not isinstance(o, Placement | OutOfStock)] == []
    assert (len(placed), len(sold_out)) == (units, buyers - units)
    assert all("限量球鞋 42" in o.message for o in sold_out)
    assert Order.objects.count() == units
    assert Stock.objects.get(sku=sku).reserved == units
    assert StockMovement.objects.filter(reason=StockMovement.Reason.RESERVATION).count() == units
    assert set(Reservation.objects.values_list("reference", flat=True)) == {
        p.order.number for p in placed
    }
    # Winners' carts are empty, losers' carts untouched.
    assert CartLine.objects.count() == buyers - units
    assert_stock_matches_reservations_and_ledger()


@pytest.mark.parametrize(
    ("wants", "winners"),
    [((4, 4), 1), ((4, 2), 2)],
    ids=["one-fits", "both-fit"],
)
def test_two_buyers_race_for_stock_split_over_two_warehouses(shop, make_sku, wants, winners):
    """3 units in 成都 and 3 in 上海, each buyer needs a split. 4 + 4 > 6: one split order,
    one sold out. 4 + 2 = 6: both placed. No unit is held twice."""
    sku = make_sku()
    stock(sku, shop["CD"], 3)
    stock(sku, shop["SH"], 3)
    customers = [make_customer() for _ in wants]
    carts = [cart_with(c, (sku, q)) for c, q in zip(customers, wants, strict=True)]

    outcomes = run_concurrently([buy(cart, c) for cart, c in zip(carts, customers, strict=True)])

    assert all(isinstance(o, Placement | OutOfStock) for o in outcomes), outcomes
    placed = [(o, q) for o, q in zip(outcomes, wants, strict=True) if isinstance(o, Placement)]
    assert len(placed) == winners
    for placement, wanted in placed:
        held = Reservation.objects.filter(reference=placement.order.number)
        assert held.aggregate(n=Sum("quantity"))["n"] == wanted
    assert sum(Stock.objects.values_list("reserved", flat=True)) == sum(q for _o, q in placed)
    assert_stock_matches_reservations_and_ledger()


def test_a_double_submit_at_the_same_moment_places_one_order(shop, make_sku):
    """Two requests with the same key and cart at once (a double click): one order, both
    answers name it, one unit reserved per unit bought."""
    sku = make_sku()
    stock(sku, shop["CD"], 10)
    customer = make_customer()
    cart = cart_with(customer, (sku, 3))
    key = new_key()

    outcomes = run_concurrently([buy(cart, customer, key), buy(cart, customer, key)])

    assert all(isinstance(o, Placement) for o in outcomes), outcomes
    assert sorted(o.created for o in outcomes) == [False, True]
    assert len({o.order.pk for o in outcomes}) == 1
    assert Order.objects.count() == 1
    assert Stock.objects.get(sku=sku).reserved == 3
    assert_stock_matches_reservations_and_ledger()


def test_two_guest_sessions_sending_one_key_at_once_each_place_their_own_order(shop, make_sku):
    """Two guests (two sessions) whose clients send the same idempotency key at once: a
    guest's key is bound to the session (orders.selectors.stored_idempotency_key), so each
    places their own order and neither answer is the other guest's order (with its signed
    link); units reserved once per order."""
    from mercato.cart.services import add_to_cart, get_or_create_cart

    sku = make_sku()
    stock(sku, shop["CD"], 10)
    carts = []
    for session_key in ("guest-session-a", "guest-session-b"):
        cart = get_or_create_cart(session_key=session_key)
        add_to_cart(cart=cart, sku_id=sku.pk, quantity=2)
        carts.append(cart)
    key = new_key()

    outcomes = run_concurrently([buy(carts[0], None, key), buy(carts[1], None, key)])

    assert all(isinstance(o, Placement) for o in outcomes), outcomes
    assert [o.created for o in outcomes] == [True, True]
    assert len({o.order.pk for o in outcomes}) == 2
    assert {o.order.guest_token for o in outcomes} == set(
        Order.objects.values_list("guest_token", flat=True)
    )
    assert Stock.objects.get(sku=sku).reserved == 4
    assert CartLine.objects.count() == 0
    assert_stock_matches_reservations_and_ledger()

"""Usage limits under real concurrency on PostgreSQL: one thread and connection per buyer,
released together (mercato.testing.concurrency)."""

from decimal import Decimal

import pytest

from mercato.cart.models import Cart, CartPurpose
from mercato.cart.services import add_to_cart
from mercato.checkout.placement import Placement, place_order
from mercato.core.errors import ValidationFailed
from mercato.orders.models import Order
from mercato.promotions.models import CustomerUse, Kind, Redemption
from mercato.testing.buying import CHENGDU, cart_with, new_key, stock
from mercato.testing.concurrency import (
    assert_stock_matches_reservations_and_ledger,
    run_concurrently,
)
from mercato.testing.factories import make_customer
from mercato.testing.promotions import make_promotion

D = Decimal
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("checkout_races"),
]


def buy(cart, customer):
    return lambda: place_order(
        cart=cart,
        customer=customer,
        address=CHENGDU,
        payment_method="sandbox",
        idempotency_key=new_key(),
    )


def test_twenty_buyers_race_for_a_promotion_limited_to_five_uses(shop, make_sku):
    """20 customers place at once against 直降 ¥30 limited to 5 uses: every order is placed,
    exactly 5 with the discount (and a redemption each), 15 at the full price."""
    buyers, uses = 20, 5
    promotion = make_promotion(Kind.AMOUNT_OFF, name="限量直降", amount="30.00", usage_limit=uses)
    sku = make_sku(price="200.00")
    stock(sku, shop["CD"], buyers)
    customers = [make_customer() for _ in range(buyers)]
    carts = [cart_with(c, (sku, 1)) for c in customers]

    outcomes = run_concurrently([buy(cart, c) for cart, c in zip(carts, customers, strict=True)])

    assert [o for o in outcomes if not isinstance(o, Placement)] == []
    totals = sorted(o.order.total for o in outcomes)
    assert totals == [D("170.00")] * uses + [D("200.00")] * (buyers - uses)
    promotion.refresh_from_db()
    assert promotion.used == uses
    discounted = set(
        Order.objects.filter(discount_total=D("30.00")).values_list("number", flat=True)
    )
    assert set(Redemption.objects.values_list("order_number", flat=True)) == discounted
    assert len(discounted) == uses


def test_one_customer_placing_twice_at_once_gets_a_once_per_customer_promotion_once(shop, make_sku):
    promotion = make_promotion(
        Kind.PERCENT_OFF, name="每人一次 9 折", percent="10", per_customer_limit=1
    )
    sku = make_sku(price="100.00")
    stock(sku, shop["CD"], 10)
    customer = make_customer()
    carts = [cart_with(customer, (sku, 1))]
    # A second cart of the same customer (a phone order's cart), placed at the same moment.
    phone_cart = Cart.objects.create(customer=customer, purpose=CartPurpose.PHONE)
    add_to_cart(cart=phone_cart, sku_id=sku.pk, quantity=1)
    carts.append(phone_cart)

    outcomes = run_concurrently([buy(cart, customer) for cart in carts])

    assert [o for o in outcomes if not isinstance(o, Placement)] == []
    assert sorted(o.order.discount_total for o in outcomes) == [D("0.00"), D("10.00")]
    assert CustomerUse.objects.get(promotion=promotion).used == 1


def test_eight_buyers_race_for_three_gifts_and_no_gift_is_oversold(shop, make_sku):
    """满赠 with 3 gift units, 8 qualifying buyers at once: at most 3 orders carry the gift,
    each gift line has its unit reserved, the gift's stock is never over-reserved, and
    stock, reservations and ledger agree. (An order that loses the last gift unit between
    its check and its reservation fails as out of stock; placed again it comes without.)"""
    from mercato.inventory.models import Stock
    from mercato.testing.concurrency import assert_stock_matches_reservations_and_ledger

    buyers = 8
    kettle, cup = make_sku(price="300.00"), make_sku(price="50.00")
    stock(kettle, shop["CD"], buyers)
    stock(cup, shop["CD"], 3)
    make_promotion(Kind.GIFT, name="满赠", get_sku_id=cup.pk, min_amount="299.00")
    customers = [make_customer() for _ in range(buyers)]
    carts = [cart_with(c, (kettle, 1)) for c in customers]

    outcomes = run_concurrently([buy(cart, c) for cart, c in zip(carts, customers, strict=True)])

    placed = [o.order for o in outcomes if isinstance(o, Placement)]
    assert placed  # the race may refuse some, never all
    with_gift = [o for o in placed if o.lines.filter(sku=cup).exists()]
    assert len(with_gift) <= 3
    assert Stock.objects.get(sku=cup, warehouse=shop["CD"]).reserved == len(with_gift)
    assert Redemption.objects.count() == len(with_gift)
    assert_stock_matches_reservations_and_ledger()


# The last use taken between a placement's read and its claim: the same interleaving every run


def rival_before(monkeypatch, name: str, rival):
    """checkout.placement's `name` patched so that the first call runs `rival` first, to its
    commit, on a connection of its own (mercato.testing.concurrency); the rival's own calls
    go straight through. Returns the rival's outcome, once it ran."""
    from mercato.checkout import placement

    real, outcome = getattr(placement, name), []

    def patched(*args, **kwargs):
        if not outcome:
            outcome.append(None)  # taken: the rival's own call goes through
            outcome[:] = run_concurrently([rival])
        return real(*args, **kwargs)

    monkeypatch.setattr(placement, name, patched)
    return outcome


@pytest.mark.parametrize(
    ("limit", "claimed_at"),
    [({"per_customer_limit": 1}, "customer_claims"), ({"usage_limit": 1}, "claim_uses")],
    ids=["last-use-of-the-customer", "last-use-of-all"],
)
def test_the_last_use_taken_after_the_read_leaves_the_promotion_out(
    shop, make_sku, monkeypatch, limit, claimed_at
):
    """Two orders race for a promotion's last use (the customer's, in two carts, or the
    last of its total): the rival places its order between this placement's read of the
    uses and its claim. The rival gets the promotion; this placement's claim finds no use
    left, its try is rolled back whole, and it is placed again without the promotion (its
    expected total then no longer matches, as for a promotion that ran out before the
    read). The limit is not passed and nothing of the first try is left."""
    promotion = make_promotion(Kind.AMOUNT_OFF, name="限量立减", amount="10.00", **limit)
    sku = make_sku(price="100.00")
    stock(sku, shop["CD"], 10)
    customer = make_customer()
    rival_customer = customer if "per_customer_limit" in limit else make_customer()
    cart = cart_with(customer, (sku, 1))
    rival_cart = Cart.objects.create(customer=rival_customer, purpose=CartPurpose.PHONE)
    add_to_cart(cart=rival_cart, sku_id=sku.pk, quantity=1)
    rival = rival_before(monkeypatch, claimed_at, buy(rival_cart, rival_customer))

    with pytest.raises(ValidationFailed) as refused:
        place_order(
            cart=cart,
            customer=customer,
            address=CHENGDU,
            payment_method="sandbox",
            idempotency_key=new_key(),
            expected_total=D("90.00"),
        )
    assert "100.00" in refused.value.field_errors["expected_total"][0]
    placed = buy(cart, customer)()

    (first,) = rival
    assert isinstance(first, Placement), first
    assert (first.order.total, placed.order.total) == (D("90.00"), D("100.00"))
    assert Order.objects.count() == 2
    assert list(Redemption.objects.values_list("order_number", flat=True)) == [first.order.number]
    promotion.refresh_from_db()
    if "per_customer_limit" in limit:
        assert CustomerUse.objects.get(promotion=promotion).used == 1
    else:
        assert promotion.used == 1
    assert_stock_matches_reservations_and_ledger()

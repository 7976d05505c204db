"""Member points as money off at checkout (积分抵现), and tier benefits at checkout."""

from decimal import Decimal

import pytest

from mercato.checkout.placement import place_order, quote_checkout
from mercato.core.errors import DomainError, ValidationFailed
from mercato.customers import points, tiers
from mercato.customers.models import Customer, PointsEntry
from mercato.orders.models import Order
from mercato.orders.services import cancel_order
from mercato.testing.buying import CHENGDU, cart_with, new_key, stock
from mercato.testing.concurrency import run_concurrently
from mercato.testing.factories import make_customer

D = Decimal
pytestmark = pytest.mark.django_db


def member(customer) -> Customer:
    return Customer.objects.get(pk=customer.pk)


def place(cart, customer, **kw):
    args = {"address": CHENGDU, "payment_method": "sandbox", "idempotency_key": new_key()} | kw
    return place_order(cart=cart, customer=member(customer), **args)


@pytest.fixture
def rich(db):
    customer = make_customer()
    points.adjust(customer_id=customer.pk, points=10_000, note="test")
    return customer


def test_the_quote_takes_points_off_up_to_half_the_goods(shop, make_sku, rich):
    a, b = make_sku(price="60.00"), make_sku(price="40.00")
    stock(a, shop["CD"], 5)
    stock(b, shop["CD"], 5)
    cart = cart_with(rich, (a, 1), (b, 1))
    plain = quote_checkout(cart=cart, province="四川省")
    quote = quote_checkout(cart=cart, province="四川省", points=3000)
    assert (quote.points_used, quote.points_off, quote.points_usable) == (3000, D("30.00"), 5000)
    assert quote.totals.total == plain.totals.total - D("30.00")
    assert [line.discount_share for line in quote.lines] == [D("18.00"), D("12.00")]
    too_many = quote_checkout(cart=cart, province="四川省", points=9000)
    assert too_many.points_used == 5000 and "5000" in too_many.points_error
    with pytest.raises(ValidationFailed) as exc:
        quote_checkout(cart=cart, province="四川省", points="abc")
    assert "points" in exc.value.field_errors


def test_placing_spends_the_points_and_a_cancelled_unpaid_order_returns_them(shop, make_sku, rich):
    sku = make_sku(price="99.90")
    stock(sku, shop["CD"], 5)
    order = place(cart_with(rich, (sku, 2)), rich, points=2550).order
    assert order.discount_total == D("25.50")
    assert sum(line.discount_share for line in order.lines.all()) == D("25.50")
    entry = PointsEntry.objects.get(kind="redeem")
    assert (entry.amount, entry.order_number) == (-2550, order.number)
    assert member(rich).points_balance == 10_000 - 2550
    cancel_order(order_id=order.pk, actor=rich.user, reason="", by_customer=True)
    assert member(rich).points_balance == 10_000 == points.ledger_sum(rich.pk)


def test_asking_for_more_points_than_allowed_places_nothing(shop, make_sku):
    poor = make_customer()
    points.adjust(customer_id=poor.pk, points=100, note="test")
    sku = make_sku(price="50.00")
    stock(sku, shop["CD"], 5)
    cart = cart_with(poor, (sku, 1))
    with pytest.raises(ValidationFailed) as exc:
        place(cart, poor, points=101)
    assert "100" in exc.value.field_errors["points"][0]
    assert Order.objects.count() == 0 and member(poor).points_balance == 100


def test_gold_members_ship_free(shop, make_sku):
    gold = make_customer()
    tiers.apply_spend(customer_id=gold.pk, spend=D("5000"))
    normal = make_customer()
    sku = make_sku(price="20.00")
    stock(sku, shop["CD"], 5)
    assert quote_checkout(cart=cart_with(normal, (sku, 1)), province="四川省").shipping_fee > 0
    quote = quote_checkout(cart=cart_with(gold, (sku, 1)), province="四川省")
    assert quote.shipping_fee == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_order_and_a_coupon_exchange_cannot_spend_the_same_points(shop, make_sku):
    """600 points; an order using 600 and an exchange of 600 at the same moment: exactly
    one wins, the balance is 0 and the ledger agrees."""
    customer = make_customer()
    points.adjust(customer_id=customer.pk, points=600, note="test")
    sku = make_sku(price="100.00")
    stock(sku, shop["CD"], 5)
    cart = cart_with(customer, (sku, 1))
    outcomes = run_concurrently(
        [
            lambda: place(cart, customer, points=600),
            lambda: points.spend(customer_id=customer.pk, points=600, kind="redeem_coupon"),
        ]
    )
    errors = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(errors) == 1, outcomes
    assert member(customer).points_balance == 0 == points.ledger_sum(customer.pk)
    assert Order.objects.count() == (1 if isinstance(outcomes[1], DomainError) else 0)


def test_a_tier_only_promotion_prices_only_that_tiers_members(shop, make_sku):
    from mercato.promotions.models import Kind, Target
    from mercato.testing.promotions import make_promotion

    make_promotion(Kind.PERCENT_OFF, name="银卡会员价", percent="10", target=Target.TIER,
                   tier_code="silver")  # fmt: skip
    silver, normal = make_customer(), make_customer()
    tiers.apply_spend(customer_id=silver.pk, spend=D("1500"))
    sku = make_sku(price="200.00")
    stock(sku, shop["CD"], 5)
    priced = quote_checkout(cart=cart_with(silver, (sku, 1)), province="四川省")
    plain = quote_checkout(cart=cart_with(normal, (sku, 1)), province="四川省")
    assert [p.name for p in priced.promotions] == ["银卡会员价"]
    assert (priced.totals.discount_total, plain.totals.discount_total) == (D("20.00"), 0)

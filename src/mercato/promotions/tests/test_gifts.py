"""Gift with purchase (赠品): the cart that qualifies gets the gift SKU at price 0, its stock
reserved with the order's lines; no stock, no gift (the cart and checkout say so, the order
still places); the gift is released with a cancelled order."""

from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from mercato.checkout.placement import place_order, quote_checkout
from mercato.core.errors import ValidationFailed
from mercato.inventory.models import Reservation, Stock
from mercato.orders.services import cancel_order
from mercato.promotions import engine
from mercato.promotions.gifts import gifts_for
from mercato.promotions.models import Kind, Promotion, Redemption
from mercato.testing.buying import CHENGDU, cart_with, new_key, stock
from mercato.testing.factories import make_customer
from mercato.testing.promotions import make_promotion

D = Decimal
pytestmark = pytest.mark.django_db


def place(cart, customer, **kw):
    args = {"address": CHENGDU, "payment_method": "sandbox", "idempotency_key": new_key()} | kw
    return place_order(cart=cart, customer=customer, **args).order


@pytest.fixture
def basket(shop, make_sku):
    """A ¥199 kettle and a ¥59 mug on sale, and a cup given over ¥299 (满299赠保温杯)."""
    kettle, mug = make_sku(price="199.00"), make_sku(price="59.00")
    cup = make_sku(price="89.00", name="保温杯")
    for sku in (kettle, mug):
        stock(sku, shop["CD"], 10)
    stock(cup, shop["CD"], 1)
    gift = make_promotion(Kind.GIFT, name="满299赠保温杯", get_sku_id=cup.pk, min_amount="299.00")
    return {"kettle": kettle, "mug": mug, "cup": cup, "gift": gift, "CD": shop["CD"]}


def gift_offer(**kw) -> engine.Offer:
    return engine.Offer(
        **({"id": 1, "name": "赠", "kind": engine.GIFT, "get_sku_id": 99, "get_quantity": 1} | kw)
    )


def test_the_gift_depends_on_the_threshold_the_scope_and_the_group():
    lines = [engine.Line(sku_id=1, product_id=10, unit_price=D("150.00"), quantity=2)]
    shopper = engine.Shopper()
    assert [g.sku_id for g in gifts_for(lines=lines, offers=[gift_offer()], shopper=shopper)] == [
        99
    ]
    over = gift_offer(min_amount=D("300.01"))
    assert gifts_for(lines=lines, offers=[over], shopper=shopper) == []
    elsewhere = gift_offer(scope=engine.PRODUCTS, scope_ids=frozenset({11}))
    assert gifts_for(lines=lines, offers=[elsewhere], shopper=shopper) == []
    # One gift per stacking group, the higher priority's.
    a = gift_offer(id=1, group="g", get_sku_id=98)
    b = gift_offer(id=2, group="g", get_sku_id=99, priority=5)
    assert [g.id for g in gifts_for(lines=lines, offers=[a, b], shopper=shopper)] == [2]
    # The engine never prices a gift: it takes no money off.
    pricing = engine.price(lines=lines, offers=[gift_offer()], shopper=shopper)
    assert pricing.applied == () and pricing.discount_total == 0


def test_a_qualifying_order_gets_the_gift_at_zero_with_its_stock_reserved(basket, customer):
    cart = cart_with(customer, (basket["kettle"], 1), (basket["mug"], 2))
    quote = quote_checkout(cart=cart, province="四川省")
    assert [g.name for g in quote.gifts] == ["满299赠保温杯"] and quote.gifts_out == ()
    assert quote.totals.total == D("317.00")  # ¥199 + ¥118, free shipping over ¥99

    order = place(cart, customer, expected_total=quote.totals.total)

    gift = order.lines.get(sku=basket["cup"])
    assert (gift.unit_price, gift.line_total, gift.discount_share) == (D(0), D(0), D(0))
    assert (order.lines_total, order.total) == (D("317.00"), D("317.00"))
    held = Reservation.objects.get(reference=order.number, sku=basket["cup"])
    assert held.quantity == 1
    assert Stock.objects.get(sku=basket["cup"], warehouse=basket["CD"]).reserved == 1
    assert Redemption.objects.get(promotion=basket["gift"]).discount == 0

    cancel_order(order_id=order.pk, actor=customer.user, reason="", by_customer=True)
    assert Stock.objects.get(sku=basket["cup"], warehouse=basket["CD"]).reserved == 0


def test_no_gift_below_the_threshold(basket, customer):
    cart = cart_with(customer, (basket["kettle"], 1))
    assert quote_checkout(cart=cart, province="四川省").gifts == ()
    order = place(cart, customer)
    assert not order.lines.filter(sku=basket["cup"]).exists()


def test_a_gift_out_of_stock_is_left_out_and_the_order_still_places(basket, customer, client):
    first = make_customer(name="李四")
    place(cart_with(first, (basket["kettle"], 2)), first)  # takes the only cup
    cart = cart_with(customer, (basket["kettle"], 2))
    client.force_login(customer.user)
    page = client.get(reverse("storefront:cart")).content.decode()
    assert "赠品" in page and "已赠完" in page

    quote = quote_checkout(cart=cart, province="四川省")
    assert quote.gifts == () and [g.name for g in quote.gifts_out] == ["满299赠保温杯"]
    order = place(cart, customer, expected_total=quote.totals.total)
    assert list(order.lines.values_list("sku_id", flat=True)) == [basket["kettle"].pk]
    # The promotion's use is not counted for a gift not given.
    assert Redemption.objects.filter(order_number=order.number).count() == 0


def test_the_cart_shows_the_gift(basket, customer, client):
    cart_with(customer, (basket["kettle"], 2))
    client.force_login(customer.user)
    page = client.get(reverse("storefront:cart")).content.decode()
    assert "赠 保温杯" in page


def test_a_gift_promotion_needs_an_existing_gift_sku(basket):
    with pytest.raises(ValidationFailed) as refused:
        make_promotion(Kind.GIFT, name="赠", get_sku_id=None)
    assert "get_sku_id" in refused.value.field_errors
    with pytest.raises(ValidationFailed):
        make_promotion(Kind.GIFT, name="赠", get_sku_id=basket["cup"].pk, get_quantity=0)
    assert Promotion.objects.filter(name="赠").count() == 0


def test_the_demo_has_a_gift_promotion(shop, make_sku):
    from mercato.demo import seed_promotions

    class Bar:
        def update(self, n):
            pass

    cheap, dear = make_sku(price="15.00"), make_sku(price="300.00")
    for sku in (cheap, dear):
        stock(sku, shop["CD"], 50)
    seed_promotions.seed_promotions(bar=Bar())
    gift = Promotion.objects.get(name=seed_promotions.GIFT_499)
    assert (gift.kind, gift.get_sku_id, gift.min_amount) == (Kind.GIFT, cheap.pk, D("499.00"))
    assert gift.status == "active"


# What the placement of the benchmark's kind (a member, promotions running) costs --------
PROMOTED_PLACEMENT_QUERIES = {"postgresql": 7, "sqlite": 20}


def test_placement_with_promotions_running_query_budget(
    basket, customer, django_assert_num_queries
):
    """A member's order that earns the gift, with a promotion for new customers limited to
    one use each running beside it (the demo's kind). Exact, so a new query is a decision.
    On PostgreSQL, 7: the savepoint placement is in this test (2); the cart lock with the
    key check, number and id of the order; the lines with the rate, the member, whether
    they ordered before, their uses of limited promotions and the stock of the lines'
    SKUs and of the gifts active promotions give (what the gift check and the reservation
    plan on: checkout's lines query); the gift SKU; the order, its lines, event and timer,
    the redemptions, the placed cart lines removed and the per-customer use claimed (one
    statement: promotions and cart build theirs); the stock step.
    SQLite runs the order's statements one by one and counts its order number in a row."""
    make_promotion(
        Kind.AMOUNT_OFF, name="新人立减", amount="8.00", target="new", per_customer_limit=1
    )
    other = make_customer(name="李四")  # the day's first order (SQLite: its counter row)
    place(cart_with(other, (basket["mug"], 1)), other)
    cart = cart_with(customer, (basket["kettle"], 2), (basket["mug"], 2))
    quote_checkout(cart=cart, province="四川省")  # the running promotions and warehouses cached
    with django_assert_num_queries(PROMOTED_PLACEMENT_QUERIES[connection.vendor]) as captured:
        order = place(cart, customer)
    if connection.vendor == "postgresql":  # no stock read of its own for the gift
        sqls = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
        stock_reads = [sql for sql in sqls if '"inventory_stock"' in sql]
        assert len(stock_reads) == 1 and '"cart_cartline"' in stock_reads[0]
    assert order.discount_total == D("32.00")  # ¥8 off each of the 4 units
    assert order.lines.filter(sku=basket["cup"], unit_price=0).exists()
    assert Reservation.objects.filter(reference=order.number).count() == 3

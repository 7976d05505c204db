"""Promotions through checkout: the quote and the order charge what the engine computes,
line discounts add up to the fen, and uses are counted against their limits."""

from decimal import Decimal

import pytest

from mercato.checkout.placement import place_order, quote_checkout
from mercato.core.errors import ValidationFailed
from mercato.orders.models import Order
from mercato.promotions.models import CustomerUse, Kind, Redemption
from mercato.testing.buying import CHENGDU, cart_with, new_key, stock
from mercato.testing.factories import make_customer
from mercato.testing.promotions import make_promotion

D = Decimal
pytestmark = pytest.mark.django_db

MANJIAN_618 = [{"threshold": "300.00", "amount": "40.00"}]


def place(cart, customer, **kw):
    args = {"address": CHENGDU, "payment_method": "sandbox", "idempotency_key": new_key()} | kw
    return place_order(cart=cart, customer=customer, **args).order


def test_an_order_with_a_spend_and_save_promotion_is_charged_what_the_quote_showed(
    shop, make_sku, customer
):
    """618 满300减40 on ¥199.90 × 1 + ¥59.90 × 2 = ¥319.70: ¥40 off spread 199.90 : 119.80
    → ¥25.01 + ¥14.99; shipping free above ¥99; the order's lines add up to its total."""
    make_promotion(name="618 全场满300减40", tiers=MANJIAN_618)
    a, b = make_sku(price="199.90"), make_sku(price="59.90")
    stock(a, shop["CD"], 5)
    stock(b, shop["CD"], 5)
    cart = cart_with(customer, (a, 1), (b, 2))

    quote = quote_checkout(cart=cart, province="四川省")
    assert [p.name for p in quote.promotions] == ["618 全场满300减40"]
    assert quote.totals.discount_total == D("40.00")
    assert quote.totals.total == D("279.70")

    order = place(cart, customer, expected_total=quote.totals.total)
    assert (order.lines_total, order.discount_total, order.total) == (
        D("319.70"),
        D("40.00"),
        D("279.70"),
    )
    lines = {line.sku_id: line for line in order.lines.all()}
    assert (lines[a.pk].discount_share, lines[b.pk].discount_share) == (D("25.01"), D("14.99"))
    assert sum(line.discount_share for line in lines.values()) == order.discount_total
    redemption = Redemption.objects.get()
    assert (redemption.order_number, redemption.discount) == (order.number, D("40.00"))


def test_a_refund_of_one_discounted_line_is_exact(shop, make_sku, customer):
    """A full refund of line b is what b was charged (payments.refunds: line total less its
    discount share): ¥119.80 − ¥14.99 = ¥104.81, and a and b add up to the order."""
    make_promotion(tiers=MANJIAN_618)
    a, b = make_sku(price="199.90"), make_sku(price="59.90")
    stock(a, shop["CD"], 5)
    stock(b, shop["CD"], 5)
    order = place(cart_with(customer, (a, 1), (b, 2)), customer)
    paid = {line.sku_id: line.line_total - line.discount_share for line in order.lines.all()}
    assert paid == {a.pk: D("174.89"), b.pk: D("104.81")}
    assert sum(paid.values()) + order.shipping_fee == order.total


def test_free_shipping_promotion_sets_the_fee_to_zero(shop, make_sku, customer):
    """A ¥50 order to 四川 pays ¥10 shipping, none with 川渝包邮."""
    sku = make_sku(price="50.00", weight_g=500)
    stock(sku, shop["CD"], 5)
    cart = cart_with(customer, (sku, 1))
    assert quote_checkout(cart=cart, province="四川省").shipping_fee == D("10.00")
    make_promotion(Kind.FREE_SHIPPING, name="川渝包邮", provinces=["四川省", "重庆市"])
    order = place(cart, customer)
    assert (order.shipping_fee, order.discount_total, order.total) == (D(0), D(0), D("50.00"))


def test_a_promotion_that_ran_out_since_the_quote_is_not_charged_for(shop, make_sku, customer):
    """Limited to one use: the quote shows it; someone else takes the last use; placing with
    the quoted total is refused with the new total; placing again pays the full price."""
    promotion = make_promotion(Kind.AMOUNT_OFF, name="直降 ¥5", amount="5.00", usage_limit=1)
    sku = make_sku(price="120.00")
    stock(sku, shop["CD"], 5)
    cart = cart_with(customer, (sku, 1))
    quote = quote_checkout(cart=cart, province="四川省")
    assert quote.totals.total == D("115.00")

    other = make_customer()
    first = place(cart_with(other, (sku, 1)), other)
    assert first.discount_total == D("5.00")

    with pytest.raises(ValidationFailed) as exc:
        place(cart, customer, expected_total=quote.totals.total)
    assert "120.00" in exc.value.field_errors["expected_total"][0]
    order = place(cart, customer, expected_total=D("120.00"))
    assert order.discount_total == 0
    promotion.refresh_from_db()
    assert promotion.used == 1
    assert Redemption.objects.count() == 1


def test_a_per_customer_limit_holds_across_orders(shop, make_sku, customer):
    make_promotion(Kind.PERCENT_OFF, name="新品 9 折", percent="10", per_customer_limit=1)
    sku = make_sku(price="100.00")
    stock(sku, shop["CD"], 5)
    first = place(cart_with(customer, (sku, 1)), customer)
    # The customer's use is read with the cart's lines (PostgreSQL) or on its own: the
    # quote no longer offers the promotion, and placement does not try to claim it.
    quote = quote_checkout(cart=cart_with(customer, (sku, 1)), province="四川省")
    assert quote.totals.discount_total == D("0.00")
    second = place(cart_with(customer, (sku, 1)), customer)
    assert (first.discount_total, second.discount_total) == (D("10.00"), D("0.00"))
    assert CustomerUse.objects.get().used == 1


def test_a_customers_use_claimed_since_the_read_leaves_the_promotion_out(
    shop, make_sku, customer, monkeypatch
):
    """The customer's last use of a once-per-customer promotion is gone by the time the
    order claims it (their uses are read as none: an order of theirs took it since): the
    claim sent with the order's rows counts no use, the try is rolled back whole, and the
    order is placed again, at the full price. (PostgreSQL interleaves real orders:
    test_races.py.)"""
    from mercato.checkout import placement

    promotion = make_promotion(
        Kind.PERCENT_OFF, name="新品 9 折", percent="10", per_customer_limit=1
    )
    sku = make_sku(price="100.00")
    stock(sku, shop["CD"], 5)
    first = place(cart_with(customer, (sku, 1)), customer)
    real, reads = placement.customer_uses, []

    def read_before_the_first_order(**kwargs):
        reads.append(kwargs)
        return {} if len(reads) == 1 else real(**kwargs)

    monkeypatch.setattr(placement, "customer_uses", read_before_the_first_order)
    second = place(cart_with(customer, (sku, 1)), customer)

    assert len(reads) == 2  # placed twice
    assert (first.discount_total, second.discount_total) == (D("10.00"), D("0.00"))
    assert Order.objects.count() == 2
    assert list(Redemption.objects.values_list("order_number", flat=True)) == [first.number]
    assert CustomerUse.objects.get(promotion=promotion).used == 1


def test_a_new_customers_promotion_is_for_the_first_order_only(shop, make_sku, customer):
    make_promotion(Kind.AMOUNT_OFF, name="新人立减", amount="8.00", target="new")
    sku = make_sku(price="100.00")
    stock(sku, shop["CD"], 5)
    first = place(cart_with(customer, (sku, 1)), customer)
    second = place(cart_with(customer, (sku, 1)), customer)
    assert (first.discount_total, second.discount_total) == (D("8.00"), D("0.00"))


def test_an_app_only_promotion_is_not_given_on_the_website(shop, make_sku, customer):
    make_promotion(Kind.AMOUNT_OFF, name="App 专享", amount="3.00", channel="api")
    sku = make_sku(price="100.00")
    stock(sku, shop["CD"], 5)
    web = place(cart_with(customer, (sku, 1)), customer)
    api = place(cart_with(customer, (sku, 1)), customer, channel="api")
    assert (web.discount_total, api.discount_total) == (D("0.00"), D("3.00"))


def test_no_promotion_leaves_the_order_as_before(shop, make_sku, customer):
    sku = make_sku(price="120.00")
    stock(sku, shop["CD"], 5)
    order = place(cart_with(customer, (sku, 1)), customer)
    assert (order.discount_total, order.total) == (D("0.00"), D("120.00"))
    assert Order.objects.get().lines.get().discount_share == 0


def test_the_api_quote_names_the_promotions_and_an_app_only_one_applies(
    client, shop, make_sku, customer
):
    import json

    make_promotion(name="618 全场满300减40", tiers=MANJIAN_618)
    make_promotion(Kind.AMOUNT_OFF, name="App 专享直降", amount="1.00", channel="api")
    sku = make_sku(price="150.00")
    stock(sku, shop["CD"], 5)
    cart_with(customer, (sku, 2))
    client.force_login(customer.user)
    address = {
        k: getattr(CHENGDU, k)
        for k in ("recipient", "mobile", "province", "city", "district", "detail")
    }
    response = client.post(
        "/api/orders/quote", json.dumps({"address": address}), content_type="application/json"
    )
    body = json.loads(response.content)
    assert response.status_code == 200, body
    # ¥300 less ¥2 直降 is ¥298: below 满300. The engine keeps the better: 满减 alone (¥40).
    assert [(p["name"], p["discount"]) for p in body["promotions"]] == [
        ("618 全场满300减40", "40.00")
    ]
    assert body["totals"]["discount_total"] == "40.00" and body["totals"]["total"] == "260.00"

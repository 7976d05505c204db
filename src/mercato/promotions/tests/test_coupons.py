"""Coupons: templates refused naming the field, issuing within limits, every reason a code
cannot be used, and checkout charging a coupon to the fen and giving it back on cancel."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from mercato.checkout.placement import place_order, quote_checkout
from mercato.core.errors import ValidationFailed
from mercato.orders.services import cancel_order, expire_unpaid_order, mark_paid
from mercato.promotions import coupon_templates, coupons
from mercato.promotions.coupons import CouponError
from mercato.promotions.models import (
    Coupon,
    CouponKind,
    CouponStatus,
    CouponTemplate,
    CouponUse,
    IssuedVia,
)
from mercato.testing.buying import CHENGDU, cart_with, new_key, stock
from mercato.testing.coupons import give_coupon, make_template
from mercato.testing.factories import make_customer
from mercato.testing.promotions import make_promotion

D = Decimal
pytestmark = pytest.mark.django_db


def place(cart, customer, **kw):
    args = {"address": CHENGDU, "payment_method": "sandbox", "idempotency_key": new_key()} | kw
    return place_order(cart=cart, customer=customer, **args).order


# Templates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "amount_off", "amount": "-5", "valid_days": 7}, "amount"),
        ({"kind": "percent_off", "percent": "120", "valid_days": 7}, "percent"),
        ({"kind": "percent_off", "percent": "10", "cap": "-1", "valid_days": 7}, "cap"),
        ({"kind": "amount_off", "amount": "50", "threshold": "30", "valid_days": 7}, "amount"),
        ({"kind": "amount_off", "amount": "5"}, "valid_from"),
        ({"kind": "free_shipping", "valid_days": 7, "shared_code": "HI618"}, "shared_limit"),
        ({"kind": "free_shipping", "valid_days": 0}, "valid_days"),
    ],
)
def test_a_bad_template_is_refused_naming_the_field_and_nothing_is_written(fields, field):
    with pytest.raises(ValidationFailed) as exc:
        coupon_templates.create_template(name="券", **fields)
    assert field in exc.value.field_errors
    assert not CouponTemplate.objects.exists()


def test_an_end_before_the_start_is_refused_on_valid_until():
    now = timezone.now()
    with pytest.raises(ValidationFailed) as exc:
        coupon_templates.create_template(
            name="券", kind="amount_off", amount="5", valid_from=now, valid_until=now
        )
    assert list(exc.value.field_errors) == ["valid_until"]


# Issuing -----------------------------------------------------------------------------------


def test_a_claim_gives_an_unguessable_code_valid_for_the_templates_days(customer):
    template = make_template(claimable=True, valid_days=7)
    with time_machine.travel("2026-06-01 10:00 +0800", tick=False):
        coupon = coupons.claim_coupon(customer=customer, template_id=template.pk)
    assert len(coupon.code) == 12 and set(coupon.code) <= set(coupons.ALPHABET)
    assert not set(coupon.code) & set("0O1I")
    assert coupon.valid_until - coupon.valid_from == timedelta(days=7)
    assert coupon.issued_via == IssuedVia.CLAIM


def test_claims_stop_at_the_per_customer_and_the_total_limit(customer):
    template = make_template(claimable=True, issue_limit=2, per_customer_limit=1)
    coupons.claim_coupon(customer=customer, template_id=template.pk)
    with pytest.raises(CouponError) as exc:
        coupons.claim_coupon(customer=customer, template_id=template.pk)
    assert exc.value.code == "limit_reached"
    coupons.claim_coupon(customer=make_customer(), template_id=template.pk)
    with pytest.raises(CouponError) as exc:
        coupons.claim_coupon(customer=make_customer(), template_id=template.pk)
    assert exc.value.code == "all_claimed"
    template.refresh_from_db()
    assert template.issued == Coupon.objects.count() == 2


def test_a_template_not_on_the_page_cannot_be_claimed_there_but_by_its_code(customer):
    template = make_template(claim_code="vip88")
    with pytest.raises(CouponError):
        coupons.claim_coupon(customer=customer, template_id=template.pk)
    coupon = coupons.claim_by_code(customer=customer, code=" VIP88 ")
    assert (coupon.template, coupon.issued_via) == (template, IssuedVia.CODE)
    with pytest.raises(CouponError) as exc:
        coupons.claim_by_code(customer=customer, code="NOPE99")
    assert exc.value.code == "not_found"


def test_a_bulk_issue_gives_one_coupon_to_each_customer_of_the_segment_within_the_limit(
    django_capture_on_commit_callbacks,
):
    wechat = [make_customer(channel="wechat") for _ in range(4)]
    make_customer(channel="web")
    template = make_template(issue_limit=3)
    give_coupon(template, wechat[0])  # already holds one: skipped
    with django_capture_on_commit_callbacks(execute=True):
        job = coupons.start_bulk_issue(
            actor=None, template_id=template.pk, segment={"channel": "wechat"}
        )
    job.refresh_from_db()
    assert (job.status, job.total, job.done, job.issued, job.skipped) == ("done", 4, 4, 2, 2)
    holders = set(
        Coupon.objects.filter(issued_via=IssuedVia.BULK).values_list("customer", flat=True)
    )
    assert holders == {wechat[1].pk, wechat[2].pk}
    template.refresh_from_db()
    assert template.issued == 3


# Every reason a code is refused ----------------------------------------------------------


@pytest.fixture
def basket(shop, make_sku, customer):
    """¥150 of goods (a ¥100 and a ¥50 item) in the customer's cart, to 四川: shipping free."""
    a, b = make_sku(price="100.00"), make_sku(price="50.00")
    stock(a, shop["CD"], 10)
    stock(b, shop["CD"], 10)
    return {"a": a, "b": b, "cart": cart_with(customer, (a, 1), (b, 1))}


def refusal_of(basket, code):
    quote = quote_checkout(cart=basket["cart"], province="四川省", coupon_code=code)
    assert quote.coupon is None
    assert quote.totals.discount_total == 0
    return quote.coupon_error


def test_each_reason_a_code_cannot_be_used_is_told(basket, customer, make_sku):
    mine = give_coupon(make_template(threshold="200.00"), customer)
    assert "¥50.00" in refusal_of(basket, mine.code)  # below the threshold by ¥50
    assert refusal_of(basket, "ZZZZ2222ZZZZ") == "没有这个券码的优惠券，请核对后重试。"
    theirs = give_coupon(make_template(), make_customer())
    assert "其他顾客" in refusal_of(basket, theirs.code)
    other_brand = make_template(scope="products", scope_ids=[make_sku().product_id])
    assert "不适用" in refusal_of(basket, give_coupon(other_brand, customer).code)
    shared = make_template(shared_code="ONCE1", shared_limit=1)
    used = Coupon.objects.get(template=shared)
    Coupon.objects.filter(pk=used.pk).update(used=1, status=CouponStatus.USED)
    assert refusal_of(basket, "once1") == "这张优惠券已被用完。"
    later = make_template(
        valid_from=timezone.now() + timedelta(days=2),
        valid_until=timezone.now() + timedelta(days=9),
    )
    assert "起可用" in refusal_of(basket, give_coupon(later, customer).code)
    old = give_coupon(make_template(valid_days=1), customer)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert "过期" in refusal_of(basket, old.code)


def test_a_guest_is_asked_to_log_in(shop, make_sku):
    sku = make_sku(price="100.00")
    stock(sku, shop["CD"], 1)
    from mercato.cart.models import Cart

    cart = Cart.objects.create(session_key="guest-1")
    from mercato.cart.services import add_to_cart

    add_to_cart(cart=cart, sku_id=sku.pk, quantity=1)
    quote = quote_checkout(cart=cart, province="四川省", coupon_code="WHATEVER")
    assert quote.coupon_error == "请先登录再使用优惠券。"


def test_placing_with_a_refused_code_places_nothing(basket, customer):
    with pytest.raises(CouponError) as exc:
        place(basket["cart"], customer, coupon_code="NOPE22")
    assert exc.value.code == "not_found" and exc.value.field == "coupon"
    assert not CouponUse.objects.exists()


# At checkout -------------------------------------------------------------------------------


def test_a_coupon_is_spread_over_the_lines_to_the_fen_and_a_refund_of_one_line_is_exact(
    basket, customer
):
    """¥10 off ¥100 + ¥50: 6.67 + 3.33; each line refunds what it was charged."""
    coupon = give_coupon(make_template(amount="10.00"), customer)
    quote = quote_checkout(cart=basket["cart"], province="四川省", coupon_code=coupon.code)
    assert (quote.coupon.discount, quote.totals.total) == (D("10.00"), D("140.00"))
    order = place(basket["cart"], customer, coupon_code=coupon.code, expected_total=D("140.00"))
    lines = {line.sku_id: line for line in order.lines.all()}
    assert lines[basket["a"].pk].discount_share == D("6.67")
    assert lines[basket["b"].pk].discount_share == D("3.33")
    paid = [line.line_total - line.discount_share for line in lines.values()]
    assert sum(paid) + order.shipping_fee == order.total == D("140.00")
    use = CouponUse.objects.get()
    assert (use.order_number, use.discount) == (order.number, D("10.00"))
    coupon.refresh_from_db()
    assert (coupon.status, coupon.used) == (CouponStatus.USED, 1)
    with pytest.raises(CouponError) as exc:
        place(cart_with(customer, (basket["a"], 1)), customer, coupon_code=coupon.code)
    assert exc.value.code == "used_up"


def test_a_coupon_stacks_on_promotions_measured_after_them(basket, customer):
    """满150减20 first (¥130 left), then 9 折 capped at ¥10: 10% of 130 = 13 → 10."""
    make_promotion(tiers=[{"threshold": "150.00", "amount": "20.00"}])
    coupon = give_coupon(make_template(CouponKind.PERCENT_OFF, percent="10", cap="10"), customer)
    quote = quote_checkout(cart=basket["cart"], province="四川省", coupon_code=coupon.code)
    assert quote.coupon.discount == D("10.00")
    assert (quote.totals.discount_total, quote.totals.total) == (D("30.00"), D("120.00"))
    # Threshold after promotions: 满140 is not reached by the ¥130 left.
    high = give_coupon(make_template(threshold="140.00", amount="5.00"), customer)
    assert "¥10.00" in refusal_of_with_promotion(basket, high.code)


def refusal_of_with_promotion(basket, code):
    quote = quote_checkout(cart=basket["cart"], province="四川省", coupon_code=code)
    assert quote.coupon is None and quote.totals.discount_total == D("20.00")
    return quote.coupon_error


def test_a_coupon_that_does_not_combine_prices_the_cart_without_promotions(basket, customer):
    make_promotion(tiers=[{"threshold": "150.00", "amount": "20.00"}])
    coupon = give_coupon(make_template(amount="25.00", stackable=False), customer)
    quote = quote_checkout(cart=basket["cart"], province="四川省", coupon_code=coupon.code)
    assert quote.promotions == () and quote.totals.discount_total == D("25.00")


def test_a_free_shipping_coupon_waives_the_fee(shop, make_sku, customer):
    sku = make_sku(price="50.00", weight_g=500)
    stock(sku, shop["CD"], 5)
    cart = cart_with(customer, (sku, 1))
    coupon = give_coupon(make_template(CouponKind.FREE_SHIPPING), customer)
    order = place(cart, customer, coupon_code=coupon.code)
    assert (order.shipping_fee, order.total) == (D("0.00"), D("50.00"))
    assert CouponUse.objects.get().shipping_off == D("10.00")


def test_a_shared_code_is_used_once_per_customer(basket, customer):
    make_template(amount="5.00", shared_code="WELCOME618", shared_limit=100)
    place(basket["cart"], customer, coupon_code="welcome618")
    cart = cart_with(customer, (basket["a"], 1))
    quote = quote_checkout(cart=cart, province="四川省", coupon_code="WELCOME618")
    assert quote.coupon_error == "您已经使用过这个券码。"
    other = make_customer()
    order = place(cart_with(other, (basket["a"], 1)), other, coupon_code="WELCOME618")
    assert order.discount_total == D("5.00")
    assert Coupon.objects.get(code="WELCOME618").used == 2


def test_a_cancelled_unpaid_order_returns_its_coupon_and_a_paid_one_does_not(basket, customer):
    coupon = give_coupon(make_template(amount="10.00"), customer)
    order = place(basket["cart"], customer, coupon_code=coupon.code)
    cancel_order(order_id=order.pk, actor=customer.user, reason="", by_customer=True)
    coupon.refresh_from_db()
    assert (coupon.status, coupon.used) == (CouponStatus.AVAILABLE, 0)
    assert CouponUse.objects.get().returned_at is not None

    again = place(cart_with(customer, (basket["a"], 1)), customer, coupon_code=coupon.code)
    mark_paid(order_id=again.pk, payment_ref="PAY-1")
    cancel_order(order_id=again.pk, actor=customer.user, reason="", by_customer=True)
    coupon.refresh_from_db()
    assert (coupon.status, coupon.used) == (CouponStatus.USED, 1)


def test_an_unpaid_order_that_expires_returns_its_coupon(basket, customer):
    coupon = give_coupon(make_template(amount="10.00"), customer)
    order = place(basket["cart"], customer, coupon_code=coupon.code)
    assert expire_unpaid_order(order_id=order.pk, now=order.expires_at + timedelta(seconds=1))
    coupon.refresh_from_db()
    assert (coupon.status, coupon.used) == (CouponStatus.AVAILABLE, 0)


def test_the_api_quotes_a_coupon_and_refuses_a_used_up_one_with_409(client, basket, customer):
    import json

    coupon = give_coupon(make_template(name="API 券", amount="12.00"), customer)
    client.force_login(customer.user)
    address = {
        k: getattr(CHENGDU, k)
        for k in ("recipient", "mobile", "province", "city", "district", "detail")
    }
    body = {"address": address, "coupon_code": coupon.code}
    response = client.post("/api/orders/quote", json.dumps(body), content_type="application/json")
    quote = json.loads(response.content)
    assert response.status_code == 200, quote
    assert quote["coupon"]["discount"] == "12.00" and quote["totals"]["total"] == "138.00"
    Coupon.objects.filter(pk=coupon.pk).update(used=1, status=CouponStatus.USED)
    place_body = body | {"payment_method": "sandbox", "idempotency_key": new_key()}
    response = client.post("/api/orders", json.dumps(place_body), content_type="application/json")
    assert response.status_code == 409
    assert json.loads(response.content)["errors"] == [
        {"field": "coupon", "message": "这张优惠券已被用完。"}
    ]

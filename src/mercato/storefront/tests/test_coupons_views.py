"""The coupon pages: claiming on the coupon page, My coupons with their states and a claim
code, the checkout's coupon box (the reason a code is refused, the discount applied) and
the order page naming the coupon."""

import re
from dataclasses import asdict
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from mercato.customers.services import add_address
from mercato.orders.models import Order
from mercato.promotions.models import Coupon, CouponKind
from mercato.testing.buying import CHENGDU, cart_with, stock
from mercato.testing.coupons import give_coupon, make_template

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def member(client, customer):
    client.force_login(customer.user)
    return customer


def test_a_member_claims_a_coupon_once_on_the_coupon_page(client, member):
    template = make_template(name="满200减30", amount="30.00", threshold="200.00", claimable=True)
    make_template(name="不上架", claimable=False)
    page = client.get("/coupons/").content.decode()
    assert "满200减30" in page and "不上架" not in page
    response = client.post(f"/coupons/{template.pk}/claim/", follow=True)
    assert Coupon.objects.filter(customer=member, template=template).count() == 1
    assert "满200减30" in response.content.decode()
    client.post(f"/coupons/{template.pk}/claim/")
    assert Coupon.objects.filter(customer=member).count() == 1


def test_a_guest_is_sent_to_log_in_to_claim(client):
    template = make_template(claimable=True)
    response = client.post(f"/coupons/{template.pk}/claim/")
    assert response.status_code == 302 and "/account/login/" in response["Location"]
    assert not Coupon.objects.exists()


def test_my_coupons_sorts_them_into_available_used_and_expired(client, member):
    fresh = give_coupon(make_template(name="可用券"), member)
    give_coupon(make_template(name="短券", valid_days=1), member)
    Coupon.objects.filter(pk=fresh.pk)  # stays available
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        available = client.get("/account/coupons/").content.decode()
        expired = client.get("/account/coupons/?tab=expired").content.decode()
    assert "可用券" in available and "短券" not in available
    assert "短券" in expired and "可用券" not in expired


def test_a_claim_code_in_my_coupons_gives_the_coupon(client, member):
    make_template(name="口令券", claim_code="MERCATO8")
    client.post("/account/coupons/code/", {"code": "mercato8"})
    assert Coupon.objects.get(customer=member).template.name == "口令券"
    response = client.post("/account/coupons/code/", {"code": "WRONG1"}, follow=True)
    assert "没有这个券码的优惠券" in response.content.decode()


@pytest.fixture
def basket(shop, make_sku, member):
    sku = make_sku(price="150.00")
    stock(sku, shop["CD"], 10)
    cart_with(member, (sku, 1))
    return sku


def quote(client, **params):
    return client.get("/checkout/quote/", {"province": "四川省", **params}, **HTMX).content.decode()


def test_the_checkout_box_tells_why_a_code_is_refused_and_applies_a_good_one(
    client, member, basket
):
    short = give_coupon(make_template(threshold="200.00", amount="30.00"), member)
    assert "还差 ¥50.00" in quote(client, coupon_code=short.code)
    good = give_coupon(
        make_template(name="9折券", kind=CouponKind.PERCENT_OFF, percent="10"), member
    )
    page = quote(client, coupon=good.code)
    assert "9折券" in page and "¥135.00" in page and "coupon-error" not in page


def test_an_order_placed_with_a_coupon_shows_it_on_the_order_page(client, member, basket):
    coupon = give_coupon(make_template(name="立减券", amount="15.00"), member)
    add_address(actor=None, customer_id=member.pk, is_default=True, **asdict(CHENGDU))
    page = client.get("/checkout/", {"coupon": coupon.code}).content.decode()
    assert 'name="expected_total" value="135.00"' in page  # the total carries the coupon
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    response = client.post(
        "/checkout/place/",
        {
            "payment_method": "sandbox",
            "idempotency_key": key,
            "expected_total": "135.00",
            "invoice_kind": "",
            "note": "",
            "coupon": coupon.code,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get()
    assert order.total == Decimal("135.00")
    detail = client.get(f"/orders/{order.number}/").content.decode()
    assert "立减券" in detail and "−¥15.00" in detail


def test_the_coupon_pages_keep_a_query_budget(client, member, django_assert_max_num_queries):
    """20 templates to claim and 20 coupons held cost no more queries than 2 of each."""
    for n in range(20):
        give_coupon(make_template(name=f"券{n}", claimable=True), member)
    with django_assert_max_num_queries(8):
        assert client.get("/coupons/").status_code == 200
    with django_assert_max_num_queries(7):
        assert client.get("/account/coupons/").status_code == 200

"""The flash sale buy endpoint over the API: /api/flash/items/{id}/buy, the shop's gate
(checkout.flash_buy), its sold-out answer given before the session and the user."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.utils import timezone

from mercato.customers.services import add_address
from mercato.promotions import flash
from mercato.promotions.models import FlashSaleItem
from mercato.testing.buying import CHENGDU, flash_item
from mercato.testing.factories import make_customer

NOW = timezone.datetime(2026, 12, 12, 12, 0, tzinfo=timezone.get_fixed_timezone(480))


@pytest.fixture
def item(shop, make_sku):
    sku = make_sku(price="199.00", name="秒杀手机")
    return flash_item(sku, shop["CD"], starts_at=NOW, quantity=2)


class Buyer:
    """A logged-in customer's app: session cookie, the CSRF token in X-CSRFToken."""

    def __init__(self):
        self.customer = make_customer()
        fields = {k: getattr(CHENGDU, k) for k in ("recipient", "mobile", "province", "city")}
        add_address(
            actor=None,
            customer_id=self.customer.pk,
            district=CHENGDU.district,
            detail=CHENGDU.detail,
            **fields,
        )
        self.client = Client(enforce_csrf_checks=True)
        self.client.force_login(self.customer.user)
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        self.csrf = _get_new_csrf_string()
        self.client.cookies["csrftoken"] = self.csrf

    def token(self, item) -> str:
        response = self.client.get(f"/api/flash/{item.sale_id}/token")
        assert response.status_code == 200, response.content
        return response.json()["token"]

    def buy(self, item, token, *, csrf=True):
        return self.client.post(
            f"/api/flash/items/{item.pk}/buy",
            data=json.dumps({"token": token}),
            content_type="application/json",
            headers={"X-CSRFToken": self.csrf} if csrf else {},
        )


def refusal(code: str, message: str) -> dict:
    keys = ("order", "total", "expires_at", "pay_url")
    return {"ok": False, **dict.fromkeys(keys), "code": code, "message": message}


@pytest.mark.redis
@time_machine.travel(NOW + timedelta(seconds=1), tick=False)
def test_sold_out_is_answered_before_the_session_and_the_user(
    item, redis_cache, django_assert_num_queries, monkeypatch
):
    buyer = Buyer()
    token = buyer.token(item)
    placed = buyer.buy(item, token)
    assert placed.status_code == 201, placed.content
    again = buyer.buy(item, token)  # the whole gate's answer, for its shape
    assert (again.status_code, again.json()["code"]) == (409, flash.LIMIT_REACHED)
    FlashSaleItem.objects.filter(pk=item.pk).update(sold=item.quantity)
    flash.forget(item.pk)
    with pytest.raises(flash.FlashRefused):
        flash.try_take(FlashSaleItem.objects.get(pk=item.pk), 0, 1)  # seeded: nothing left

    from mercato.core.sessions import SessionStore

    monkeypatch.setattr(SessionStore, "load", lambda store: pytest.fail("session read"))
    with django_assert_num_queries(0):
        answer = buyer.buy(item, token)
    assert answer.status_code == 409
    assert answer.json() == refusal(flash.SOLD_OUT, "Sold out.")
    assert answer.json().keys() == again.json().keys()
    assert not answer.cookies


@pytest.mark.redis
@time_machine.travel(NOW + timedelta(seconds=1), tick=False)
def test_without_the_csrf_token_the_api_refuses_as_before_and_counts_nothing(
    item, redis_cache, settings
):
    buyer = Buyer()
    token = buyer.token(item)
    FlashSaleItem.objects.filter(pk=item.pk).update(sold=item.quantity)
    settings.MERCATO_FLASH_RATE_LIMITS = {"per_ip": "1/m", "per_account": "1/m"}
    forged = buyer.buy(item, token, csrf=False)
    assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
    # Not counted: the next call is the first of the minute (the database says sold out),
    # the one after it is over the limit.
    assert buyer.buy(item, token).json()["code"] == flash.SOLD_OUT
    assert buyer.buy(item, token).json()["code"] == flash.TOO_MANY


@pytest.mark.redis
@time_machine.travel(NOW + timedelta(seconds=1), tick=False)
def test_a_body_that_is_not_a_buy_goes_on_to_the_api_s_own_answers(item, redis_cache):
    """On a sold-out item too: the early answer leaves what it cannot read to the API."""
    buyer = Buyer()
    FlashSaleItem.objects.filter(pk=item.pk).update(sold=item.quantity)
    with pytest.raises(flash.FlashRefused):
        flash.try_take(FlashSaleItem.objects.get(pk=item.pk), 0, 1)
    for body, status in (("not json", 400), ("[]", 422), ('{"quantity": 1}', 422)):
        response = buyer.client.post(
            f"/api/flash/items/{item.pk}/buy",
            data=body,
            content_type="application/json",
            headers={"X-CSRFToken": buyer.csrf},
        )
        assert response.status_code == status, (body, response.content)

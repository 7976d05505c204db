"""The flash sale page and buy endpoint as a shopper meets them: the countdown page, the
token from a minute before the start, clear refusals, the order, rate limits, and the
sold-out answer served from Redis without a database query."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from mercato.customers.services import add_address
from mercato.orders.models import Order
from mercato.promotions import flash
from mercato.promotions.models import FlashSaleItem
from mercato.testing.buying import CHENGDU, flash_item
from mercato.testing.factories import make_customer

NOW = timezone.datetime(2026, 12, 12, 12, 0, tzinfo=timezone.get_fixed_timezone(480))


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def item(shop, make_sku):
    sku = make_sku(price="199.00", name="秒杀手机")
    return flash_item(sku, shop["CD"], starts_at=NOW, quantity=3)


def shopper(client):
    customer = make_customer()
    fields = {k: getattr(CHENGDU, k) for k in ("recipient", "mobile", "province", "city")}
    add_address(
        actor=None,
        customer_id=customer.pk,
        district=CHENGDU.district,
        detail=CHENGDU.detail,
        **fields,
    )
    client.force_login(customer.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the answers are read in English
    return customer


def buy(client, item, token):
    return client.post(reverse("storefront:flash_buy", args=[item.pk]), {"token": token})


def page_token(client, item) -> str:
    response = client.get(reverse("storefront:flash", args=[item.sale_id]))
    assert response.status_code == 200
    return response.context["token"]


def test_the_page_counts_down_and_gives_the_token_only_a_minute_before(client, item):
    shopper(client)
    with time_machine.travel(NOW - timedelta(minutes=5), tick=False):
        response = client.get(reverse("storefront:flash", args=[item.sale_id]))
        assert response.context["token"] == ""
        html = response.content.decode()
        assert "双十二秒杀" in html and "Starts in" in html and "Limit 1 per customer" in html
        assert "¥99.00" in html and "3 left" in html
    with time_machine.travel(NOW - timedelta(seconds=30), tick=False):
        token = page_token(client, item)
        assert token
        answer = buy(client, item, token)
        assert (answer.status_code, answer.json()["code"]) == (409, flash.NOT_STARTED)


@time_machine.travel(NOW + timedelta(seconds=1), tick=False)
def test_a_shopper_buys_once_then_is_told_the_limit(client, item):
    shopper(client)
    token = page_token(client, item)
    first = buy(client, item, token)
    assert first.status_code == 201, first.content
    order = Order.objects.get(number=first.json()["order"])
    assert order.total == Decimal("99.00") + order.shipping_fee
    assert first.json()["pay_url"].endswith(f"/orders/{order.number}/pay/")
    again = buy(client, item, token)
    assert again.status_code == 409
    assert again.json() == {
        "ok": False,
        "code": flash.LIMIT_REACHED,
        "message": "You have reached the limit per customer for this item.",
    }


@time_machine.travel(NOW + timedelta(seconds=1), tick=False)
def test_no_token_or_another_customers_token_is_refused(client, item):
    shopper(client)
    stolen = flash.issue_token(sale=item.sale, user_id=make_customer().user_id)
    for token in ("", "nonsense", stolen):
        answer = buy(client, item, token)
        assert (answer.status_code, answer.json()["code"]) == (403, flash.TOKEN_INVALID)
    assert not Order.objects.exists()


def test_a_logged_out_visitor_is_asked_to_log_in(client, item):
    answer = buy(client, item, "x")
    assert (answer.status_code, answer.json()["code"]) == (401, "login_required")


@time_machine.travel(NOW + timedelta(seconds=1), tick=False)
def test_too_many_tries_from_one_account_are_refused(client, item, settings):
    settings.MERCATO_FLASH_RATE_LIMITS = {"per_ip": "100/m", "per_account": "3/m"}
    shopper(client)
    codes = [buy(client, item, "bad").json()["code"] for _ in range(4)]
    assert codes == [flash.TOKEN_INVALID] * 3 + [flash.TOO_MANY]


@pytest.mark.redis
@time_machine.travel(NOW + timedelta(seconds=1), tick=False)
def test_sold_out_is_answered_without_touching_the_database(
    client, item, redis_cache, django_assert_num_queries
):
    shopper(client)
    token = page_token(client, item)
    FlashSaleItem.objects.filter(pk=item.pk).update(sold=item.quantity)
    item.refresh_from_db()
    with pytest.raises(flash.FlashRefused):
        flash.try_take(item, 0, 1)  # the gate seeds itself: nothing left
    buy(client, item, "warm-up")  # the session is now in the cache
    with django_assert_num_queries(0):
        answer = buy(client, item, token)
    assert (answer.status_code, answer.json()["code"]) == (409, flash.SOLD_OUT)


# The early answer (core.middleware.EarlyAnswerMiddleware): before the session is read ------


@pytest.fixture
def session_reads(monkeypatch):
    """How many times a session was loaded from the cache or the database."""
    from mercato.core.sessions import SessionStore

    reads = []
    load = SessionStore.load
    monkeypatch.setattr(SessionStore, "load", lambda store: reads.append(1) or load(store))
    return reads


def sell_out(item):
    FlashSaleItem.objects.filter(pk=item.pk).update(sold=item.quantity)
    item.refresh_from_db()
    with pytest.raises(flash.FlashRefused):
        flash.try_take(item, 0, 1)  # the gate seeds itself: nothing left


@pytest.mark.redis
@time_machine.travel(NOW + timedelta(seconds=1), tick=False)
def test_sold_out_is_answered_before_the_session_or_the_user_is_loaded(
    client, item, redis_cache, session_reads, django_assert_num_queries, caplog
):
    shopper(client)
    token = page_token(client, item)
    sell_out(item)
    session_reads.clear()
    with django_assert_num_queries(0):
        answer = buy(client, item, token)
    assert answer.json() == {"ok": False, "code": flash.SOLD_OUT, "message": "Sold out."}
    assert answer.status_code == 409
    assert session_reads == []
    assert "Cookie" not in answer.get("Vary", "") and not answer.cookies
    # The crowd's answer is not a warning in the log (thousands a second during a sale).
    assert not [r for r in caplog.records if r.name == "django.request"]
    # Sold out is what the sale page shows everyone: a visitor who is not logged in, or
    # has no token, is told the same.
    client.logout()
    session_reads.clear()
    assert buy(client, item, "").json()["code"] == flash.SOLD_OUT
    assert session_reads == []


@time_machine.travel(NOW - timedelta(seconds=30), tick=False)
def test_a_sale_not_started_is_answered_before_the_session_is_read(
    client, item, session_reads, django_assert_num_queries
):
    shopper(client)
    token = page_token(client, item)
    session_reads.clear()
    with django_assert_num_queries(0):
        answer = buy(client, item, token)
    assert (answer.status_code, answer.json()["code"]) == (409, flash.NOT_STARTED)
    assert session_reads == [] and not answer.cookies


@pytest.mark.redis
@time_machine.travel(NOW + timedelta(seconds=1), tick=False)
def test_the_early_answer_counts_the_rate_limits(client, item, redis_cache, settings, caplog):
    customer = shopper(client)
    token = page_token(client, item)
    sell_out(item)
    settings.MERCATO_FLASH_RATE_LIMITS = {"per_ip": "100/m", "per_account": "3/m"}
    codes = [buy(client, item, token).json()["code"] for _ in range(4)]
    assert codes == [flash.SOLD_OUT] * 3 + [flash.TOO_MANY]
    logged = [r.status_code for r in caplog.records if r.name == "django.request"]
    assert logged == [429]  # a rate limit reached is still a warning
    # The same count as the whole gate's: the account is over its limit on any item.
    FlashSaleItem.objects.filter(pk=item.pk).update(sold=0)
    flash.forget(item.pk)
    answer = buy(client, item, token)
    assert (answer.status_code, answer.json()["code"]) == (429, flash.TOO_MANY)
    assert not Order.objects.filter(customer=customer).exists()
    # Per IP, a request without a token counts too.
    settings.MERCATO_FLASH_RATE_LIMITS = {"per_ip": "2/m", "per_account": "100/m"}
    sell_out(item)
    client.logout()
    codes = [buy(client, item, "").json()["code"] for _ in range(3)]
    assert codes == [flash.SOLD_OUT] * 2 + [flash.TOO_MANY]


@pytest.mark.redis
@time_machine.travel(NOW + timedelta(seconds=1), tick=False)
def test_a_request_forged_from_another_site_is_refused_and_not_counted(item, redis_cache, settings):
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    shopper(browser)
    token = page_token(browser, item)
    sell_out(item)
    settings.MERCATO_FLASH_RATE_LIMITS = {"per_ip": "1/m", "per_account": "1/m"}
    forged = buy(browser, item, token)  # no CSRF token: another site's form
    assert forged.status_code == 403 and b"CSRF" in forged.content
    secret = _get_new_csrf_string()
    browser.cookies["csrftoken"] = secret
    answer = browser.post(
        reverse("storefront:flash_buy", args=[item.pk]),
        {"token": token},
        headers={"X-CSRFToken": secret},
    )
    assert (answer.status_code, answer.json()["code"]) == (409, flash.SOLD_OUT)

"""The member center (会员中心): tier, progress, points, ledger, sign-in."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from mercato.customers import points, tiers
from mercato.testing.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client):
    customer = make_customer()
    client.force_login(customer.user)
    return customer


def test_the_page_shows_tier_progress_points_and_what_expires_soon(
    client, member, django_assert_max_num_queries
):
    with time_machine.travel(datetime(2025, 3, 1, tzinfo=UTC), tick=False):
        points.earn_for_order(customer_id=member.pk, order_number="A1", paid=Decimal("300"))
    tiers.apply_spend(customer_id=member.pk, spend=Decimal("3000"))
    with time_machine.travel(datetime(2026, 12, 10, tzinfo=UTC), tick=False):
        for n in range(20):
            points.adjust(customer_id=member.pk, points=n + 1, note="x")
        with translation.override("zh-hans"), django_assert_max_num_queries(10):
            page = client.get("/account/member/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert page.status_code == 200
    assert "银卡会员" in html and "还差 ¥2000.00 升级金卡会员" in html
    assert 'id="points-balance">510<' in html
    assert "300 积分即将过期" in html


def test_sign_in_gives_points_once_a_day(client, member):
    with time_machine.travel(datetime(2026, 5, 1, 2, tzinfo=UTC), tick=False):
        assert client.post("/account/member/sign-in/").status_code == 302
        client.post("/account/member/sign-in/")
    member.refresh_from_db()
    assert (member.points_balance, member.signin_streak) == (1, 1)


def test_guests_are_sent_to_log_in(client):
    response = client.get("/account/member/")
    assert response.status_code == 302 and "/account/login/" in response["Location"]

"""Rate limits behind nginx (core/ratelimit.py): every customer has a count of their own,
and a number's count holds whichever address tries it."""

import pytest
from django.contrib.auth import SESSION_KEY

from mercato.customers.services import create_customer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms_outbox")]
NGINX = "10.0.0.5"
MOBILE = "13812345678"


def _via_nginx(client_ip: str) -> dict:
    return {"REMOTE_ADDR": NGINX, "HTTP_X_FORWARDED_FOR": client_ip}


@pytest.fixture(autouse=True)
def behind_nginx(settings):
    settings.TRUSTED_PROXIES = [NGINX]


@pytest.fixture
def customer():
    return create_customer(mobile=MOBILE, password="Sh0pping-2026!")


def test_two_customers_behind_the_proxy_do_not_share_a_limit(client, settings, sms_outbox):  # noqa: F811
    """One customer who uses up the per-IP code limit does not stop another customer who
    comes through the same nginx: before, both had nginx's address and one count."""
    settings.MERCATO_ACCOUNT_RATE_LIMITS = {**settings.MERCATO_ACCOUNT_RATE_LIMITS,
                                            "code_per_ip": "2/h"}  # fmt: skip
    noisy = [
        client.post("/account/signup/", {"mobile": f"1381234500{n}", "action": "send"},
                    **_via_nginx("203.0.113.7")).status_code
        for n in range(3)
    ]  # fmt: skip
    assert noisy == [200, 200, 429]
    other = client.post(
        "/account/signup/", {"mobile": "13912345678", "action": "send"},
        **_via_nginx("198.51.100.23"),
    )  # fmt: skip
    assert other.status_code == 200
    assert [sms.mobile for sms in sms_outbox][-1] == "13912345678"


def test_the_log_in_limit_is_per_client_not_per_proxy(client, settings):
    """Failed log-ins of one customer behind nginx do not lock another customer out."""
    settings.MERCATO_ACCOUNT_RATE_LIMITS = {**settings.MERCATO_ACCOUNT_RATE_LIMITS,
                                            "login_per_ip": "3/h"}  # fmt: skip
    for n in range(3):
        client.post("/account/login/", {"login": f"1381234500{n}", "password": "x-x-x-x"},
                    **_via_nginx("203.0.113.7"))  # fmt: skip
    blocked = client.post("/account/login/", {"login": MOBILE, "password": "x-x-x-x"},
                          **_via_nginx("203.0.113.7"))  # fmt: skip
    assert blocked.status_code == 429
    fine = client.post("/account/login/", {"login": MOBILE, "password": "x-x-x-x"},
                       **_via_nginx("198.51.100.23"))  # fmt: skip
    assert fine.status_code == 400  # a wrong password, but not refused by the limit


def test_a_spoofed_forwarded_for_does_not_escape_the_ip_limit(client, settings):
    """Outside the proxy, a new X-Forwarded-For on each try does not give a new count."""
    settings.MERCATO_ACCOUNT_RATE_LIMITS = {**settings.MERCATO_ACCOUNT_RATE_LIMITS,
                                            "login_per_ip": "3/h"}  # fmt: skip
    statuses = [
        client.post("/account/login/", {"login": f"1381234500{n}", "password": "x-x-x-x"},
                    REMOTE_ADDR="203.0.113.7",
                    HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code
        for n in range(4)
    ]  # fmt: skip
    assert statuses == [400, 400, 400, 429]


def test_the_phone_limit_holds_across_ips(client, settings, customer):
    """Guessing one number's password from a new address each time still stops at the
    per-number limit, and the right password is refused too while it lasts."""
    settings.MERCATO_ACCOUNT_RATE_LIMITS = {**settings.MERCATO_ACCOUNT_RATE_LIMITS,
                                            "login_per_number": "3/h"}  # fmt: skip
    for n in range(3):
        response = client.post("/account/login/", {"login": MOBILE, "password": f"guess-{n}"},
                               **_via_nginx(f"203.0.113.{n + 1}"))  # fmt: skip
        assert response.status_code == 400
    response = client.post("/account/login/", {"login": MOBILE, "password": "Sh0pping-2026!"},
                           **_via_nginx("198.51.100.99"))  # fmt: skip
    assert response.status_code == 429
    assert SESSION_KEY not in client.session


def test_sms_codes_for_one_number_are_limited_across_ips(client, settings, sms_outbox):  # noqa: F811
    """One number cannot be sent codes without end by rotating addresses."""
    settings.MERCATO_ACCOUNT_RATE_LIMITS = {**settings.MERCATO_ACCOUNT_RATE_LIMITS,
                                            "code_per_number": "2/h"}  # fmt: skip
    statuses = [
        client.post("/account/signup/", {"mobile": MOBILE, "action": "send"},
                    **_via_nginx(f"203.0.113.{n + 1}")).status_code
        for n in range(3)
    ]  # fmt: skip
    assert statuses == [200, 200, 429]
    assert len(sms_outbox) == 2

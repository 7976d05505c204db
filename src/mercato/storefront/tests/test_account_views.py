"""Customer accounts through the shop's pages: sign-up, log-in, reset, rate limits."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail

from mercato.customers.models import Customer
from mercato.customers.services import create_customer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms_outbox")]
MOBILE = "13812345678"
PASSWORD = "Sh0pping-2026!"


@pytest.fixture
def outbox(sms_outbox):
    return sms_outbox


def _send(client, url, mobile=MOBILE, **extra):
    return client.post(url, {"mobile": mobile, "action": "send", **extra})


def _last_code(outbox) -> str:
    return outbox[-1].code


def _logged_in_customer(client) -> Customer | None:
    user_id = client.session.get(SESSION_KEY)
    return Customer.objects.filter(user_id=user_id).first() if user_id else None


# Sign-up -------------------------------------------------------------------------------
def test_sign_up_by_mobile_and_password(client, outbox):
    """A customer proves the number with a code, chooses a password and is logged in."""
    response = _send(client, "/account/signup/", mobile="+86 138-1234-5678")
    assert response.status_code == 200
    assert "5 分钟" in response.content.decode() or "5 minutes" in response.content.decode()
    assert outbox[-1].mobile == MOBILE and outbox[-1].purpose == "signup"
    response = client.post(
        "/account/signup/",
        {"mobile": MOBILE, "code": _last_code(outbox), "password": PASSWORD, "name": "张三"},
    )
    assert response.status_code == 302 and response["Location"] == "/account/"
    customer = _logged_in_customer(client)
    assert customer.mobile == MOBILE and customer.name == "张三"
    assert customer.user.check_password(PASSWORD)
    assert not customer.user.is_staff


def test_sign_up_by_sms_code_only(client, outbox):
    """Without a password the account is created and logs in by code later."""
    _send(client, "/account/signup/")
    response = client.post("/account/signup/", {"mobile": MOBILE, "code": _last_code(outbox)})
    assert response.status_code == 302
    customer = _logged_in_customer(client)
    assert customer.mobile == MOBILE and not customer.user.has_usable_password()


def test_sign_up_by_email(client):
    """An email address and a password make an account without a mobile number."""
    response = client.post(
        "/account/signup/email/", {"email": "Li.Si@Example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    customer = _logged_in_customer(client)
    assert customer.email == "li.si@example.com" and customer.mobile is None


def test_sign_up_with_a_wrong_code_is_refused(client, outbox):
    """A wrong code leaves no account and says what is wrong on the code field."""
    _send(client, "/account/signup/")
    wrong = f"{(int(_last_code(outbox)) + 1) % 10**6:06d}"
    response = client.post("/account/signup/", {"mobile": MOBILE, "code": wrong})
    assert response.status_code == 400
    assert response.context["form"].errors["code"]
    assert not Customer.objects.exists()


def test_sign_up_for_a_taken_number_says_log_in_instead(client, outbox):
    """A registered number gets no sign-up code, and the mobile field says so."""
    create_customer(mobile=MOBILE)
    response = _send(client, "/account/signup/")
    assert response.status_code == 400
    assert response.context["form"].errors["mobile"]
    assert outbox == []


@pytest.mark.parametrize("bad", ["12345", "1381234567x", "+1 415 555 2671", "010-12345678"])
def test_malformed_mobile_is_a_field_error_not_a_crash(client, bad):
    """A malformed mobile number is reported on the mobile field with a 400."""
    for url in ("/account/signup/", "/account/login/code/", "/account/reset/"):
        response = _send(client, url, mobile=bad)
        assert response.status_code == 400
        assert "mobile" in response.context["form"].errors


def test_weak_password_is_refused_on_the_password_field(client, outbox):
    """Django's password validators apply; the message is on the password field."""
    _send(client, "/account/signup/")
    response = client.post(
        "/account/signup/", {"mobile": MOBILE, "code": _last_code(outbox), "password": "123"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["password"]
    assert not Customer.objects.exists()


# Log-in --------------------------------------------------------------------------------
@pytest.fixture
def customer():
    return create_customer(mobile=MOBILE, email="zhang@example.com", password=PASSWORD)


@pytest.mark.parametrize("login", [MOBILE, "138 1234 5678", "ZHANG@example.com"])
def test_log_in_by_mobile_or_email_and_password(client, customer, login):
    """The mobile number (any spacing) or the email address (any case) logs in."""
    response = client.post("/account/login/", {"login": login, "password": PASSWORD})
    assert response.status_code == 302
    assert _logged_in_customer(client) == customer


def test_log_in_with_a_wrong_password_is_refused(client, customer):
    """A wrong password is a form error and logs nobody in."""
    response = client.post("/account/login/", {"login": MOBILE, "password": "nope-nope"})
    assert response.status_code == 400
    assert "wrong" in str(response.context["form"].errors) or "错误" in str(
        response.context["form"].errors
    )
    assert SESSION_KEY not in client.session


def test_log_in_by_sms_code(client, customer, outbox):
    """A code sent to the registered number logs the customer in, once."""
    _send(client, "/account/login/code/")
    code = _last_code(outbox)
    response = client.post("/account/login/code/", {"mobile": MOBILE, "code": code})
    assert response.status_code == 302
    assert _logged_in_customer(client) == customer
    client.logout()
    response = client.post("/account/login/code/", {"mobile": MOBILE, "code": code})
    assert response.status_code == 400
    assert response.context["form"].errors["code"]


def test_code_log_in_for_an_unknown_number_sends_nothing_but_looks_the_same(client, outbox):
    """The page does not reveal whether a number has an account."""
    response = _send(client, "/account/login/code/", mobile="13912345678")
    assert response.status_code == 200
    assert response.context["form"].code_sent
    assert outbox == []


def test_staff_without_a_customer_profile_cannot_log_into_the_shop(client, make_staff):
    """A staff member's credentials do not open the shop's account pages."""
    make_staff("operations", username="13912345678", password=PASSWORD)
    response = client.post("/account/login/", {"login": "13912345678", "password": PASSWORD})
    assert response.status_code == 400
    assert SESSION_KEY not in client.session


def test_staff_session_does_not_reach_the_account_page(client, make_staff):
    """A logged-in staff member without a customer profile is sent to the shop log-in."""
    client.force_login(make_staff("operations"))
    response = client.get("/account/")
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")


def test_customer_session_does_not_open_the_back_office(client, customer):
    """Customers are not staff: the back office sends them to its own log-in."""
    client.post("/account/login/", {"login": MOBILE, "password": PASSWORD})
    response = client.get("/backoffice/")
    assert response.status_code == 302 and "/backoffice/login/" in response["Location"]


def test_log_out(client, customer):
    """Logging out ends the session."""
    client.force_login(customer.user)
    assert client.post("/account/logout/").status_code == 302
    assert SESSION_KEY not in client.session


# Rate limits ---------------------------------------------------------------------------
def test_code_sending_is_limited_per_number(client, settings, outbox):
    """Past the rate per number, the page says so with a 429 and no SMS goes out."""
    settings.MERCATO_ACCOUNT_RATE_LIMITS = {**settings.MERCATO_ACCOUNT_RATE_LIMITS,
                                            "code_per_number": "2/h"}  # fmt: skip
    for _i in range(2):
        assert _send(client, "/account/signup/").status_code == 200
    response = _send(client, "/account/signup/")
    assert response.status_code == 429
    assert "Too many codes" in response.content.decode() or "验证码" in response.content.decode()
    assert len(outbox) == 2
    # Another number from the same address is still served.
    assert _send(client, "/account/signup/", mobile="13912345678").status_code == 200


def test_code_sending_is_limited_per_ip(client, settings, outbox):
    """Many numbers from one IP address hit the per-IP limit."""
    settings.MERCATO_ACCOUNT_RATE_LIMITS = {**settings.MERCATO_ACCOUNT_RATE_LIMITS,
                                            "code_per_ip": "3/h"}  # fmt: skip
    numbers = ["13812345671", "13812345672", "13812345673", "13812345674"]
    statuses = [_send(client, "/account/signup/", mobile=n).status_code for n in numbers]
    assert statuses == [200, 200, 200, 429]
    other_ip = client.post(
        "/account/signup/", {"mobile": numbers[3], "action": "send"}, REMOTE_ADDR="10.1.2.3"
    )
    assert other_ip.status_code == 200
    assert len(outbox) == 4


def test_log_in_is_limited_per_number(client, settings, customer):
    """Password guesses against one number stop at the limit, even with the right password."""
    settings.MERCATO_ACCOUNT_RATE_LIMITS = {**settings.MERCATO_ACCOUNT_RATE_LIMITS,
                                            "login_per_number": "3/h"}  # fmt: skip
    for i in range(3):
        response = client.post("/account/login/", {"login": MOBILE, "password": f"guess-{i}"},
                               REMOTE_ADDR=f"10.0.0.{i}")  # fmt: skip
        assert response.status_code == 400
    response = client.post("/account/login/", {"login": MOBILE, "password": PASSWORD})
    assert response.status_code == 429
    assert SESSION_KEY not in client.session


def test_log_in_is_limited_per_ip(client, settings, customer):
    """Trying many accounts from one address stops at the per-IP limit."""
    settings.MERCATO_ACCOUNT_RATE_LIMITS = {**settings.MERCATO_ACCOUNT_RATE_LIMITS,
                                            "login_per_ip": "3/h"}  # fmt: skip
    for n in range(3):
        client.post("/account/login/", {"login": f"1381234500{n}", "password": "x-x-x-x"})
    response = client.post("/account/login/", {"login": MOBILE, "password": PASSWORD})
    assert response.status_code == 429
    assert "network" in response.content.decode() or "网络" in response.content.decode()


# Password reset ------------------------------------------------------------------------
def test_password_reset_by_sms_code(client, customer, outbox):
    """A reset code and a new password change the password; the old one stops working."""
    _send(client, "/account/reset/")
    new = "Another-Pass-77"
    response = client.post(
        "/account/reset/", {"mobile": MOBILE, "code": _last_code(outbox), "password": new}
    )
    assert response.status_code == 302
    customer.user.refresh_from_db()
    assert customer.user.check_password(new) and not customer.user.check_password(PASSWORD)


def test_password_reset_by_email_link(client, customer, settings):
    """The emailed link lets the customer choose a new password, once."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = client.post("/account/reset/email/", {"email": "zhang@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["zhang@example.com"]
    link = re.search(r"http://testserver(/account/reset/\S+/)", mail.outbox[0].body).group(1)
    assert client.get(link).status_code == 200
    new = "Another-Pass-77"
    assert client.post(link, {"password": new}).status_code == 302
    customer.user.refresh_from_db()
    assert customer.user.check_password(new)
    assert client.post(link, {"password": "Third-Pass-88"}).status_code == 400


def test_password_reset_email_for_an_unknown_address_looks_the_same(client, settings):
    """An unknown address gets the same answer and no mail."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = client.post("/account/reset/email/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_bad_reset_link_is_a_clear_400(client):
    """A forged or garbled reset link answers 400 with a way to ask for a new one."""
    response = client.get("/account/reset/Zm9v/bad-token/")
    assert response.status_code == 400
    assert response.context["valid"] is False


@pytest.mark.redis
def test_rate_limit_counts_in_redis_as_in_production(client, settings, outbox):
    """With the Redis cache of a production set-up the per-number limit holds the same way."""
    import os
    import uuid

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"test-acct-{uuid.uuid4().hex}",  # no clash with other test runs
        }
    }
    settings.MERCATO_ACCOUNT_RATE_LIMITS = {**settings.MERCATO_ACCOUNT_RATE_LIMITS,
                                            "code_per_number": "1/h"}  # fmt: skip
    assert _send(client, "/account/signup/").status_code == 200
    assert _send(client, "/account/signup/").status_code == 429
    assert len(outbox) == 1


# Log-out ---------------------------------------------------------------------------------
def _logout_buttons(html: str) -> list[str]:
    """The labels of the buttons of forms that post to the log-out URL."""
    forms = re.findall(r'<form[^>]*action="/account/logout/"[^>]*>(.*?)</form>', html, re.S)
    return [label for form in forms for label in re.findall(r"<button[^>]*>(.*?)</button>", form)]


@pytest.mark.parametrize("path", ["/", "/cart/", "/account/"])
def test_log_out_is_in_the_header_and_says_tui_chu_deng_lu(client, path):
    """A logged-in shopper finds 退出登录 (never 注销, which reads as closing the account)
    in the header of every page, and pressing it logs them out."""
    customer = create_customer(mobile=MOBILE, password=PASSWORD)
    client.force_login(customer.user)
    html = client.get(path).content.decode()
    header = html[html.index('<header class="site-header">') : html.index("</header>")]
    assert _logout_buttons(header) == ["退出登录"]
    assert "注销" not in html
    response = client.post("/account/logout/")
    assert response.status_code == 302 and _logged_in_customer(client) is None
    assert _logout_buttons(client.get(path).content.decode()) == []

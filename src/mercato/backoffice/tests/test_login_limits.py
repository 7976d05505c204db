"""Back-office log-in limits (core/ratelimit.py) beside django-axes' lock-out."""

import pytest
from django.contrib.auth import SESSION_KEY

pytestmark = pytest.mark.django_db
NGINX = "10.0.0.5"


def _post(client, password: str, ip: str, username: str = "kefu"):
    return client.post(
        "/backoffice/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=NGINX,
        HTTP_X_FORWARDED_FOR=ip,
    )


def test_one_staff_account_cannot_be_tried_from_many_addresses(client, settings, make_staff):
    """Failed log-ins count per account whatever the address; past the limit even the right
    password is refused (429), and nothing is tried."""
    settings.TRUSTED_PROXIES = [NGINX]
    settings.MERCATO_ACCOUNT_RATE_LIMITS = {**settings.MERCATO_ACCOUNT_RATE_LIMITS,
                                            "staff_login_per_number": "3/h"}  # fmt: skip
    make_staff("service", username="kefu", password="right-pass-1234")
    make_staff("service", username="kefu2", password="right-pass-1234")
    for n in range(3):
        assert _post(client, f"guess-{n}", f"203.0.113.{n + 1}").status_code == 200
    response = _post(client, "right-pass-1234", "198.51.100.7")
    assert response.status_code == 429
    assert SESSION_KEY not in client.session
    # Another account from the same address is not affected.
    assert _post(client, "right-pass-1234", "198.51.100.7", username="kefu2").status_code == 302


def test_successful_log_ins_do_not_count(client, settings, make_staff):
    """Only failures count: a colleague who logs in often is never refused."""
    settings.MERCATO_ACCOUNT_RATE_LIMITS = {**settings.MERCATO_ACCOUNT_RATE_LIMITS,
                                            "staff_login_per_number": "2/h"}  # fmt: skip
    make_staff("service", username="kefu", password="right-pass-1234")
    for _ in range(4):
        assert _post(client, "right-pass-1234", "203.0.113.1").status_code == 302
        client.logout()

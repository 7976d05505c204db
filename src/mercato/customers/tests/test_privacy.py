import logging

import pytest

from mercato.customers.privacy import mask_login
from mercato.customers.services import create_customer

MOBILE = "13812345678"


@pytest.mark.parametrize(
    ("login", "shown"),
    [(MOBILE, "138****5678"), ("+86 138 1234 5678", "861******5678"),
     ("zhang@example.com", "zh***@example.com"), ("ops1", "ops1")],
)  # fmt: skip
def test_log_in_names_are_masked_for_logs(login, shown):
    """Phone numbers and email addresses are masked; staff log-in names stay readable."""
    assert mask_login(login) == shown


@pytest.mark.django_db
def test_account_flows_never_log_a_phone_number_or_a_code(client, settings, caplog, sms_outbox):  # noqa: F811
    """Sending a code, failed and successful log-ins (with django-axes on) leave neither the
    number nor the code in any log record."""
    settings.AXES_ENABLED = True
    create_customer(mobile=MOBILE, password="Shop-Pass-2026")
    with caplog.at_level(logging.DEBUG):
        client.post("/account/login/code/", {"mobile": MOBILE, "action": "send"})
        code = sms_outbox[-1].code
        client.post("/account/login/code/", {"mobile": MOBILE, "code": "000000"})
        client.post("/account/login/", {"login": MOBILE, "password": "wrong-password"})
        client.post("/account/login/", {"login": MOBILE, "password": "Shop-Pass-2026"})
        client.post("/account/login/code/", {"mobile": MOBILE, "code": code})
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "138****5678" in text  # the SMS log line, masked
    assert MOBILE not in text and code not in text

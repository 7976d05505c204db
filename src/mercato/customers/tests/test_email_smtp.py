"""Password-reset email through Django's SMTP backend, in a real SMTP conversation with a
local aiosmtpd server."""

import email
import re
from email.policy import default as default_policy

import pytest

from mercato.customers.accounts import send_password_reset_email
from mercato.customers.services import create_customer
from mercato.testing.smtp import local_smtp

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings):
    with local_smtp(settings) as handler:
        settings.DEFAULT_FROM_EMAIL = "Mercato <noreply@mercato.test>"
        yield handler


def test_reset_link_is_delivered_over_smtp(smtp, client):
    """The SMTP server receives the mail from the shop's address to the customer, with a
    link that opens the new-password form."""
    create_customer(email="wang@example.com", password="Old-Pass-1234")
    sent = send_password_reset_email(
        email="Wang@Example.com", reset_url=lambda uid, token: f"http://testserver/account/reset/{uid}/{token}/"
    )  # fmt: skip
    assert sent is True
    (envelope,) = smtp.messages
    assert envelope.mail_from == "noreply@mercato.test"
    assert envelope.rcpt_tos == ["wang@example.com"]
    message = email.message_from_bytes(envelope.content, policy=default_policy)
    body = message.get_body(preferencelist=("plain",)).get_content()
    path = re.search(r"http://testserver(/account/reset/\S+/)", body).group(1)
    assert client.get(path).status_code == 200


def test_reset_page_sends_over_smtp(smtp, client):
    """The reset-by-email page hands the message to the SMTP server."""
    create_customer(email="li@example.com", password="Old-Pass-1234")
    assert client.post("/account/reset/email/", {"email": "li@example.com"}).status_code == 302
    assert [e.rcpt_tos for e in smtp.messages] == [["li@example.com"]]

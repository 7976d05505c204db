"""Email in and out: a reply goes out over a real SMTP conversation (a local aiosmtpd
server) with its threading headers; the customer's answer to it, read from a pipe as the
MTA hands it over, lands on the same ticket; forged or missing headers never attach mail
to someone else's ticket."""

import email
import io
import sys
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mercato.core.errors import ValidationFailed
from mercato.service import services
from mercato.service.mail import receive_email
from mercato.service.models import Channel, Direction, Ticket, TicketStatus, Visibility
from mercato.testing.factories import make_customer
from mercato.testing.service import make_ticket, png
from mercato.testing.smtp import local_smtp

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings):
    with local_smtp(settings) as handler:
        settings.MERCATO_SERVICE_EMAIL = "Mercato 客服 <service@mercato.test>"
        yield handler


def customer_mail(
    *,
    subject="订单一直没发货",
    body="请帮我查一下订单",
    sender="王先生 <wang@example.com>",
    message_id="<c1@example.com>",
    in_reply_to=None,
    references=None,
    attachments=(),
) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, "service@mercato.test"
    msg["Subject"], msg["Message-ID"] = subject, message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    msg.set_content(body)
    for name, content, maintype, subtype in attachments:
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def pipe(monkeypatch, raw: bytes) -> str:
    """Run the MTA's pipe-to-command with `raw` on its standard input; its output."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    out = io.StringIO()
    call_command("receive_service_mail", stdout=out)
    return out.getvalue()


def test_email_round_trip_over_smtp(smtp, agent, monkeypatch, django_capture_on_commit_callbacks):
    """Mail in → a ticket; the agent's reply → SMTP with Message-ID, In-Reply-To and
    References; the customer's answer quoting them → the same ticket, open again."""
    customer = make_customer(email="wang@example.com")
    output = pipe(monkeypatch, customer_mail())
    ticket = Ticket.objects.get()
    assert ticket.number in output
    assert (ticket.channel, ticket.customer, ticket.contact_email) == (
        Channel.EMAIL, customer, "wang@example.com"
    )  # fmt: skip
    assert ticket.messages.get().body.startswith("请帮我查一下订单")

    with django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_to_ticket(actor=agent, ticket_id=ticket.pk, body="您好，明天发货")
    (envelope,) = smtp.messages
    assert envelope.mail_from == "service@mercato.test"
    assert envelope.rcpt_tos == ["wang@example.com"]
    sent = email.message_from_bytes(envelope.content, policy=default_policy)
    assert sent["Message-ID"] == reply.message_id
    assert sent["In-Reply-To"] == "<c1@example.com>"
    assert sent["References"] == "<c1@example.com>"
    assert ticket.number in sent["Subject"]
    assert sent.get_body(("plain",)).get_content().strip() == "您好，明天发货"
    reply.refresh_from_db()
    assert reply.emailed_at is not None

    answer = customer_mail(
        subject=f"Re: {sent['Subject']}", body="好的，谢谢", message_id="<c2@example.com>",
        in_reply_to=sent["Message-ID"], references=f"<c1@example.com> {sent['Message-ID']}",
    )  # fmt: skip
    pipe(monkeypatch, answer)
    ticket.refresh_from_db()
    assert Ticket.objects.count() == 1 and ticket.status == TicketStatus.OPEN
    assert [m.body.strip() for m in ticket.messages.all()] == [
        "请帮我查一下订单", "您好，明天发货", "好的，谢谢"
    ]  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        services.reply_to_ticket(actor=agent, ticket_id=ticket.pk, body="不客气")
    second = email.message_from_bytes(smtp.messages[1].content, policy=default_policy)
    assert second["In-Reply-To"] == "<c2@example.com>"
    assert second["References"].split() == [
        "<c1@example.com>", reply.message_id, "<c2@example.com>"
    ]  # fmt: skip


def test_internal_notes_and_phone_tickets_send_no_mail(
    smtp, agent, django_capture_on_commit_callbacks
):
    emailed = make_ticket(actor=agent, contact_email="li@example.com")
    phoned = make_ticket(actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        services.reply_to_ticket(
            actor=agent, ticket_id=emailed.pk, body="备注", visibility="internal"
        )
        services.reply_to_ticket(actor=agent, ticket_id=phoned.pk, body="已电话回复")
    assert smtp.messages == []


def test_a_forged_in_reply_to_from_a_stranger_makes_a_new_ticket(agent):
    """Someone who knows the Message-ID of another customer's mail cannot add to that
    customer's ticket: a stranger's mail starts a ticket of its own."""
    receive_email(customer_mail())
    victim = Ticket.objects.get()
    reply = services.reply_to_ticket(actor=agent, ticket_id=victim.pk, body="您好")
    forged = customer_mail(sender="mallory@example.net", message_id="<m1@example.net>",
                           in_reply_to=reply.message_id, body="把退款打到我的卡上")  # fmt: skip
    message = receive_email(forged)
    assert message.ticket != victim and message.ticket.contact_email == "mallory@example.net"
    assert victim.messages.count() == 2


def test_unknown_or_missing_in_reply_to_makes_a_new_ticket():
    receive_email(customer_mail())
    first = Ticket.objects.get()
    other = receive_email(customer_mail(message_id="<c9@example.com>",
                                        in_reply_to="<nothing@example.org>"))  # fmt: skip
    plain = receive_email(customer_mail(message_id="<c10@example.com>"))
    assert len({first.pk, other.ticket_id, plain.ticket_id}) == 3


def test_the_same_mail_twice_is_taken_once():
    first = receive_email(customer_mail())
    again = receive_email(customer_mail())
    assert first.pk == again.pk and Ticket.objects.count() == 1


def test_images_kept_and_other_attachments_noted(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    raw = customer_mail(attachments=[
        ("破损.png", png().read(), "image", "png"),
        ("合同.pdf", b"%PDF-1.4", "application", "pdf"),
    ])  # fmt: skip
    message = receive_email(raw)
    assert [a.original_name for a in message.attachments.all()] == ["破损.png"]
    note = message.ticket.messages.get(visibility=Visibility.INTERNAL)
    assert "合同.pdf" in note.body and note.direction == Direction.OUTBOUND


def test_mail_without_a_sender_is_refused(monkeypatch):
    with pytest.raises(ValidationFailed):
        receive_email(customer_mail(sender="undisclosed-recipients:;"))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"garbage")))
    with pytest.raises(SystemExit) as exited:
        call_command("receive_service_mail", stderr=io.StringIO())
    assert exited.value.code == 65
    assert not Ticket.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_mail_delivered_twice_at_once_is_one_message():
    """Two MTA deliveries of one mail racing: one ticket with one message, and both
    deliveries answered with it (neither bounces)."""
    from mercato.testing.concurrency import run_concurrently

    raw = customer_mail(message_id="<race@example.com>")
    outcomes = run_concurrently([lambda: receive_email(raw) for _ in range(2)])
    assert [type(o).__name__ for o in outcomes] == ["TicketMessage", "TicketMessage"], outcomes
    assert outcomes[0].pk == outcomes[1].pk
    assert Ticket.objects.count() == 1


def test_imap_poll_reads_unseen_mail_once(agent):
    """The poll over a real IMAP conversation: unseen mail becomes tickets and replies,
    each marked seen; a second poll takes nothing; mail without a sender is marked seen
    and counted as refused, not retried forever."""
    from mercato.service.mail import poll_imap
    from mercato.testing.imap import ImapStandIn, Mailbox

    box = Mailbox("service@mercato.test", "p@ss word")
    box.add(customer_mail())
    box.add(customer_mail(sender="undisclosed-recipients:;", message_id="<x@example.com>"))
    with ImapStandIn(box) as (host, port):
        url = f"imap://service%40mercato.test:p%40ss%20word@{host}:{port}/INBOX"
        out = io.StringIO()
        call_command("poll_service_mailbox", url=url, stdout=out)
        assert "1 taken, 1 refused" in out.getvalue()
        ticket = Ticket.objects.get()
        reply = services.reply_to_ticket(actor=agent, ticket_id=ticket.pk, body="您好")
        box.add(customer_mail(body="谢谢", message_id="<c2@example.com>",
                              in_reply_to=reply.message_id))  # fmt: skip
        result = poll_imap(url)
        assert (result.taken, result.refused) == (1, 0)
        assert poll_imap(url).taken == 0
    assert box.seen == {1, 2, 3}
    assert Ticket.objects.count() == 1 and ticket.messages.count() == 3
    assert any(c.startswith("UID FETCH") and "PEEK" in c for c in box.commands)


def test_imap_poll_with_a_wrong_password_names_the_option():
    from mercato.testing.imap import ImapStandIn, Mailbox

    with ImapStandIn(Mailbox("a", "b")) as (host, port):
        with pytest.raises(CommandError, match="--url"):
            call_command("poll_service_mailbox", url=f"imap://a:wrong@{host}:{port}/INBOX")
    with pytest.raises(CommandError, match="MERCATO_SERVICE_IMAP_URL"):
        call_command("poll_service_mailbox", url="")

"""Email in and out of the service desk.

Out: an agent's reply to a ticket with an email address goes out through Django's email
backend (SMTP in production, EMAIL_URL) once the reply's transaction commits, from the
service address, threaded: its own Message-ID, In-Reply-To the customer's last mail and
References every earlier mail of the ticket, so the customer's mail program shows one
conversation.

In: `receive_email(raw)` turns one RFC 822 message into a reply on its ticket or a new
ticket; the MTA pipes mail to `mercato receive_service_mail`, or `mercato
poll_service_mailbox` reads it over IMAP. The ticket is found only through
In-Reply-To/References naming a mail of the ticket AND a sender who is the ticket's
contact (or its customer): a forged or missing header, or a stranger's mail that quotes
someone's Message-ID, makes a new ticket and never lands on another customer's.
The same Message-ID twice (an MTA retrying) is taken once.
"""

import email
import imaplib
import logging
import re
from dataclasses import dataclass
from email.policy import default as default_policy
from email.utils import make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from mercato.core.errors import ValidationFailed
from mercato.customers.models import Customer

from . import services
from .models import Channel, Direction, Ticket, TicketCategory, TicketMessage, Visibility

logger = logging.getLogger(__name__)
_MSGID = re.compile(r"<[^<>\s]+>")


def service_address() -> str:
    return getattr(settings, "MERCATO_SERVICE_EMAIL", "") or settings.DEFAULT_FROM_EMAIL


def new_message_id() -> str:
    domain = parseaddr(service_address())[1].rpartition("@")[2] or "localhost"
    return make_msgid(domain=domain)


def send_reply_later(message_id: int) -> None:
    transaction.on_commit(lambda: send_reply(message_id))


def reply_email(message: TicketMessage) -> EmailMessage:
    """The email of an agent's reply, with the thread's headers."""
    ticket = message.ticket
    earlier = list(
        TicketMessage.objects.filter(ticket=ticket, id__lt=message.pk)
        .exclude(message_id="")
        .order_by("created_at", "id")
        .values_list("direction", "message_id")
    )
    headers = {"Message-ID": message.message_id}
    inbound = [mid for direction, mid in earlier if direction == Direction.INBOUND]
    if inbound:
        headers["In-Reply-To"] = inbound[-1]
    if earlier:
        headers["References"] = " ".join(mid for _direction, mid in earlier)
    mail = EmailMessage(
        subject=f"Re: {ticket.subject} [{ticket.number}]", body=message.body,
        from_email=service_address(), to=[ticket.contact_email], headers=headers,
    )  # fmt: skip
    for item in message.attachments.all():
        with item.image.open("rb") as f:
            mail.attach(item.original_name, f.read())
    return mail


def send_reply(message_id: int) -> bool:
    """Send one reply; True when the mail server took it (its time is kept on the message).
    A failure is logged (without the address) and leaves the reply marked as not sent."""
    message = TicketMessage.objects.select_related("ticket").filter(pk=message_id).first()
    if message is None or message.emailed_at or not message.ticket.contact_email:
        return False
    try:
        reply_email(message).send()
    except Exception:  # the mail server's failure must not undo the agent's reply
        logger.exception("ticket reply %s: sending failed", message_id)
        return False
    TicketMessage.objects.filter(pk=message_id).update(emailed_at=timezone.now())
    return True


# In ------------------------------------------------------------------------------------------
def _body_and_images(msg):
    part = msg.get_body(preferencelist=("plain", "html"))
    body = ""
    if part is not None:
        body = part.get_content()
        if part.get_content_type() == "text/html":
            body = strip_tags(body)
    uploads, refused = [], []
    for item in msg.iter_attachments():
        name = item.get_filename() or "attachment"
        payload = item.get_payload(decode=True) or b""
        upload = SimpleUploadedFile(name, payload, content_type=item.get_content_type())
        try:
            services.images.check_images([upload])
        except ValidationFailed:
            refused.append(name)
            continue
        uploads.append(upload)
    return body.strip(), uploads[: services.images.MAX_FILES], refused


def _thread_ticket(msg, sender: str) -> Ticket | None:
    ids = _MSGID.findall(f"{msg.get('In-Reply-To', '')} {msg.get('References', '')}")
    if not ids:
        return None
    candidates = (
        Ticket.objects.filter(messages__message_id__in=ids)
        .select_related("customer")
        .distinct()
        .order_by("-id")
    )
    for ticket in candidates:
        known = {ticket.contact_email.lower()}
        if ticket.customer and ticket.customer.email:
            known.add(ticket.customer.email.lower())
        if sender in known:
            return ticket
    return None


def receive_email(raw: bytes, *, now=None) -> TicketMessage:
    """One received mail → a message on its ticket or a new ticket (see the module's
    docstring); ValidationFailed without a sender's address."""
    now = now or timezone.now()
    msg = email.message_from_bytes(raw, policy=default_policy)
    name, sender = parseaddr(str(msg.get("From", "")))
    try:
        sender = services.clean_email(sender, "from")
    except ValidationFailed:
        sender = ""
    if not sender:
        raise ValidationFailed({"from": [_("The mail has no sender's address.")]})
    message_id = (_MSGID.findall(str(msg.get("Message-ID", ""))) or [""])[0]
    if message_id:
        seen = TicketMessage.objects.filter(
            message_id=message_id, direction=Direction.INBOUND
        ).first()
        if seen is not None:
            return seen
    body, uploads, refused = _body_and_images(msg)
    if not body:
        body = _("(no text)")
    ticket = _thread_ticket(msg, sender)
    try:
        return _store(msg, ticket, body=body, uploads=uploads, refused=refused, sender=sender,
                      name=name, message_id=message_id, now=now)  # fmt: skip
    except IntegrityError:  # the same mail, delivered twice at once: the other run kept it
        seen = TicketMessage.objects.filter(message_id=message_id, direction=Direction.INBOUND)
        if not message_id or not seen.exists():
            raise
        return seen.get()


@transaction.atomic
def _store(msg, ticket, *, body, uploads, refused, sender, name, message_id, now):
    subject = str(msg.get("Subject", "")).strip()[:200] or _("(no subject)")
    if ticket is not None:
        message = services.receive_customer_message(
            ticket_id=ticket.pk, body=body, sender=sender, message_id=message_id,
            attachments=uploads, now=now,
        )  # fmt: skip
    else:
        customer = Customer.objects.filter(email__iexact=sender).first()
        new = services.create_ticket(
            actor=None, channel=Channel.EMAIL, category=TicketCategory.OTHER,
            subject=subject, body=body, customer_id=customer.pk if customer else None,
            contact_name=name[:40], contact_email=sender, message_id=message_id,
            attachments=uploads, now=now,
        )  # fmt: skip
        message = new.messages.get()
    if refused:
        TicketMessage.objects.create(
            ticket=message.ticket, direction=Direction.OUTBOUND,
            visibility=Visibility.INTERNAL, created_at=now,
            body=_("Attachments that are not images were not kept: %(names)s")
            % {"names": ", ".join(refused)},
        )  # fmt: skip
    return message


# IMAP poll -----------------------------------------------------------------------------------
@dataclass
class PollResult:
    taken: int = 0
    refused: int = 0


def poll_imap(url: str) -> PollResult:
    """Read the unseen mail of the mailbox at `url` (imap://user:password@host:143/INBOX,
    imaps://... for TLS) into the service desk, each as receive_email takes it, and mark
    each one seen once it is stored — a mail that cannot be read (no sender) is marked
    seen too, and counted as refused, so it does not come back at every poll. A failure
    of the database leaves the mail unseen for the next poll."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise ValueError("MERCATO_SERVICE_IMAP_URL must be imap://... or imaps://...")
    client_class = imaplib.IMAP4_SSL if parts.scheme == "imaps" else imaplib.IMAP4
    port = parts.port or (993 if parts.scheme == "imaps" else 143)
    result = PollResult()
    client = client_class(parts.hostname, port, timeout=30)
    try:
        client.login(unquote(parts.username or ""), unquote(parts.password or ""))
        client.select(unquote(parts.path.strip("/")) or "INBOX")
        _status, data = client.uid("SEARCH", None, "UNSEEN")
        for uid in (data[0] or b"").split():
            _status, fetched = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((item[1] for item in fetched if isinstance(item, tuple)), None)
            if raw is None:
                continue
            try:
                receive_email(raw)
                result.taken += 1
            except ValidationFailed:
                logger.warning("service mailbox: mail uid %s refused (no sender)", uid.decode())
                result.refused += 1
            client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
        client.close()
    finally:
        client.logout()
    return result

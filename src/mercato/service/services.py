"""Every change to a ticket: create (any channel), reply or note, a customer's message,
status, assignment, escalation, merge, split and tags. One transaction each; the ticket's
row is locked first; bad input raises a DomainError naming the field and writes nothing.

Who may: `service.add_ticket` creates, `service.handle_ticket` answers, moves, takes an
unassigned ticket, merges and splits; `service.supervise_tickets` (客户主管) reassigns and
escalates. `actor=None` is the system (mail received, the shop's contact form).
"""

import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mercato.core.errors import Conflict, NotFound, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.customers.models import Customer
from mercato.customers.phones import normalize_cn_mobile
from mercato.orders.models import Order

from . import attachments as images
from .assignment import HANDLE, pick_agent, queue_for
from .models import (
    DONE_STATUSES,
    PRIORITY_ORDER,
    Channel,
    Direction,
    EventKind,
    Priority,
    Queue,
    Tag,
    Ticket,
    TicketCategory,
    TicketEvent,
    TicketMessage,
    TicketStatus,
    Visibility,
)
from .sla import due_times
from .status import move_ticket

S = TicketStatus
ADD, SUPERVISE = "service.add_ticket", "service.supervise_tickets"
MAX_BODY = 20_000
MAX_TAGS = 10
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,18}[0-9]$")

REASON_AGENT_REPLIED = gettext_noop("Answered the customer")
REASON_CUSTOMER_REPLIED = gettext_noop("The customer replied")
REASON_REOPENED = gettext_noop("A reply to a closed ticket reopens it")
REASON_AUTO_ASSIGNED = gettext_noop("Assigned by the queue's rule")
REASON_MERGED = gettext_noop("Merged into another ticket")
REASON_FOLLOW_UP = gettext_noop("A reply long after closing: a new ticket")


def reopen_days() -> int:
    """A customer's reply within this many days of closing reopens the ticket; a later one
    opens a follow-up ticket (MERCATO_TICKET_REOPEN_DAYS, 14)."""
    return int(getattr(settings, "MERCATO_TICKET_REOPEN_DAYS", 14))


def new_ticket_number(now) -> str:
    return f"TK{timezone.localtime(now):%Y%m%d}{secrets.token_hex(4).upper()}"


def _create_numbered(**fields) -> Ticket:
    """A new ticket with a fresh random number (the day and 8 hex digits); on the rare
    clash with an existing number, another number (in a savepoint, so the caller's
    transaction goes on). The number is the ticket's only unique column (foreign keys are
    checked at commit), so an IntegrityError here is a clash."""
    for attempt in range(5):
        try:
            with transaction.atomic():
                number = new_ticket_number(fields["created_at"])
                return Ticket.objects.create(number=number, **fields)
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def _locked(ticket_id) -> Ticket:
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(_("No such ticket."), field="ticket")
    return ticket


def _event(ticket, kind, actor, reason="", *, now, status=""):
    return TicketEvent.objects.create(
        ticket=ticket, kind=kind, from_status=status or ticket.status,
        to_status=status or ticket.status, actor=actor if getattr(actor, "pk", None) else None,
        reason=str(reason)[:200], created_at=now,
    )  # fmt: skip


def _choice(value, choices, field, message):
    if value not in choices.values:
        raise ValidationFailed({field: [message]})
    return value


def _text(value, field, *, limit, required=True) -> str:
    value = str(value or "").strip()
    if required and not value:
        raise ValidationFailed({field: [_("This field is required.")]})
    if len(value) > limit:
        raise ValidationFailed(
            {field: [_("At most %(n)s characters.") % {"n": limit}]}
        )  # fmt: skip
    return value


def clean_phone(value, field: str = "contact_phone") -> str:
    """A mainland mobile as its 11 digits; a landline as written (digits, spaces, -)."""
    value = str(value or "").strip()
    if not value:
        return ""
    mobile = normalize_cn_mobile(value)
    if mobile:
        return mobile
    if not _PHONE.match(value):
        raise ValidationFailed({field: [_("Enter a phone number, e.g. 13812345678.")]})
    return value


def clean_email(value, field: str = "contact_email") -> str:
    value = str(value or "").strip()
    if not value:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationFailed({field: [_("Enter a valid email address.")]}) from None
    return value.lower()


def _orders(numbers, customer) -> list[Order]:
    numbers = [str(n).strip() for n in numbers or [] if str(n).strip()]
    found = {o.number: o for o in Order.objects.filter(number__in=numbers)}
    for i, number in enumerate(numbers):
        order = found.get(number)
        if order is None or (customer is not None and order.customer_id not in (None, customer.pk)):
            raise ValidationFailed({f"orders.{i}": [_("No such order of this customer.")]})
    return [found[n] for n in dict.fromkeys(numbers)]


def _assign_by_rule(ticket: Ticket, *, now) -> None:
    queue = queue_for(ticket.category)
    if queue is None:
        return
    queue = Queue.objects.select_for_update().get(pk=queue.pk)
    ticket.queue = queue
    ticket.assignee = pick_agent(queue)
    ticket.save(update_fields=["queue", "assignee"])
    if ticket.assignee_id:
        _event(ticket, EventKind.ASSIGNED, None, REASON_AUTO_ASSIGNED, now=now)


def _add_message(ticket, *, direction, visibility, body, author=None, sender="",
                 message_id="", uploads=(), now) -> TicketMessage:  # fmt: skip
    message = TicketMessage.objects.create(
        ticket=ticket, direction=direction, visibility=visibility, body=body, author=author,
        sender=sender[:200], message_id=message_id[:250], created_at=now,
    )  # fmt: skip
    images.store_images(message=message, uploads=uploads)
    return message


@transaction.atomic
def create_ticket(
    *,
    actor,
    channel: str,
    category: str,
    subject: str,
    body: str,
    priority: str = Priority.NORMAL,
    customer_id: int | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    order_numbers=(),
    tags=(),
    attachments=(),
    message_id: str = "",
    auto_assign: bool = True,
    now=None,
) -> Ticket:
    """A new ticket with the customer's words as its first message (for a phone call, as
    the agent wrote them down), due times from the SLA policy, routed to a queue and, by
    the queue's rule, an agent. A guest needs a phone number or an email address."""
    now = now or timezone.now()
    if actor is not None:
        require_perm(actor, ADD)
    _choice(channel, Channel, "channel", _("Choose a channel."))
    _choice(category, TicketCategory, "category", _("Choose a category."))
    _choice(priority, Priority, "priority", _("Choose a priority."))
    subject = _text(subject, "subject", limit=200)
    body = _text(body, "body", limit=MAX_BODY)
    customer = None
    if customer_id is not None:
        customer = Customer.objects.filter(pk=customer_id).select_related("user").first()
        if customer is None:
            raise ValidationFailed({"customer": [_("No such customer.")]})
    contact_name = _text(contact_name, "contact_name", limit=40, required=False)
    contact_phone = clean_phone(contact_phone)
    contact_email = clean_email(contact_email)
    if customer is not None:
        contact_name = contact_name or customer.name
        contact_phone = contact_phone or (customer.mobile or "")
        contact_email = contact_email or (customer.email or "")
    if not (contact_phone or contact_email):
        raise ValidationFailed(
            {"contact_phone": [_("Give a phone number or an email address to answer.")]}
        )
    orders = _orders(order_numbers, customer)
    images.check_images(attachments)
    first_due, resolution_due = due_times(priority=priority, category=category, start=now)
    ticket = _create_numbered(
        subject=subject, channel=channel, category=category,
        priority=priority, customer=customer, contact_name=contact_name,
        contact_phone=contact_phone, contact_email=contact_email,
        first_response_due=first_due, resolution_due=resolution_due,
        created_by=actor if getattr(actor, "pk", None) else None, created_at=now, updated_at=now,
    )  # fmt: skip
    if orders:
        ticket.orders.set(orders)
    _set_tags(ticket, tags)
    _add_message(
        ticket, direction=Direction.INBOUND, visibility=Visibility.PUBLIC, body=body,
        author=actor if getattr(actor, "pk", None) else None,
        sender=contact_email or contact_name or contact_phone, message_id=message_id,
        uploads=attachments, now=now,
    )  # fmt: skip
    _event(ticket, EventKind.CREATED, actor, "", now=now)
    if auto_assign:
        _assign_by_rule(ticket, now=now)
    return ticket


def _reopen(ticket, actor, *, now) -> None:
    move_ticket(ticket=ticket, to=S.OPEN, actor=actor, reason=REASON_REOPENED, now=now)
    # A fresh resolution window from the reopening.
    _first, due = due_times(priority=ticket.priority, category=ticket.category, start=now)
    ticket.resolution_due = due
    ticket.save(update_fields=["resolution_due"])


def _not_merged(ticket: Ticket) -> None:
    if ticket.merged_into_id:
        raise Conflict(
            _("This ticket was merged into %(number)s: answer there.")
            % {"number": ticket.merged_into.number},
            field="ticket",
        )


@transaction.atomic
def reply_to_ticket(
    *, actor, ticket_id: int, body: str, visibility: str = Visibility.PUBLIC, attachments=(),
    now=None,
) -> TicketMessage:  # fmt: skip
    """An agent's reply to the customer (emailed when the ticket has an email address) or
    an internal note the customer never sees. A reply stops the first-response timer and
    waits for the customer; a reply to a resolved or closed ticket reopens it first."""
    from .mail import new_message_id, send_reply_later

    now = now or timezone.now()
    require_perm(actor, HANDLE)
    ticket = _locked(ticket_id)
    _not_merged(ticket)
    _choice(visibility, Visibility, "visibility", _("Choose a reply or an internal note."))
    body = _text(body, "body", limit=MAX_BODY)
    images.check_images(attachments)
    public = visibility == Visibility.PUBLIC
    if public and ticket.status in DONE_STATUSES:
        _reopen(ticket, actor, now=now)
    message = _add_message(
        ticket, direction=Direction.OUTBOUND, visibility=visibility, body=body, author=actor,
        sender=str(actor), message_id=new_message_id() if public and ticket.contact_email else "",
        uploads=attachments, now=now,
    )  # fmt: skip
    if public:
        if ticket.first_responded_at is None:
            ticket.first_responded_at = now
        if ticket.status in (S.NEW, S.OPEN):
            move_ticket(ticket=ticket, to=S.PENDING, actor=actor, reason=REASON_AGENT_REPLIED,
                        now=now)  # fmt: skip
        ticket.updated_at = now
        ticket.save(update_fields=["first_responded_at", "updated_at"])
        if message.message_id:
            send_reply_later(message.pk)
    return message


@transaction.atomic
def receive_customer_message(
    *, ticket_id: int, body: str, sender: str = "", message_id: str = "", attachments=(),
    now=None,
) -> TicketMessage:  # fmt: skip
    """The customer wrote again (mail, the shop): a waiting ticket is open again; a reply
    within reopen_days() of closing reopens a resolved or closed ticket, a later one starts
    a follow-up ticket (its parent the old one). A merged ticket's reply goes to the
    ticket it was merged into."""
    now = now or timezone.now()
    ticket = _locked(ticket_id)
    while ticket.merged_into_id:
        ticket = _locked(ticket.merged_into_id)
    body = _text(body, "body", limit=MAX_BODY)
    images.check_images(attachments)
    if ticket.status in DONE_STATUSES:
        ended = ticket.closed_at or ticket.resolved_at or now
        if now - ended > timedelta(days=reopen_days()):
            return _follow_up(ticket, body=body, sender=sender, message_id=message_id,
                              attachments=attachments, now=now)  # fmt: skip
        _reopen(ticket, None, now=now)
    elif ticket.status == S.PENDING:
        move_ticket(ticket=ticket, to=S.OPEN, actor=None, reason=REASON_CUSTOMER_REPLIED, now=now)
    ticket.updated_at = now
    ticket.save(update_fields=["updated_at"])
    return _add_message(
        ticket, direction=Direction.INBOUND, visibility=Visibility.PUBLIC, body=body,
        sender=sender, message_id=message_id, uploads=attachments, now=now,
    )  # fmt: skip


def _follow_up(old: Ticket, *, body, sender, message_id, attachments, now) -> TicketMessage:
    ticket = create_ticket(
        actor=None, channel=old.channel, category=old.category, priority=old.priority,
        subject=old.subject, body=body, customer_id=old.customer_id,
        contact_name=old.contact_name, contact_phone=old.contact_phone,
        contact_email=old.contact_email, message_id=message_id, attachments=attachments,
        now=now,
    )  # fmt: skip
    ticket.parent = old
    ticket.save(update_fields=["parent"])
    ticket.orders.set(old.orders.all())
    _event(ticket, EventKind.CREATED, None, REASON_FOLLOW_UP, now=now)
    message = ticket.messages.get()
    message.sender = sender[:200] or message.sender
    message.save(update_fields=["sender"])
    return message


@transaction.atomic
def change_status(*, actor, ticket_id: int, to: str, reason: str = "", now=None) -> Ticket:
    now = now or timezone.now()
    require_perm(actor, HANDLE)
    ticket = _locked(ticket_id)
    _not_merged(ticket)
    reason = _text(reason, "reason", limit=200, required=False)
    if ticket.status in DONE_STATUSES and to == S.OPEN:
        _reopen(ticket, actor, now=now)
    else:
        move_ticket(ticket=ticket, to=to, actor=actor, reason=reason, now=now)
    return ticket


@transaction.atomic
def assign_ticket(*, actor, ticket_id: int, assignee_id: int | None, reason: str = "",
                  now=None) -> Ticket:  # fmt: skip
    """Give the ticket to an agent (None: back to the queue). An agent may take an
    unassigned ticket for themself; anything else is a supervisor's reassignment."""
    now = now or timezone.now()
    require_perm(actor, HANDLE)
    ticket = _locked(ticket_id)
    _not_merged(ticket)
    taking = assignee_id == actor.pk and ticket.assignee_id is None
    if not taking:
        require_perm(actor, SUPERVISE)
    assignee = None
    if assignee_id is not None:
        assignee = get_user_model().objects.filter(pk=assignee_id, is_active=True, is_staff=True)
        assignee = assignee.first()
        if assignee is None or not assignee.has_perm(HANDLE):
            raise ValidationFailed({"assignee": [_("Choose an agent who answers tickets.")]})
    if assignee_id == ticket.assignee_id:
        return ticket
    ticket.assignee = assignee
    ticket.updated_at = now
    ticket.save(update_fields=["assignee", "updated_at"])
    who = str(assignee) if assignee else _("the queue")
    _event(ticket, EventKind.ASSIGNED, actor, reason or who, now=now)
    return ticket


@transaction.atomic
def escalate_ticket(*, actor, ticket_id: int, reason: str, assignee_id: int | None = None,
                    now=None) -> Ticket:  # fmt: skip
    """A supervisor raises the ticket one priority (urgent stays urgent), which brings its
    due times forward (from its creation), marks it escalated and may reassign it."""
    now = now or timezone.now()
    require_perm(actor, SUPERVISE)
    reason = _text(reason, "reason", limit=200)
    ticket = _locked(ticket_id)
    _not_merged(ticket)
    if ticket.status in DONE_STATUSES:
        raise Conflict(_("A resolved or closed ticket cannot be escalated."), field="status")
    step = PRIORITY_ORDER.index(Priority(ticket.priority))
    ticket.priority = PRIORITY_ORDER[min(step + 1, len(PRIORITY_ORDER) - 1)]
    first_due, resolution_due = due_times(
        priority=ticket.priority, category=ticket.category, start=ticket.created_at
    )
    ticket.first_response_due, ticket.resolution_due = first_due, resolution_due
    ticket.escalated, ticket.updated_at = True, now
    ticket.save(update_fields=["priority", "first_response_due", "resolution_due",
                               "escalated", "updated_at"])  # fmt: skip
    _event(ticket, EventKind.ESCALATED, actor, reason, now=now)
    if assignee_id is not None and assignee_id != ticket.assignee_id:
        assign_ticket(actor=actor, ticket_id=ticket.pk, assignee_id=assignee_id, reason=reason,
                      now=now)  # fmt: skip
        ticket.refresh_from_db()
    return ticket


@transaction.atomic
def merge_tickets(*, actor, source_id: int, target_number: str, now=None) -> Ticket:
    """Move every message, order and tag of the source ticket into the target (the same
    customer's problem twice); the source is closed with a MERGED event and points at the
    target, where later replies to it go."""
    now = now or timezone.now()
    require_perm(actor, HANDLE)
    target = Ticket.objects.filter(number=str(target_number).strip())
    target_id = target.values_list("pk", flat=True).first()
    if target_id is None:
        raise ValidationFailed({"target": [_("No such ticket.")]})
    if target_id == source_id:
        raise ValidationFailed({"target": [_("A ticket cannot be merged into itself.")]})
    first, second = sorted([source_id, target_id])  # locks in primary-key order
    locked = {first: _locked(first), second: _locked(second)}
    source, target = locked[source_id], locked[target_id]
    _not_merged(source)
    if target.merged_into_id:
        raise ValidationFailed({"target": [_("That ticket was merged into another one.")]})
    if target.status in DONE_STATUSES:
        raise ValidationFailed({"target": [_("Merge into a ticket that is still open.")]})
    TicketMessage.objects.filter(ticket=source).update(ticket=target)
    target.orders.add(*source.orders.all())
    target.tags.add(*source.tags.all())
    if source.first_responded_at and not target.first_responded_at:
        target.first_responded_at = source.first_responded_at
    target.updated_at = now
    target.save(update_fields=["first_responded_at", "updated_at"])
    source.merged_into = target
    source.save(update_fields=["merged_into"])
    note = _("Merged %(source)s into %(target)s") % {"source": source.number,
                                                      "target": target.number}  # fmt: skip
    if source.status != S.CLOSED:
        move_ticket(ticket=source, to=S.CLOSED, actor=actor, reason=REASON_MERGED, now=now)
    _event(source, EventKind.MERGED, actor, note, now=now)
    _event(target, EventKind.MERGED, actor, note, now=now)
    return target


@transaction.atomic
def split_ticket(*, actor, ticket_id: int, message_ids, subject: str = "", now=None) -> Ticket:
    """Move the chosen messages into a new ticket (another problem of the same customer):
    same customer, contact, channel, category, priority, queue and agent; its parent the
    ticket it was split from. At least one message stays."""
    now = now or timezone.now()
    require_perm(actor, HANDLE)
    ticket = _locked(ticket_id)
    _not_merged(ticket)
    wanted = {int(i) for i in message_ids or [] if str(i).isdigit()}
    if not wanted:
        raise ValidationFailed({"messages": [_("Choose the messages to move.")]})
    ours = set(ticket.messages.values_list("pk", flat=True))
    if not wanted <= ours:
        raise ValidationFailed({"messages": [_("Choose messages of this ticket.")]})
    if wanted == ours:
        raise ValidationFailed({"messages": [_("Leave at least one message on this ticket.")]})
    subject = _text(subject, "subject", limit=200, required=False) or ticket.subject
    first_due, resolution_due = due_times(priority=ticket.priority, category=ticket.category,
                                          start=now)  # fmt: skip
    new = _create_numbered(
        subject=subject, channel=ticket.channel,
        category=ticket.category, priority=ticket.priority, customer=ticket.customer,
        contact_name=ticket.contact_name, contact_phone=ticket.contact_phone,
        contact_email=ticket.contact_email, queue=ticket.queue, assignee=ticket.assignee,
        parent=ticket, first_response_due=first_due, resolution_due=resolution_due,
        created_by=actor, created_at=now, updated_at=now,
    )  # fmt: skip
    new.orders.set(ticket.orders.all())
    TicketMessage.objects.filter(pk__in=wanted).update(ticket=new)
    note = _("Split %(new)s from %(old)s") % {"new": new.number, "old": ticket.number}
    _event(new, EventKind.CREATED, actor, note, now=now)
    _event(ticket, EventKind.SPLIT, actor, note, now=now)
    return new


def _set_tags(ticket: Ticket, names) -> None:
    clean = []
    for name in names or []:
        name = str(name).strip()
        if name and name not in clean:
            clean.append(name)
    if len(clean) > MAX_TAGS:
        raise ValidationFailed({"tags": [_("At most %(n)s tags.") % {"n": MAX_TAGS}]})
    if any(len(name) > 30 for name in clean):
        raise ValidationFailed({"tags": [_("A tag has at most 30 characters.")]})
    existing = {t.name: t for t in Tag.objects.filter(name__in=clean)}
    for name in clean:
        if name not in existing:
            existing[name] = Tag.objects.create(name=name)
    ticket.tags.set([existing[n] for n in clean])


@transaction.atomic
def set_tags(*, actor, ticket_id: int, names) -> Ticket:
    require_perm(actor, HANDLE)
    ticket = _locked(ticket_id)
    _set_tags(ticket, names)
    return ticket


def split_tag_text(text: str) -> list[str]:
    """ "退款, 加急，VIP" → ["退款", "加急", "VIP"] (commas of either width, or spaces)."""
    return [t for t in re.split(r"[,，\s]+", str(text or "")) if t]

"""Reading tickets: the filtered list (back office and API), one ticket with its thread,
customers by phone for a caller, and an agent's counts for the workspace's home."""

import re

from django.contrib.auth import get_user_model
from django.core.paginator import Page
from django.db import connection
from django.db.models import CharField, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from mercato.catalog.bulk import any_of
from mercato.core.db import count_together, planned_for_each_value
from mercato.core.pagination import COUNT_CAP, CappedPaginator, ListedPaginator
from mercato.customers.models import Customer
from mercato.customers.phones import normalize_cn_mobile
from mercato.orders.models import Order

from .models import (
    OPEN_STATUSES,
    Callback,
    CallbackStatus,
    Conversation,
    ConversationStatus,
    Ticket,
    TicketEvent,
    TicketMessage,
)

LIST_PAGE_SIZE = 30
TICKET_NUMBER = re.compile(r"TK[0-9A-Z]{6,22}", re.IGNORECASE)
PHONE_LIKE = re.compile(r"\+?[\d\s()-]{7,20}")
CJK = "\u3400-\u9fff\uf900-\ufaff"


def breached_q(now, prefix: str = "") -> Q:
    """An open ticket whose first response or resolution is overdue (`prefix`: the path to
    the ticket from the model queried, e.g. "assigned_tickets__")."""
    return Q(**{f"{prefix}status__in": OPEN_STATUSES}) & (
        Q(**{f"{prefix}first_responded_at__isnull": True, f"{prefix}first_response_due__lt": now})
        | Q(**{f"{prefix}resolved_at__isnull": True, f"{prefix}resolution_due__lt": now})
    )


def ticket_list(*, filters: dict | None = None, now=None) -> QuerySet[Ticket]:
    """Tickets, newest first, narrowed by any of: status, queue (id), assignee (id, or
    "none"), category, priority, channel, breached (True), q (number, phone, email or
    subject words; subject words: the newest COUNT_CAP + 1 matches), tag."""
    queryset, ids = _narrowed(filters or {}, now or timezone.now())
    return queryset if ids is None else queryset.filter(any_of("pk", ids))


def ticket_page(
    *, filters: dict | None = None, number=1, per_page: int = LIST_PAGE_SIZE, now=None
) -> Page:
    """Page `number` of ticket_list (a number out of range gives the last page), its
    paginator's count capped at COUNT_CAP + 1. A search by subject words has read the
    matches' ids already: the page reads its own rows by id and the count is theirs."""
    queryset, ids = _narrowed(filters or {}, now or timezone.now())
    if ids is None:
        return CappedPaginator(queryset, per_page).get_page(number)
    return ListedPaginator(ids, queryset, per_page).get_page(number)


def _narrowed(filters: dict, now) -> tuple[QuerySet[Ticket], list[int] | None]:
    """The list's tickets in its order, and for a search by subject words the ids of the
    newest COUNT_CAP + 1 matches in that order (the queryset is then not narrowed by the
    words: the ids are)."""
    queryset = Ticket.objects.all()
    for name in ("status", "category", "priority", "channel"):
        if filters.get(name):
            queryset = queryset.filter(**{name: filters[name]})
    if filters.get("queue"):
        queryset = queryset.filter(queue_id=filters["queue"])
    assignee = filters.get("assignee")
    if assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif assignee:
        queryset = queryset.filter(assignee_id=assignee)
    if filters.get("breached"):
        queryset = queryset.filter(breached_q(now))
    if filters.get("tag"):
        queryset = queryset.filter(tags__name=filters["tag"])
    queryset, ids = search_text(queryset, str(filters.get("q") or ""))
    listed = (
        queryset.select_related("queue", "assignee", "customer")
        .prefetch_related("tags")
        .order_by("-created_at", "-id")
    )
    return listed, ids


def search_text(queryset: QuerySet[Ticket], text: str) -> tuple[QuerySet[Ticket], list | None]:
    """One box for what an agent types, read as what it looks like, so each is one indexed
    look-up over a million tickets: a ticket number (TK…), a phone number (any format
    phonenumbers reads), an email address, a contact's name, else words of the subject
    (through a trigram index on PostgreSQL). Words give the ids of the newest matches
    (see _subject_words) beside the queryset; the rest give None."""
    text = text.strip()
    if not text:
        return queryset, None
    if TICKET_NUMBER.fullmatch(text):
        return queryset.filter(number=text.upper()), None
    if PHONE_LIKE.fullmatch(text):
        mobile = normalize_cn_mobile(text)
        return queryset.filter(contact_phone=mobile or text), None  # a landline as written
    if "@" in text:
        return queryset.filter(contact_email__iexact=text), None
    # A contact's name first, then the subject's words: one OR of the two hides from
    # PostgreSQL how few rows the words match, and it scans the table newest first.
    if Ticket.objects.filter(contact_name=text).exists():
        return queryset.filter(contact_name=text), None
    return queryset, _subject_words(queryset, text)


# PostgreSQL: the subject in upper case with every Chinese character spaced as a word of
# its own, a generated column under a trigram index (service/0002).
SPACED_SUBJECT = RawSQL('"service_ticket"."subject_spaced"', [], output_field=CharField())


def spaced(text: str) -> str:
    """The words as the subject_spaced column writes a subject: 李娜 → " 李  娜 "."""
    return re.sub(f"([{CJK}])", r" \1 ", text.upper())


def _words_q(text: str) -> Q:
    # The spaced subject's trigram index finds words of one or two Chinese characters
    # among few subjects, and PostgreSQL reads its statistics to tell a rare word from a
    # common one. SQLite has no such index and needs none.
    if connection.vendor == "postgresql":
        return Q(subject_spaced__contains=spaced(text))
    return Q(subject__icontains=text)


def _subject_words(queryset: QuerySet[Ticket], text: str) -> list[int]:
    """The ids of the newest COUNT_CAP + 1 tickets of `queryset` whose subject holds
    `text`, newest first, read with the statement planned for these words: a rare word
    through the trigram index, a common one in the list's order, where its matches come
    at once. Past COUNT_CAP the list says "more than"; the rows themselves are read a
    page at a time by id."""
    matches = (
        queryset.alias(subject_spaced=SPACED_SUBJECT)
        .filter(_words_q(text))
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[: COUNT_CAP + 1]
    )
    with planned_for_each_value():
        return list(matches)


def ticket_id(*, number: str) -> int | None:
    return Ticket.objects.filter(number=number).values_list("pk", flat=True).first()


def ticket_detail(*, number: str) -> Ticket | None:
    messages = TicketMessage.objects.select_related("author").prefetch_related("attachments")
    return (
        Ticket.objects.filter(number=number)
        .select_related("queue", "assignee", "customer", "merged_into", "parent", "created_by")
        .prefetch_related(
            Prefetch("messages", queryset=messages),
            Prefetch("events", queryset=TicketEvent.objects.select_related("actor")),
            "orders",
            "tags",
            "merged",
            "children",
        )
        .first()
    )


def customers_by_phone(phone: str, *, limit: int = 5) -> list[Customer]:
    """The customers a caller's number finds: the account with that mobile number, else
    the customers whose orders were for that number (by the latest order)."""
    mobile = normalize_cn_mobile(phone or "")
    if not mobile:
        return []
    found = list(Customer.objects.filter(mobile=mobile)[:1])
    if found:
        return found
    ids = list(
        Order.objects.filter(mobile=mobile, customer__isnull=False)
        .order_by("-placed_at")
        .values_list("customer_id", flat=True)[:50]
    )
    ids = list(dict.fromkeys(ids))[:limit]
    by_id = Customer.objects.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def recent_orders(*, customer: Customer, limit: int = 10) -> list[Order]:
    return list(Order.objects.filter(customer=customer).order_by("-placed_at")[:limit])


def agent_counts(*, user, now=None) -> dict[str, int]:
    """For the workspace's home: the user's open tickets, unassigned tickets in the user's
    queues, open tickets past an SLA due time (the user's own, or every one for a
    supervisor), chats waiting for an agent, and the user's callbacks due by today."""
    now = now or timezone.now()
    mine = Ticket.objects.filter(assignee=user, status__in=OPEN_STATUSES)
    unassigned = Ticket.objects.filter(
        assignee__isnull=True, status__in=OPEN_STATUSES, merged_into__isnull=True,
        queue__memberships__user=user,
    )  # fmt: skip
    breached = Ticket.objects.filter(breached_q(now))
    if not user.has_perm("service.supervise_tickets"):
        breached = breached.filter(assignee=user)
    callbacks_due = Callback.objects.filter(
        agent=user, status=CallbackStatus.DUE, due_date__lte=timezone.localdate(now)
    )
    return count_together(  # one statement
        {
            "mine": mine,
            "unassigned": unassigned,
            "breached": breached,
            "chats_waiting": Conversation.objects.filter(status=ConversationStatus.WAITING),
            "callbacks_due": callbacks_due,
        }
    )


def team_board(*, now=None) -> list[dict]:
    """For a supervisor's home: each agent of customer service with their open tickets,
    how many of them are past an SLA due time, and how many are escalated; one query."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    now = now or timezone.now()
    open_q = Q(assigned_tickets__status__in=OPEN_STATUSES)
    rows = (
        get_user_model()
        .objects.filter(is_active=True, staff_profile__department__code="service")
        .annotate(
            open=Count("assigned_tickets", filter=open_q),
            breached=Count("assigned_tickets", filter=breached_q(now, "assigned_tickets__")),
            escalated=Count(
                "assigned_tickets", filter=open_q & Q(assigned_tickets__escalated=True)
            ),
        )
        .order_by("-breached", "-open", "username")
    )
    return [
        {"agent": u, "open": u.open, "breached": u.breached, "escalated": u.escalated} for u in rows
    ]


# Live chat (service/chat.py) ---------------------------------------------------------------
def customer_id_of(user) -> int | None:
    """The shop account's customer id of a logged-in member (None for guests and staff)."""
    if not getattr(user, "is_authenticated", False) or user.is_staff:
        return None
    return Customer.objects.filter(user=user).values_list("pk", flat=True).first()


def shoppers_open_conversation(*, customer_id=None, session_key: str = ""):
    """The member's (else the guest session's) waiting or active conversation, or None."""
    if not (customer_id or session_key):
        return None
    found = Conversation.objects.exclude(status=ConversationStatus.CLOSED)
    if customer_id:
        return found.filter(customer_id=customer_id).first()
    return found.filter(customer__isnull=True, session_key=session_key).first()


def waiting_conversations(*, limit: int = 50):
    """Conversations no agent took yet, the longest waiting first."""
    waiting = Conversation.objects.filter(status=ConversationStatus.WAITING)
    return list(waiting.select_related("queue", "product").order_by("started_at", "id")[:limit])


def agents_conversations(*, agent) -> list:
    """The agent's active conversations, the oldest first."""
    mine = Conversation.objects.filter(agent=agent, status=ConversationStatus.ACTIVE)
    return list(mine.select_related("queue", "product", "customer").order_by("accepted_at", "id"))


def conversation_with_messages(*, conversation_id: int):
    return (
        Conversation.objects.filter(pk=conversation_id)
        .select_related("agent", "customer", "product", "ticket")
        .prefetch_related("messages__agent")
        .first()
    )


def chat_agents() -> list:
    """Who a conversation can be handed over to: active staff of customer service."""
    staff = get_user_model().objects.filter(
        is_active=True, is_staff=True, staff_profile__department__code="service"
    )
    return list(staff.order_by("display_name", "username"))

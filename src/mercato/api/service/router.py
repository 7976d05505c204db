"""Customer service tickets over the staff API: /api/staff/tickets (list with filters, one
ticket with its thread and history, a new ticket, a reply or internal note). The same
selectors and services as the back office; phone numbers and free text masked without
`core.view_full_phone`. Images are attached in the back office (this API takes JSON)."""

from django.utils import timezone
from ninja import Query, Router, Status

from mercato.api.auth import staff_auth
from mercato.api.listing import check_choice
from mercato.api.schemas import responses
from mercato.core import masking
from mercato.core.errors import NotFound, ValidationFailed
from mercato.core.pagination import COUNT_CAP
from mercato.core.permissions import require_perm
from mercato.service import selectors, services, sla, story
from mercato.service.models import Channel, Priority, TicketCategory, TicketStatus

from .schemas import (
    CustomersFoundOut,
    CustomerStoryOut,
    MessageOut,
    ReplyIn,
    TicketDetailOut,
    TicketFilterIn,
    TicketIn,
    TicketPageOut,
    WorkspaceOut,
)

router = Router(tags=["customer service"], auth=staff_auth)
VIEW = "service.view_ticket"
SUPERVISE = "service.supervise_tickets"
PAGE_SIZE = selectors.LIST_PAGE_SIZE
CHOICES = {
    "status": TicketStatus, "category": TicketCategory, "priority": Priority, "channel": Channel,
}  # fmt: skip


def _filters(filters: TicketFilterIn) -> dict:
    data = {k: v for k, v in filters.dict().items() if v not in (None, "", False)}
    for name, choices in CHOICES.items():
        check_choice(name, data.get(name, ""), choices)
    assignee = data.get("assignee")
    if assignee and assignee != "none" and not assignee.isdigit():
        raise ValidationFailed({"assignee": ["A user id, or none."]})
    return data


def _timer(timer) -> dict:
    return {"state": timer.state, "due": timer.due}


def _row(user, ticket, now) -> dict:
    return {
        "number": ticket.number,
        "subject": masking.text_for(user, ticket.subject),
        "channel": ticket.channel,
        "category": ticket.category,
        "priority": ticket.priority,
        "status": ticket.status,
        "status_label": str(ticket.get_status_display()),
        "escalated": ticket.escalated,
        "contact_name": masking.name_for(user, ticket.contact_name),
        "contact_phone": masking.phone_for(user, ticket.contact_phone),
        "queue": ticket.queue.code if ticket.queue else None,
        "assignee": str(ticket.assignee) if ticket.assignee else None,
        "tags": [t.name for t in ticket.tags.all()],
        "first_response": _timer(sla.first_response_timer(ticket, now=now)),
        "resolution": _timer(sla.resolution_timer(ticket, now=now)),
        "created_at": ticket.created_at,
    }


def _message(user, m) -> dict:
    return {
        "id": m.pk,
        "direction": m.direction,
        "visibility": m.visibility,
        "by": str(m.author) if m.author else None,
        "sender": masking.text_for(user, m.sender),
        "body": masking.text_for(user, m.body),
        "at": m.created_at,
        "emailed_at": m.emailed_at,
        "attachments": [
            {"name": a.original_name, "url": a.image.url, "thumbnail_url": a.thumbnail.url}
            for a in m.attachments.all()
        ],
    }


def _detail(user, number: str) -> dict:
    ticket = selectors.ticket_detail(number=number)
    if ticket is None:
        raise NotFound("No such ticket.", field="number")
    return {
        **_row(user, ticket, timezone.now()),
        "contact_email": masking.text_for(user, ticket.contact_email),
        "customer_id": ticket.customer_id,
        "orders": [o.number for o in ticket.orders.all()],
        "merged_into": ticket.merged_into.number if ticket.merged_into else None,
        "parent": ticket.parent.number if ticket.parent else None,
        "first_responded_at": ticket.first_responded_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "messages": [_message(user, m) for m in ticket.messages.all()],
        "events": [
            {
                "at": e.created_at,
                "kind": e.kind,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "by": str(e.actor) if e.actor else None,
                "reason": masking.text_for(user, e.reason),
            }  # fmt: skip
            for e in ticket.events.all()
        ],
    }


@router.get("/tickets", response=responses(TicketPageOut), summary="Search tickets")
def list_tickets(
    request, filters: Query[TicketFilterIn], page: int = Query(1, ge=1, le=10_000)
):  # fmt: skip
    require_perm(request.auth, VIEW)
    current = selectors.ticket_page(filters=_filters(filters), number=page, per_page=PAGE_SIZE)
    paginator = current.paginator
    now = timezone.now()
    return {
        "count": min(paginator.count, COUNT_CAP),
        "more_than": paginator.capped,
        "page": current.number,
        "pages": paginator.num_pages,
        "results": [_row(request.auth, t, now) for t in current.object_list],
    }


@router.get("/tickets/{number}", response=responses(TicketDetailOut), summary="One ticket")
def get_ticket(request, number: str):
    require_perm(request.auth, VIEW)
    return _detail(request.auth, number)


@router.post("/tickets", response=responses(TicketDetailOut, 201), summary="Create a ticket")
def create_ticket(request, payload: TicketIn):
    ticket = services.create_ticket(actor=request.auth, **payload.dict())
    return Status(201, _detail(request.auth, ticket.number))


@router.post(
    "/tickets/{number}/replies", response=responses(MessageOut, 201),
    summary="Reply to the customer or add an internal note",
)  # fmt: skip
def reply(request, number: str, payload: ReplyIn):
    require_perm(request.auth, "service.handle_ticket")
    ticket_id = selectors.ticket_id(number=number)
    if ticket_id is None:
        raise NotFound("No such ticket.", field="number")
    message = services.reply_to_ticket(
        actor=request.auth, ticket_id=ticket_id, body=payload.body, visibility=payload.visibility
    )
    return Status(201, _message(request.auth, message))


# The customer's whole story -------------------------------------------------------------------
CUSTOMERS = "customers.view_customer"


def _customer(user, c) -> dict:
    return {
        "id": c.pk,
        "name": masking.name_for(user, c.name),
        "mobile": masking.phone_for(user, c.mobile or ""),
        "email": masking.text_for(user, c.email or ""),
        "registered_at": c.registered_at,
    }


def _order(o) -> dict:
    return {
        "number": o.number, "status": o.status, "status_label": str(o.get_status_display()),
        "on_hold": o.on_hold, "payment_method": o.payment_method, "total": o.total,
        "placed_at": o.placed_at,
    }  # fmt: skip


@router.get("/customers", response=responses(CustomersFoundOut), summary="Find customers by phone")
def find_customers(request, phone: str = Query(..., max_length=30)):
    """The accounts with the number a caller gives (spaces, +86, dashes allowed) and the
    latest guest orders to it."""
    require_perm(request.auth, CUSTOMERS)
    found = story.find_by_phone(phone)
    if found is None:
        raise ValidationFailed({"phone": ["Enter a mainland China mobile number (11 digits)."]})
    user = request.auth
    return {
        "mobile": masking.phone_for(user, found.mobile),
        "customers": [_customer(user, c) for c in found.customers],
        "guest_orders": [_order(o) for o in found.guest_orders],
    }


@router.get(
    "/customers/{customer_id}", response=responses(CustomerStoryOut),
    summary="One customer's whole story",
)  # fmt: skip
def get_customer_story(request, customer_id: int):
    require_perm(request.auth, CUSTOMERS)
    found = story.customer_story(customer_id=customer_id)
    if found is None:
        raise NotFound("No such customer.", field="customer_id")
    user = request.auth
    return {
        "customer": _customer(user, found.customer),
        "order_count": found.order_count,
        "spent_12_months": found.spent_12_months,
        "orders": [_order(o) for o in found.orders],
        "addresses": [
            f"{masking.name_for(user, a.recipient)} {masking.phone_for(user, a.mobile)} "
            f"{a.province}{a.city}{a.district}{masking.address_for(user, a.detail)}"
            for a in found.addresses
        ],
        "tickets": [
            {
                "number": t.number,
                "subject": masking.text_for(user, t.subject),
                "status": t.status,
                "created_at": t.created_at,
            }
            for t in found.tickets
        ],  # fmt: skip
        "returns": [r.number for r in found.returns],
        "refunds": [r.refund_no for r in found.refunds],
        "flags": (["blacklisted"] if found.blacklisted else [])
        + (["refuses_cod"] if found.refuses_cod else []),
    }


@router.get("/service/workspace", response=responses(WorkspaceOut), summary="The agent's desk")
def workspace(request):
    """What 客服部's home page shows: the caller's open tickets, the unassigned ones in the
    caller's queues, those past an SLA due time, and for a supervisor the team's board."""
    require_perm(request.auth, VIEW)
    user = request.auth
    counts = selectors.agent_counts(user=user)
    team = selectors.team_board() if user.has_perm(SUPERVISE) else []
    return {
        **counts,
        "team": [
            {"agent_id": r["agent"].pk, "agent": str(r["agent"]), "open": r["open"],
             "breached": r["breached"], "escalated": r["escalated"]}
            for r in team
        ],
    }  # fmt: skip

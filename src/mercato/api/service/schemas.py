"""Schemas of the staff ticket API (/api/staff/tickets)."""

from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema

from mercato.api.schemas import Id, Text


class TicketFilterIn(Schema):
    q: Text = Field("", max_length=60, description="Ticket number, phone, email or subject")
    status: str = ""
    queue: int | None = Field(None, ge=1)
    assignee: str = Field("", description="A user id, or none for unassigned tickets")
    category: str = ""
    priority: str = ""
    channel: str = ""
    breached: bool = Field(False, description="Only open tickets past an SLA due time")
    tag: Text = Field("", max_length=30)


class SlaOut(Schema):
    state: str = Field(description="ok, warning, breached (running); met, missed (stopped)")
    due: datetime


class TicketRowOut(Schema):
    number: str
    subject: str
    channel: str
    category: str
    priority: str
    status: str
    status_label: str
    escalated: bool
    contact_name: str
    contact_phone: str
    queue: str | None
    assignee: str | None
    tags: list[str]
    first_response: SlaOut
    resolution: SlaOut
    created_at: datetime


class TicketPageOut(Schema):
    count: int = Field(description="Matching tickets, counted up to 10,000")
    more_than: bool = Field(description="True when more than `count` tickets match")
    page: int
    pages: int
    results: list[TicketRowOut]


class AttachmentOut(Schema):
    name: str
    url: str
    thumbnail_url: str


class MessageOut(Schema):
    id: int
    direction: str
    visibility: str
    by: str | None
    sender: str
    body: str
    at: datetime
    emailed_at: datetime | None
    attachments: list[AttachmentOut]


class EventOut(Schema):
    at: datetime
    kind: str
    from_status: str
    to_status: str
    by: str | None
    reason: str


class TicketDetailOut(TicketRowOut):
    contact_email: str
    customer_id: int | None
    orders: list[str]
    merged_into: str | None
    parent: str | None
    first_responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    messages: list[MessageOut]
    events: list[EventOut]


class TicketIn(Schema):
    channel: str
    category: str
    priority: str = "normal"
    subject: Text = Field(max_length=200)
    body: Text = Field(max_length=20_000)
    customer_id: Id | None = None
    contact_name: Text = Field("", max_length=40)
    contact_phone: Text = Field("", max_length=20)
    contact_email: Text = Field("", max_length=254)
    order_numbers: list[Text] = Field(default_factory=list, max_length=20)
    tags: list[Text] = Field(default_factory=list, max_length=10)


class ReplyIn(Schema):
    body: Text = Field(max_length=20_000)
    visibility: str = Field("public", description="public (to the customer) or internal")


# The customer's whole story (/api/staff/customers) -----------------------------------------
class CustomerRowOut(Schema):
    id: int
    name: str
    mobile: str
    email: str
    registered_at: datetime


class OrderRowOut(Schema):
    number: str
    status: str
    status_label: str
    on_hold: bool
    payment_method: str
    total: Decimal
    placed_at: datetime


class CustomersFoundOut(Schema):
    mobile: str
    customers: list[CustomerRowOut]
    guest_orders: list[OrderRowOut]


class StoryTicketOut(Schema):
    number: str
    subject: str
    status: str
    created_at: datetime


class CustomerStoryOut(Schema):
    customer: CustomerRowOut
    order_count: int
    spent_12_months: Decimal = Field(description="Paid and cash-on-delivery orders, yuan")
    orders: list[OrderRowOut] = Field(description="The latest 20")
    addresses: list[str]
    tickets: list[StoryTicketOut]
    returns: list[str] = Field(description="Return numbers, newest first")
    refunds: list[str] = Field(description="Refund numbers, newest first")
    flags: list[str] = Field(description="blacklisted, refuses_cod")


class TeamRowOut(Schema):
    agent_id: int
    agent: str
    open: int
    breached: int
    escalated: int


class WorkspaceOut(Schema):
    mine: int = Field(description="Your open tickets")
    unassigned: int = Field(description="Unassigned open tickets in your queues")
    breached: int = Field(description="Open tickets past an SLA due time (a supervisor: all)")
    chats_waiting: int = Field(description="Live chats waiting for an agent")
    callbacks_due: int = Field(description="Your callbacks due today or overdue")
    team: list[TeamRowOut] = Field(description="Each agent's tickets (supervisors; else empty)")

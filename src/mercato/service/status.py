"""The ticket status machine: the allowed moves, written out, and the one function that
makes a move (a TicketEvent each). docs/service.md draws it.

new → open → pending (waiting for the customer) → resolved → closed; a customer's reply
moves pending back to open, and a reply to a resolved or closed ticket reopens it (the rule
in services._reopen, used by reply_to_ticket and receive_customer_message)."""

from django.utils.translation import gettext as _

from mercato.core.errors import Conflict

from .models import EventKind, Ticket, TicketEvent, TicketStatus

S = TicketStatus

ALLOWED: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.OPEN, S.PENDING, S.RESOLVED, S.CLOSED}),
    S.OPEN: frozenset({S.PENDING, S.RESOLVED, S.CLOSED}),
    S.PENDING: frozenset({S.OPEN, S.RESOLVED, S.CLOSED}),
    S.RESOLVED: frozenset({S.OPEN, S.CLOSED}),
    S.CLOSED: frozenset({S.OPEN}),
}


class IllegalTicketMove(Conflict):
    code = "illegal_ticket_transition"

    def __init__(self, *, current: str, target: str):
        super().__init__(
            _("A ticket in status “%(current)s” cannot become “%(target)s”.")
            % {"current": S(current).label, "target": S(target).label},
            field="status",
        )
        self.current, self.target = current, target


def move_ticket(*, ticket: Ticket, to: str, actor, reason: str = "", now) -> TicketEvent:
    """Move a ticket (row lock held by the caller), keep its timestamps, write its event;
    raises IllegalTicketMove, changing nothing, when the move is not allowed."""
    if to not in S.values:
        raise IllegalTicketMove(current=ticket.status, target=S.NEW) from None
    if to not in ALLOWED[ticket.status]:
        raise IllegalTicketMove(current=ticket.status, target=to)
    event = TicketEvent.objects.create(
        ticket=ticket, kind=EventKind.STATUS, from_status=ticket.status, to_status=to,
        actor=actor if getattr(actor, "pk", None) else None, reason=reason[:200], created_at=now,
    )  # fmt: skip
    if to == S.RESOLVED:
        ticket.resolved_at = now
    elif to == S.CLOSED:
        ticket.resolved_at = ticket.resolved_at or now
        ticket.closed_at = now
    elif ticket.status in (S.RESOLVED, S.CLOSED):  # reopened
        ticket.resolved_at = ticket.closed_at = None
    ticket.status = to
    ticket.updated_at = now
    ticket.save(update_fields=["status", "resolved_at", "closed_at", "updated_at"])
    return event

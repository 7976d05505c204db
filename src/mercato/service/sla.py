"""SLA timers: when the first response and the resolution are due (from the SLA policy
table, else the defaults below), and how each timer stands at a given moment."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from .models import Priority, SlaPolicy, Ticket

# Minutes (first response, resolution) per priority where no SlaPolicy row says otherwise.
DEFAULT_MINUTES = {
    Priority.URGENT: (30, 4 * 60),
    Priority.HIGH: (60, 8 * 60),
    Priority.NORMAL: (4 * 60, 24 * 60),
    Priority.LOW: (8 * 60, 72 * 60),
}
# A running timer is "due soon" in its last quarter.
WARN_SHARE = 0.25

OK, WARNING, BREACHED, MET, MISSED = "ok", "warning", "breached", "met", "missed"


def sla_minutes(*, priority: str, category: str) -> tuple[int, int]:
    """(first response, resolution) minutes: the policy row for the priority and category,
    else the priority's row for any category, else DEFAULT_MINUTES."""
    rows = {
        row.category: (row.first_response_minutes, row.resolution_minutes)
        for row in SlaPolicy.objects.filter(priority=priority, category__in=[category, ""])
    }
    return rows.get(category) or rows.get("") or DEFAULT_MINUTES[Priority(priority)]


def due_times(*, priority: str, category: str, start: datetime) -> tuple[datetime, datetime]:
    first, resolution = sla_minutes(priority=priority, category=category)
    return start + timedelta(minutes=first), start + timedelta(minutes=resolution)


@dataclass(frozen=True)
class Timer:
    state: str  # ok, warning, breached (running); met, missed (stopped)
    due: datetime
    left: timedelta  # negative once breached

    @property
    def alarm(self) -> bool:
        return self.state in (WARNING, BREACHED)


def _timer(*, start: datetime, due: datetime, stopped_at: datetime | None, now: datetime) -> Timer:
    if stopped_at is not None:
        return Timer(MET if stopped_at <= due else MISSED, due, due - stopped_at)
    left = due - now
    if left <= timedelta(0):
        return Timer(BREACHED, due, left)
    span = max(due - start, timedelta(minutes=1))
    return Timer(WARNING if left <= span * WARN_SHARE else OK, due, left)


def first_response_timer(ticket: Ticket, *, now: datetime) -> Timer:
    return _timer(
        start=ticket.created_at, due=ticket.first_response_due,
        stopped_at=ticket.first_responded_at, now=now,
    )  # fmt: skip


def resolution_timer(ticket: Ticket, *, now: datetime) -> Timer:
    return _timer(
        start=ticket.created_at, due=ticket.resolution_due, stopped_at=ticket.resolved_at, now=now
    )

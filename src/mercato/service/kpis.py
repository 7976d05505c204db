"""Agents' KPIs (客服绩效): per agent and for the team, per day or week over a date range.

Figures, each over the contacts (tickets, chats included, merged ones left out) created in
the bucket (local days; weeks from Monday) and assigned to the agent; the team's are over
every contact, assigned or not:
- contacts: how many;
- first response, mean and median minutes from creation to the first reply, of the
  contacts answered;
- resolution, mean minutes from creation to resolved, of the contacts resolved;
- SLA breaches: contacts whose first response or resolution came after its due time (or
  has not come and is overdue now);
- satisfaction: the mean score of the callbacks the agent completed in the bucket;
- 不良咨询率 (bad-contact rate): contacts that failed quality review or are complaints
  reopened after being resolved or closed, each counted once, as a share of contacts;
- phone orders: orders of channel "phone" placed in the bucket, whose first event names
  the agent who took the call (checkout.phone places them with the agent as the actor), and
  their average order value.

Five queries whatever the range (one per source), the same on SQLite and PostgreSQL: the
rows are read as plain values and summed here, so medians and local days need nothing
engine-specific.
"""

import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from mercato.core.days import days_bounds
from mercato.orders.models import OrderChannel, OrderEvent

from .models import (
    DONE_STATUSES,
    Callback,
    CallbackStatus,
    EventKind,
    QaReview,
    Ticket,
    TicketCategory,
    TicketEvent,
    TicketStatus,
)
from .qa import monday

DAY, WEEK = "day", "week"
TEAM = None  # the agent key of the team's figures
ALL = None  # the bucket key of the whole range's figures


def _q(value, places: str) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    contacts: int = 0
    breaches: int = 0
    bad: int = 0
    first_minutes: list = field(default_factory=list)
    resolution_minutes: list = field(default_factory=list)
    scores: list = field(default_factory=list)
    phone_orders: int = 0
    phone_total: Decimal = Decimal("0.00")

    @property
    def first_response_mean(self) -> Decimal | None:
        return _q(statistics.fmean(self.first_minutes), "0.1") if self.first_minutes else None

    @property
    def first_response_median(self) -> Decimal | None:
        if not self.first_minutes:
            return None
        return _q(statistics.median(self.first_minutes), "0.1")

    @property
    def resolution_mean(self) -> Decimal | None:
        if not self.resolution_minutes:
            return None
        return _q(statistics.fmean(self.resolution_minutes), "0.1")

    @property
    def satisfaction(self) -> Decimal | None:
        return _q(Decimal(sum(self.scores)) / len(self.scores), "0.01") if self.scores else None

    @property
    def bad_rate(self) -> Decimal | None:
        """Percent of contacts."""
        return _q(Decimal(100 * self.bad) / self.contacts, "0.1") if self.contacts else None

    @property
    def average_order_value(self) -> Decimal | None:
        return _q(self.phone_total / self.phone_orders, "0.01") if self.phone_orders else None


@dataclass
class Report:
    since: date
    until: date
    period: str
    buckets: list[date]
    agent_ids: list[int]
    figures: dict = field(default_factory=dict)  # (agent id or TEAM, bucket or ALL) → Figures

    def get(self, agent_id, bucket) -> Figures:
        return self.figures.get((agent_id, bucket)) or Figures()


def _minutes(later, earlier) -> float:
    return (later - earlier).total_seconds() / 60


def bucket_of(moment, period: str) -> date:
    day = timezone.localdate(moment)
    return monday(day) if period == WEEK else day


def agent_kpis(*, since: date, until: date, period: str = DAY, now=None) -> Report:
    """The figures of every agent with a contact, a completed callback or a phone order in
    the range (and the team's), per bucket and for the whole range."""
    now = now or timezone.now()
    start, end = days_bounds(since, until)
    first = monday(since) if period == WEEK else since
    step = 7 if period == WEEK else 1
    buckets = [first + timedelta(days=i) for i in range(0, (until - first).days + 1, step)]
    report = Report(since=since, until=until, period=period, buckets=buckets, agent_ids=[])
    agents: set[int] = set()

    def add(agent_id, moment):
        """The Figures to count into: the agent's and the team's, per bucket and overall."""
        bucket = bucket_of(moment, period)
        keys = [(TEAM, bucket), (TEAM, ALL)]
        if agent_id is not None:
            agents.add(agent_id)
            keys += [(agent_id, bucket), (agent_id, ALL)]
        return [report.figures.setdefault(key, Figures()) for key in keys]

    in_range = {"ticket__created_at__gte": start, "ticket__created_at__lt": end}
    failed = set(
        QaReview.objects.filter(passed=False, **in_range).values_list("ticket_id", flat=True)
    )
    reopened = set(
        TicketEvent.objects.filter(
            kind=EventKind.STATUS, from_status__in=DONE_STATUSES, to_status=TicketStatus.OPEN,
            ticket__category=TicketCategory.COMPLAINT, **in_range,
        ).values_list("ticket_id", flat=True)
    )  # fmt: skip
    tickets = Ticket.objects.filter(
        created_at__gte=start, created_at__lt=end, merged_into__isnull=True
    ).values_list(
        "pk", "assignee_id", "created_at", "first_responded_at", "first_response_due",
        "resolved_at", "resolution_due",
    )  # fmt: skip
    for pk, agent_id, created, responded, first_due, resolved, resolution_due in tickets:
        late = (responded or resolved or now) > first_due or (resolved or now) > resolution_due
        for f in add(agent_id, created):
            f.contacts += 1
            f.breaches += late
            f.bad += pk in failed or pk in reopened
            if responded is not None:
                f.first_minutes.append(_minutes(responded, created))
            if resolved is not None:
                f.resolution_minutes.append(_minutes(resolved, created))
    callbacks = Callback.objects.filter(
        status=CallbackStatus.DONE, satisfaction__isnull=False, completed_at__gte=start,
        completed_at__lt=end,
    ).values_list("agent_id", "completed_at", "satisfaction")  # fmt: skip
    for agent_id, completed, score in callbacks:
        for f in add(agent_id, completed):
            f.scores.append(score)
    orders = OrderEvent.objects.filter(
        from_status="", kind="status", order__channel=OrderChannel.PHONE,
        order__placed_at__gte=start, order__placed_at__lt=end,
    ).values_list("actor_id", "order__placed_at", "order__total")  # fmt: skip
    for agent_id, placed, total in orders:
        for f in add(agent_id, placed):
            f.phone_orders += 1
            f.phone_total += total
    report.agent_ids = sorted(agents)
    return report

"""Routing a ticket to a skill queue and an agent.

The queue: the first (by code) whose categories include the ticket's category, else the
default queue. The agent: among the queue's active members (active staff users who may
answer tickets), by the queue's mode — round robin (the member after the one who got the
last ticket, by user id) or least loaded (the fewest open tickets; the lower user id on a
tie). A queue without such a member leaves the ticket unassigned in the queue.
"""

from django.db.models import Count, Q

from .models import OPEN_STATUSES, AssignmentMode, Queue, QueueMember, Ticket

HANDLE = "service.handle_ticket"


def queue_for(category: str) -> Queue | None:
    for queue in Queue.objects.order_by("code"):
        if category in (queue.categories or []):
            return queue
    return Queue.objects.filter(is_default=True).first()


def eligible_agents(queue: Queue) -> list:
    """The queue's members who take tickets now, by user id."""
    members = (
        QueueMember.objects.filter(queue=queue, active=True, user__is_active=True)
        .select_related("user")
        .order_by("user_id")
    )
    return [m.user for m in members if m.user.has_perm(HANDLE)]


def pick_agent(queue: Queue):
    """The agent the next ticket of `queue` goes to (None without one). The caller holds the
    queue's row lock: round robin moves `last_assigned` on."""
    agents = eligible_agents(queue)
    if not agents:
        return None
    if queue.mode == AssignmentMode.ROUND_ROBIN:
        later = [a for a in agents if queue.last_assigned_id and a.pk > queue.last_assigned_id]
        agent = later[0] if later else agents[0]
        queue.last_assigned = agent
        queue.save(update_fields=["last_assigned"])
        return agent
    loads = dict(
        Ticket.objects.filter(assignee__in=agents, status__in=OPEN_STATUSES)
        .values_list("assignee_id")
        .annotate(n=Count("id", filter=Q(merged_into__isnull=True)))
    )
    return min(agents, key=lambda a: (loads.get(a.pk, 0), a.pk))

"""Auto-assignment under concurrency: tickets created at the same moment are spread as
the queue's rule says, because each assignment holds the queue's row lock."""

from collections import Counter

import pytest

from mercato.service.models import Ticket
from mercato.testing.concurrency import run_concurrently
from mercato.testing.service import make_queue, make_ticket


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", ["round_robin", "least_loaded"])
def test_six_tickets_at_once_go_two_to_each_of_three_agents(make_staff, mode):
    agents = [make_staff("service") for _ in range(3)]
    make_queue("orders", categories=["order_status"], mode=mode, members=agents)
    outcomes = run_concurrently([lambda: make_ticket() for _ in range(6)])
    assert all(isinstance(o, Ticket) for o in outcomes), outcomes
    loads = Counter(Ticket.objects.values_list("assignee_id", flat=True))
    assert sorted(loads.values()) == [2, 2, 2] and set(loads) == {a.pk for a in agents}

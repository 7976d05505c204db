import itertools

import pytest

from mercato.orders.errors import IllegalTransition
from mercato.orders.models import OrderEvent, OrderStatus
from mercato.orders.status import ALLOWED, transition
from mercato.testing.factories import make_order

ALL = list(OrderStatus.values)
PAIRS = list(itertools.product(ALL, ALL))


def test_every_status_has_its_allowed_moves_written_out():
    """Every status is a key of ALLOWED, and every target is a status."""
    assert set(ALLOWED) == set(ALL)
    assert all(set(targets) <= set(ALL) for targets in ALLOWED.values())


def test_cancelled_and_closed_are_final_and_shipped_orders_cannot_be_cancelled():
    """Nothing follows cancelled or closed; cancelling stops at the shipment."""
    assert ALLOWED[OrderStatus.CANCELLED] == ALLOWED[OrderStatus.CLOSED] == frozenset()
    for status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED):
        assert OrderStatus.CANCELLED not in ALLOWED[status]


def test_every_status_is_reachable_from_placement():
    """Following ALLOWED from pending payment reaches every status."""
    seen, todo = set(), [OrderStatus.PENDING_PAYMENT]
    while todo:
        status = todo.pop()
        if status not in seen:
            seen.add(status)
            todo.extend(ALLOWED[status])
    assert seen == set(ALL)


@pytest.mark.django_db
@pytest.mark.parametrize(("current", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_a_move_happens_only_when_allowed(current, target):
    """An allowed move changes the status and writes one event; an illegal one raises
    IllegalTransition (409) and changes nothing."""
    order = make_order()
    order.status = current
    order.save(update_fields=["status"])
    events_before = OrderEvent.objects.filter(order=order).count()

    if target in ALLOWED[current]:
        transition(order=order, to=target, actor=None, reason="test")
        order.refresh_from_db()
        assert order.status == target
        event = order.events.last()
        assert (event.from_status, event.to_status) == (current, target)
    else:
        with pytest.raises(IllegalTransition) as exc:
            transition(order=order, to=target, actor=None, reason="test")
        assert exc.value.status == 409
        order.refresh_from_db()
        assert order.status == current
        assert OrderEvent.objects.filter(order=order).count() == events_before

"""Callbacks (回访): the rules that make them (days after a delivery, a closed complaint, a
completed return), once per source however often they run, the agents they go to, and
recording outcomes (a bad score opens a follow-up complaint)."""

import dataclasses
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from mercato.aftersales import services as returns
from mercato.aftersales.services import LineRequest
from mercato.core.errors import Conflict, PermissionDeniedError, ValidationFailed
from mercato.service import callbacks, services
from mercato.service.models import Callback, CallbackScript, CallbackStatus, Ticket
from mercato.testing.concurrency import run_concurrently
from mercato.testing.factories import make_customer, make_order
from mercato.testing.fulfillment import (
    ADDRESS,
    carriers,
    deliver,
    make_shop,
    make_sku,
    place,
    stock,
)
from mercato.testing.fulfillment import make_customer as shop_customer
from mercato.testing.service import make_queue, make_ticket

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
CS = CallbackStatus


def closed_complaint(agent, *, at=T0, **kw):
    ticket = make_ticket(actor=agent, category="complaint", now=at, **kw)
    services.change_status(actor=agent, ticket_id=ticket.pk, to="closed", now=at)
    return ticket


def test_each_rule_makes_one_callback_when_its_days_have_passed(make_staff, settings):
    """A delivery (3 days), a closed complaint (1 day), a completed return (2 days): each
    gives one callback on the day its rule says, not before, and not again. The order that
    came back is called about its return only."""
    settings.MERCATO_CALLBACK_DAYS_AFTER_DELIVERY = 3
    settings.MERCATO_CALLBACK_DAYS_AFTER_COMPLAINT = 1
    settings.MERCATO_CALLBACK_DAYS_AFTER_RETURN = 2
    agent = make_staff("service")
    warehouse_staff = make_staff("procurement", roles=["order_processing"])
    finance = make_staff("finance")
    make_queue("general", members=[agent], default=True)
    with time_machine.travel(T0, tick=False):
        warehouses = make_shop()
        carriers()
        sku = make_sku(price="100.00")
        stock(sku, warehouses["四川省"], 10, "A-01")
        buyers = [shop_customer(), shop_customer()]
        orders = []
        for buyer in buyers:
            address = dataclasses.replace(
                ADDRESS, mobile=buyer.mobile, detail=f"人民南路{buyer.pk}号"
            )
            orders.append(place(buyer, (sku, 1), address=address))
        deliver(*orders, actor=warehouse_staff)
        # The second order comes back: a return completed at T0.
        line = orders[1].lines.get()
        request = returns.request_return(
            customer=buyers[1], order_number=orders[1].number, kind="return",
            reason="quality", lines=[LineRequest(line.pk, 1)],
        )  # fmt: skip
        returns.decide_return(actor=agent, return_id=request.pk, approve=True)
        returns.record_return_parcel(
            customer=buyers[1], return_id=request.pk, carrier="顺丰", waybill_no="SF1234567890"
        )
        returns.receive_return(actor=warehouse_staff, return_id=request.pk)
        returns.inspect_return(
            actor=warehouse_staff, return_id=request.pk,
            results={request.lines.get().pk: (1, 0)},
        )  # fmt: skip
        assert returns.refund_return(actor=finance, return_id=request.pk).status == "completed"
        complaint = closed_complaint(agent)
        assert callbacks.create_due_callbacks() == 0

    made = {}
    for days in (1, 2, 3):
        now = T0 + timedelta(days=days)
        made[days] = callbacks.create_due_callbacks(now=now)
    assert made == {1: 1, 2: 1, 3: 1}
    assert callbacks.create_due_callbacks(now=T0 + timedelta(days=4)) == 0
    rows = {
        (c.kind, c.order_id or c.ticket_id, c.due_date, c.agent_id, c.status)
        for c in Callback.objects.all()
    }
    assert rows == {
        ("after_complaint", complaint.pk, date(2026, 3, 3), agent.pk, CS.DUE),
        ("after_return", orders[1].pk, date(2026, 3, 4), agent.pk, CS.DUE),
        ("after_delivery", orders[0].pk, date(2026, 3, 5), agent.pk, CS.DUE),
    }
    returned = Callback.objects.get(kind="after_return")
    assert returned.return_request_id == request.pk
    assert returned.contact_phone == buyers[1].mobile and returned.customer_id == buyers[1].pk


def test_sources_older_than_the_look_back_are_left_alone(agent, settings):
    settings.MERCATO_CALLBACK_DAYS_AFTER_COMPLAINT = 1
    settings.MERCATO_CALLBACK_LOOKBACK_DAYS = 14
    closed_complaint(agent)
    assert callbacks.create_due_callbacks(now=T0 + timedelta(days=16)) == 0
    assert callbacks.create_due_callbacks(now=T0 + timedelta(days=15)) == 1


def test_only_closed_complaints_with_a_phone_number_are_called(agent):
    closed_complaint(agent, contact_phone="", contact_email="a@example.com")
    make_ticket(actor=agent, category="complaint", now=T0)  # still open
    other = make_ticket(actor=agent, category="product", now=T0)
    services.change_status(actor=agent, ticket_id=other.pk, to="closed", now=T0)
    assert callbacks.create_due_callbacks(now=T0 + timedelta(days=2)) == 0


def test_new_callbacks_go_to_the_agent_with_the_fewest_to_make(make_staff):
    first, second = make_staff("service"), make_staff("service")
    outsider = make_staff("marketing")  # may not make callbacks
    make_queue("general", members=[first, second, outsider], default=True)
    Callback.objects.create(
        kind="manual", contact_phone="13900000000", due_date=T0.date(), agent=first, reason="x"
    )
    for _ in range(3):
        closed_complaint(first)
    assert callbacks.create_due_callbacks(now=T0 + timedelta(days=2)) == 3
    loads = {
        a.pk: Callback.objects.filter(agent=a, status=CS.DUE).count()
        for a in (first, second, outsider)
    }
    assert loads == {first.pk: 2, second.pk: 2, outsider.pk: 0}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("queue", [True, False], ids=["queue-locked", "no-queue"])
def test_two_runs_at_once_make_each_callback_once(make_staff, queue):
    """With a callback queue the runs wait for its lock; without one, for the unique
    constraint: either way each complaint gets one callback."""
    agent = make_staff("service")
    if queue:
        make_queue("general", members=[agent], default=True)
    tickets = [closed_complaint(agent) for _ in range(5)]
    outcomes = run_concurrently(
        [lambda: callbacks.create_due_callbacks(now=T0 + timedelta(days=2)) for _ in range(4)]
    )
    assert all(isinstance(o, int) for o in outcomes) and sum(outcomes) == 5, outcomes
    assert sorted(Callback.objects.values_list("ticket_id", flat=True)) == sorted(
        t.pk for t in tickets
    )


# Outcomes ------------------------------------------------------------------------------------
def manual(agent, **kw):
    values = {
        "reason": "确认赠品是否收到",
        "due_date": timezone.localdate(),
        "contact_phone": "13912340001",
    }
    values.update(kw)
    return callbacks.create_callback(actor=agent, **values)


def test_a_done_callback_keeps_its_score_and_notes(agent):
    callback = manual(agent)
    done = callbacks.record_outcome(
        actor=agent, callback_id=callback.pk, result="done", satisfaction="4", outcome="已收到"
    )
    assert (done.status, done.satisfaction, done.outcome, done.follow_up) == (
        CS.DONE, 4, "已收到", None,
    )  # fmt: skip
    assert done.completed_at is not None
    with pytest.raises(Conflict):
        callbacks.record_outcome(
            actor=agent, callback_id=callback.pk, result="done", satisfaction=5
        )


@pytest.mark.parametrize("score", [None, "", "0", "6", "abc", 3.5])
def test_a_score_outside_1_to_5_is_refused_and_changes_nothing(agent, score):
    callback = manual(agent)
    with pytest.raises(ValidationFailed) as refused:
        callbacks.record_outcome(
            actor=agent, callback_id=callback.pk, result="done", satisfaction=score
        )
    assert "satisfaction" in refused.value.field_errors
    callback.refresh_from_db()
    assert callback.status == CS.DUE and callback.satisfaction is None


def test_a_bad_score_opens_a_linked_follow_up_complaint(agent, settings):
    settings.MERCATO_CALLBACK_BAD_SCORE = 2
    customer = make_customer(name="赵六")
    order = make_order(customer=customer)
    callback = manual(agent, customer_id=customer.pk, contact_phone="", order_number=order.number)
    assert callback.contact_phone == customer.mobile
    done = callbacks.record_outcome(
        actor=agent, callback_id=callback.pk, result="done", satisfaction=2,
        outcome="包裹外箱破损，很不满意",
    )  # fmt: skip
    ticket = Ticket.objects.get(pk=done.follow_up_id)
    assert (ticket.category, ticket.priority, ticket.customer_id) == (
        "complaint",
        "high",
        customer.pk,
    )
    assert list(ticket.orders.all()) == [order]
    assert ticket.messages.get().body == "包裹外箱破损，很不满意"
    # A score above the mark opens nothing.
    fine = manual(agent)
    assert (
        callbacks.record_outcome(
            actor=agent, callback_id=fine.pk, result="done", satisfaction=3
        ).follow_up
        is None
    )
    assert Ticket.objects.count() == 1


def test_a_bad_score_after_a_complaint_links_the_follow_up_to_it(agent):
    complaint = closed_complaint(agent)
    callbacks.create_due_callbacks(now=T0 + timedelta(days=2))
    callback = Callback.objects.get()
    done = callbacks.record_outcome(
        actor=agent, callback_id=callback.pk, result="done", satisfaction=1
    )
    assert done.follow_up.parent == complaint


def test_unanswered_calls_are_tried_next_day_until_the_last_attempt(agent, settings):
    settings.MERCATO_CALLBACK_MAX_ATTEMPTS = 3
    callback = manual(agent)
    for attempt, day in enumerate((T0, T0 + timedelta(days=1)), start=1):
        tried = callbacks.record_outcome(
            actor=agent, callback_id=callback.pk, result="no_answer", now=day
        )
        assert (tried.status, tried.attempts) == (CS.DUE, attempt)
        assert tried.due_date == timezone.localdate(day) + timedelta(days=1)
    last = callbacks.record_outcome(
        actor=agent, callback_id=callback.pk, result="no_answer", now=T0 + timedelta(days=2)
    )
    assert (last.status, last.attempts) == (CS.NO_ANSWER, 3) and last.completed_at
    assert last.outcome.count("\n") == 2  # one line per attempt


def test_cancelling_needs_a_reason(agent):
    callback = manual(agent)
    with pytest.raises(ValidationFailed):
        callbacks.record_outcome(actor=agent, callback_id=callback.pk, result="cancelled")
    cancelled = callbacks.record_outcome(
        actor=agent, callback_id=callback.pk, result="cancelled", outcome="客户已注销"
    )
    assert cancelled.status == CS.CANCELLED


def test_only_its_agent_or_a_supervisor_records_a_callback(agent, make_staff, supervisor):
    other = make_staff("service")
    callback = manual(agent)
    with pytest.raises(PermissionDeniedError):
        callbacks.record_outcome(
            actor=other, callback_id=callback.pk, result="done", satisfaction=5
        )
    with pytest.raises(PermissionDeniedError):
        manual(make_staff("marketing"))
    done = callbacks.record_outcome(
        actor=supervisor, callback_id=callback.pk, result="done", satisfaction=5
    )
    assert done.agent == agent


def test_a_manual_callback_needs_a_reason_a_number_and_no_past_date(agent):
    today = timezone.localdate()
    for kw, field in [
        ({"reason": ""}, "reason"),
        ({"contact_phone": ""}, "contact_phone"),
        ({"due_date": today - timedelta(days=1)}, "due_date"),
        ({"order_number": "NOPE"}, "order_number"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            manual(agent, **kw)
        assert field in refused.value.field_errors
    assert not Callback.objects.exists()


def test_the_script_fills_in_the_order_and_the_supervisor_may_rewrite_it(agent, supervisor):
    order = make_order()
    callback = manual(agent, order_number=order.number)
    callback.kind = "after_delivery"
    assert order.number in callbacks.script_for(callback)
    with pytest.raises(PermissionDeniedError):
        callbacks.save_script(actor=agent, kind="after_delivery", script="您好")
    callbacks.save_script(
        actor=supervisor, kind="after_delivery", script="您好，订单 {order} 收到了吗？"
    )
    assert callbacks.script_for(callback) == f"您好，订单 {order.number} 收到了吗？"
    # The placeholders may be written in Chinese too.
    callbacks.save_script(
        actor=supervisor, kind="after_delivery", script="订单{订单号}：{回访原因}"
    )
    assert callbacks.script_for(callback) == f"订单{order.number}：确认赠品是否收到"
    assert CallbackScript.objects.count() == 1

"""Tickets: the status machine, SLA timers (time frozen), assignment, merge and split,
attachments, and a reply to a closed ticket."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from mercato.core.errors import Conflict, PermissionDeniedError, ValidationFailed
from mercato.service import callbacks, chat, services, sla
from mercato.service.models import (
    EventKind,
    SlaPolicy,
    Ticket,
    TicketAttachment,
    TicketMessage,
    TicketStatus,
)
from mercato.service.selectors import agent_counts, ticket_list
from mercato.service.status import ALLOWED, IllegalTicketMove
from mercato.testing.factories import make_customer, make_order
from mercato.testing.service import make_queue, make_ticket, png

pytestmark = pytest.mark.django_db
S = TicketStatus
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_every_status_has_its_moves_written_out():
    """The machine's table names every status, and only statuses."""
    assert set(ALLOWED) == set(S.values)
    assert all(set(targets) <= set(S.values) for targets in ALLOWED.values())


def test_legal_moves_write_events_with_who_and_why(agent):
    ticket = make_ticket(actor=agent)
    services.change_status(actor=agent, ticket_id=ticket.pk, to=S.OPEN, reason="开始处理")
    services.change_status(actor=agent, ticket_id=ticket.pk, to=S.RESOLVED, reason="已解决")
    services.change_status(actor=agent, ticket_id=ticket.pk, to=S.CLOSED)
    ticket.refresh_from_db()
    assert ticket.status == S.CLOSED and ticket.closed_at and ticket.resolved_at
    moves = [
        (e.from_status, e.to_status, e.actor, e.reason)
        for e in ticket.events.filter(kind=EventKind.STATUS)
    ]
    assert moves == [
        (S.NEW, S.OPEN, agent, "开始处理"),
        (S.OPEN, S.RESOLVED, agent, "已解决"),
        (S.RESOLVED, S.CLOSED, agent, ""),
    ]


def test_an_illegal_move_is_refused_and_changes_nothing(agent):
    ticket = make_ticket(actor=agent)
    services.change_status(actor=agent, ticket_id=ticket.pk, to=S.CLOSED)
    events = ticket.events.count()
    with pytest.raises(IllegalTicketMove) as refused:
        services.change_status(actor=agent, ticket_id=ticket.pk, to=S.PENDING)
    assert refused.value.field == "status" and refused.value.status == 409
    ticket.refresh_from_db()
    assert ticket.status == S.CLOSED and ticket.events.count() == events
    with pytest.raises(IllegalTicketMove):
        services.change_status(actor=agent, ticket_id=ticket.pk, to="bogus")


def test_staff_outside_customer_service_cannot_create_or_answer(make_staff, agent):
    marketing = make_staff("marketing")
    with pytest.raises(PermissionDeniedError):
        make_ticket(actor=marketing)
    ticket = make_ticket(actor=agent)
    with pytest.raises(PermissionDeniedError):
        services.reply_to_ticket(actor=marketing, ticket_id=ticket.pk, body="你好")
    assert ticket.messages.count() == 1


def test_bad_input_names_the_field_and_writes_nothing(agent):
    cases = [
        ({"category": "weather"}, "category"),
        ({"channel": "fax"}, "channel"),
        ({"subject": " "}, "subject"),
        ({"contact_phone": "", "contact_email": ""}, "contact_phone"),
        ({"contact_phone": "abc"}, "contact_phone"),
        ({"contact_email": "not-mail"}, "contact_email"),
        ({"order_numbers": ["20990101-000001"]}, "orders.0"),
    ]
    for change, field in cases:
        with pytest.raises(ValidationFailed) as refused:
            make_ticket(actor=agent, **change)
        assert field in refused.value.field_errors, change
    assert not Ticket.objects.exists()


def test_orders_of_another_customer_cannot_be_linked(agent):
    mine, theirs = make_customer(), make_customer()
    order = make_order(customer=theirs)
    with pytest.raises(ValidationFailed):
        make_ticket(actor=agent, customer=mine, order_numbers=[order.number])
    own = make_order(customer=mine)
    ticket = make_ticket(actor=agent, customer=mine, order_numbers=[own.number])
    assert list(ticket.orders.all()) == [own] and ticket.contact_phone == mine.mobile


# SLA ---------------------------------------------------------------------------------------
def test_due_times_come_from_the_policy_table_category_row_first(agent):
    SlaPolicy.objects.create(priority="high", first_response_minutes=20, resolution_minutes=120)
    SlaPolicy.objects.create(
        priority="high", category="complaint", first_response_minutes=10, resolution_minutes=60
    )
    with time_machine.travel(T0, tick=False):
        complaint = make_ticket(actor=agent, priority="high", category="complaint")
        delivery = make_ticket(actor=agent, priority="high", category="delivery")
        normal = make_ticket(actor=agent, priority="normal", category="delivery")
    assert complaint.first_response_due == T0 + timedelta(minutes=10)
    assert complaint.resolution_due == T0 + timedelta(minutes=60)
    assert delivery.first_response_due == T0 + timedelta(minutes=20)
    assert normal.first_response_due == T0 + timedelta(hours=4)  # the built-in default
    assert normal.resolution_due == T0 + timedelta(hours=24)


def test_sla_warning_then_breach_as_time_passes(agent):
    """Normal priority: first response within 4 hours. Warned in the last hour, breached
    after; a reply stops the clock (met); the list's "SLA breached" filter follows."""
    with time_machine.travel(T0, tick=False):
        ticket = make_ticket(actor=agent)
    for minutes, state in [(60, sla.OK), (181, sla.WARNING), (241, sla.BREACHED)]:
        with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
            ticket.refresh_from_db()
            assert sla.first_response_timer(ticket, now=timezone.now()).state == state
            breached = ticket_list(filters={"breached": True})
            assert list(breached) == ([ticket] if state == sla.BREACHED else [])
    with time_machine.travel(T0 + timedelta(minutes=300), tick=False):
        services.reply_to_ticket(actor=agent, ticket_id=ticket.pk, body="您好，已为您催促发货")
        ticket.refresh_from_db()
        assert sla.first_response_timer(ticket, now=timezone.now()).state == sla.MISSED
        assert not ticket_list(filters={"breached": True}).exists()
    with time_machine.travel(T0 + timedelta(hours=30), tick=False):
        assert list(ticket_list(filters={"breached": True})) == [ticket]  # resolution due


def test_escalation_raises_priority_and_brings_due_times_forward(agent, supervisor):
    with time_machine.travel(T0, tick=False):
        ticket = make_ticket(actor=agent, priority="normal")
    with pytest.raises(PermissionDeniedError):
        services.escalate_ticket(actor=agent, ticket_id=ticket.pk, reason="客户投诉升级")
    ticket = services.escalate_ticket(actor=supervisor, ticket_id=ticket.pk, reason="客户投诉升级")
    assert ticket.priority == "high" and ticket.escalated
    assert ticket.first_response_due == T0 + timedelta(hours=1)
    assert ticket.events.filter(kind=EventKind.ESCALATED, actor=supervisor).exists()


# Assignment --------------------------------------------------------------------------------
def test_round_robin_goes_round_the_queue_members(make_staff):
    a, b, c = (make_staff("service") for _ in range(3))
    make_queue("orders", categories=["order_status"], mode="round_robin", members=[a, b, c])
    assignees = [make_ticket().assignee for _ in range(4)]
    assert assignees == [a, b, c, a]


def test_least_loaded_picks_the_agent_with_fewest_open_tickets(make_staff):
    a, b = make_staff("service"), make_staff("service")
    queue = make_queue("orders", categories=["order_status"], members=[a, b])
    first = make_ticket()
    assert first.assignee == a  # tie: the lower id
    assert make_ticket().assignee == b
    services.change_status(actor=a, ticket_id=first.pk, to=S.RESOLVED)  # a is free again
    assert make_ticket().assignee == a
    assert Ticket.objects.filter(queue=queue).count() == 3


def test_skill_queue_by_category_else_default_and_only_agents(make_staff):
    returns_agent, general, marketing = (
        make_staff("service"), make_staff("service"), make_staff("marketing")
    )  # fmt: skip
    returns = make_queue("returns", categories=["return", "complaint"], members=[returns_agent])
    default = make_queue("general", default=True, members=[general, marketing])
    ticket = make_ticket(category="complaint")
    assert (ticket.queue, ticket.assignee) == (returns, returns_agent)
    ticket = make_ticket(category="invoice")
    assert (ticket.queue, ticket.assignee) == (default, general)  # marketing cannot answer
    assert ticket.events.filter(kind=EventKind.ASSIGNED).count() == 1


def test_take_and_reassign_rules(make_staff, agent, supervisor):
    other = make_staff("service")
    ticket = make_ticket(actor=agent)
    assert ticket.assignee is None  # no queues
    services.assign_ticket(actor=agent, ticket_id=ticket.pk, assignee_id=agent.pk)
    with pytest.raises(PermissionDeniedError):  # taking someone's ticket is reassigning
        services.assign_ticket(actor=other, ticket_id=ticket.pk, assignee_id=other.pk)
    services.assign_ticket(actor=supervisor, ticket_id=ticket.pk, assignee_id=other.pk,
                           reason="熟悉该客户")  # fmt: skip
    ticket.refresh_from_db()
    assert ticket.assignee == other
    with pytest.raises(ValidationFailed) as refused:
        services.assign_ticket(
            actor=supervisor, ticket_id=ticket.pk, assignee_id=make_staff("finance").pk
        )
    assert "assignee" in refused.value.field_errors
    assert [e.actor for e in ticket.events.filter(kind=EventKind.ASSIGNED)] == [agent, supervisor]


def test_agent_counts_for_the_home_page(agent, supervisor, django_assert_num_queries):
    make_queue("general", default=True)
    with time_machine.travel(T0, tick=False):
        mine = make_ticket(actor=agent)
        make_ticket(actor=agent)
    services.assign_ticket(actor=agent, ticket_id=mine.pk, assignee_id=agent.pk)
    with time_machine.travel(T0, tick=False):
        # A shopper waiting in the chat, and a callback due tomorrow (not counted today).
        chat.open_conversation(session_key="s-1", contact_name="王女士",
                               contact="13912340000", body="在吗")  # fmt: skip
        callbacks.create_callback(actor=agent, reason="回访物流", contact_phone="13912340000",
                                  due_date=T0.date() + timedelta(days=1))  # fmt: skip
    with time_machine.travel(T0 + timedelta(hours=5), tick=False):
        with django_assert_num_queries(1):  # the five counts (permissions read above)
            counts = agent_counts(user=agent)
        assert counts == {
            "mine": 1, "unassigned": 0, "breached": 1, "chats_waiting": 1, "callbacks_due": 0,
        }  # fmt: skip
        assert agent_counts(user=supervisor)["breached"] == 2
    with time_machine.travel(T0 + timedelta(days=1, hours=1), tick=False):
        assert agent_counts(user=agent)["callbacks_due"] == 1


# Replies, notes, reopening -----------------------------------------------------------------
def test_reply_waits_for_customer_and_note_changes_nothing(agent):
    ticket = make_ticket(actor=agent)
    services.reply_to_ticket(actor=agent, ticket_id=ticket.pk, body="内部：已联系仓库",
                             visibility="internal")  # fmt: skip
    ticket.refresh_from_db()
    assert ticket.status == S.NEW and ticket.first_responded_at is None
    services.reply_to_ticket(actor=agent, ticket_id=ticket.pk, body="您好，明天发货")
    ticket.refresh_from_db()
    assert ticket.status == S.PENDING and ticket.first_responded_at is not None
    services.receive_customer_message(ticket_id=ticket.pk, body="好的，谢谢")
    ticket.refresh_from_db()
    assert ticket.status == S.OPEN
    assert [m.visibility for m in ticket.messages.all()] == [
        "public", "internal", "public", "public"
    ]  # fmt: skip


def test_customer_reply_to_a_closed_ticket_reopens_it_within_the_window(agent, settings):
    settings.MERCATO_TICKET_REOPEN_DAYS = 14
    with time_machine.travel(T0, tick=False):
        ticket = make_ticket(actor=agent)
        services.change_status(actor=agent, ticket_id=ticket.pk, to=S.CLOSED)
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        message = services.receive_customer_message(ticket_id=ticket.pk, body="还是没收到")
    ticket.refresh_from_db()
    assert message.ticket == ticket and ticket.status == S.OPEN and ticket.closed_at is None
    assert ticket.resolution_due == T0 + timedelta(days=3, hours=24)
    last = ticket.events.filter(kind=EventKind.STATUS).last()
    assert (last.from_status, last.to_status, last.reason) == (
        S.CLOSED, S.OPEN, services.REASON_REOPENED
    )  # fmt: skip


def test_customer_reply_long_after_closing_opens_a_follow_up(agent):
    with time_machine.travel(T0, tick=False):
        ticket = make_ticket(actor=agent)
        services.change_status(actor=agent, ticket_id=ticket.pk, to=S.CLOSED)
    with time_machine.travel(T0 + timedelta(days=40), tick=False):
        message = services.receive_customer_message(ticket_id=ticket.pk, body="又坏了")
    ticket.refresh_from_db()
    assert ticket.status == S.CLOSED
    assert message.ticket.parent == ticket and message.ticket.status == S.NEW


def test_agent_reply_to_a_closed_ticket_reopens_it(agent):
    ticket = make_ticket(actor=agent)
    services.change_status(actor=agent, ticket_id=ticket.pk, to=S.CLOSED)
    services.reply_to_ticket(actor=agent, ticket_id=ticket.pk, body="补充说明：退款已到账")
    ticket.refresh_from_db()
    moves = [(e.from_status, e.to_status) for e in ticket.events.filter(kind=EventKind.STATUS)]
    assert moves[-2:] == [(S.CLOSED, S.OPEN), (S.OPEN, S.PENDING)]


# Merge and split ---------------------------------------------------------------------------
def test_merge_moves_messages_and_closes_the_merged_ticket(agent):
    customer = make_customer()
    order = make_order(customer=customer)
    target = make_ticket(actor=agent, customer=customer)
    source = make_ticket(actor=agent, customer=customer, order_numbers=[order.number],
                         tags=["催发货"], body="同一个问题，客户又打来电话")  # fmt: skip
    services.merge_tickets(actor=agent, source_id=source.pk, target_number=target.number)
    source.refresh_from_db()
    assert source.status == S.CLOSED and source.merged_into == target
    assert source.messages.count() == 0 and target.messages.count() == 2
    assert list(target.orders.all()) == [order]
    assert [t.name for t in target.tags.all()] == ["催发货"]
    assert source.events.filter(kind=EventKind.MERGED).exists()
    assert target.events.filter(kind=EventKind.MERGED).exists()
    # Later replies to the merged ticket land on the one it was merged into.
    message = services.receive_customer_message(ticket_id=source.pk, body="请尽快")
    assert message.ticket == target
    with pytest.raises(Conflict):
        services.reply_to_ticket(actor=agent, ticket_id=source.pk, body="x")


def test_merge_refusals(agent):
    a, b = make_ticket(actor=agent), make_ticket(actor=agent)
    for target, field in [(a.number, "target"), ("TK0", "target")]:
        with pytest.raises(ValidationFailed) as refused:
            services.merge_tickets(actor=agent, source_id=a.pk, target_number=target)
        assert field in refused.value.field_errors
    services.change_status(actor=agent, ticket_id=b.pk, to=S.CLOSED)
    with pytest.raises(ValidationFailed):
        services.merge_tickets(actor=agent, source_id=a.pk, target_number=b.number)
    assert a.messages.count() == 1


def test_split_moves_chosen_messages_to_a_new_ticket(agent):
    ticket = make_ticket(actor=agent)
    services.receive_customer_message(ticket_id=ticket.pk, body="另外，发票抬头写错了")
    other = ticket.messages.last()
    new = services.split_ticket(actor=agent, ticket_id=ticket.pk, message_ids=[other.pk],
                                subject="发票抬头错误")  # fmt: skip
    assert new.parent == ticket and new.subject == "发票抬头错误"
    assert list(new.messages.all()) == [other] and ticket.messages.count() == 1
    assert ticket.events.filter(kind=EventKind.SPLIT).exists()
    with pytest.raises(ValidationFailed):  # at least one message stays
        services.split_ticket(
            actor=agent,
            ticket_id=ticket.pk,
            message_ids=list(ticket.messages.values_list("pk", flat=True)),
        )
    with pytest.raises(ValidationFailed):  # another ticket's message
        services.split_ticket(actor=agent, ticket_id=ticket.pk, message_ids=[other.pk])


# Attachments -------------------------------------------------------------------------------
def test_image_attachment_is_kept_with_a_thumbnail(agent, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ticket = make_ticket(actor=agent, attachments=[png("破损.png", size=(1200, 900))])
    [item] = TicketAttachment.objects.filter(message__ticket=ticket)
    assert (item.width, item.height, item.original_name) == (1200, 900, "破损.png")
    from PIL import Image

    with Image.open(item.thumbnail.path) as thumb:
        assert thumb.format == "WEBP" and max(thumb.size) == 320


def test_non_image_and_too_large_attachments_are_refused(agent, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("invoice.png", b"%PDF-1.4 not an image", "image/png")
    with pytest.raises(ValidationFailed) as refused:
        make_ticket(actor=agent, attachments=[png(), fake])
    assert "invoice.png" in refused.value.field_errors["attachments.1"][0]
    settings.MERCATO_TICKET_ATTACHMENT_MAX_BYTES = 1000
    with pytest.raises(ValidationFailed) as refused:
        make_ticket(actor=agent, attachments=[png()])
    assert "attachments.0" in refused.value.field_errors
    assert not Ticket.objects.exists() and not TicketMessage.objects.exists()
    assert not list(tmp_path.rglob("*.*"))


def test_a_clashing_ticket_number_is_drawn_again(agent, monkeypatch):
    first = make_ticket(actor=agent)
    numbers = iter([first.number, "TK20260302ABCDEF01"])
    monkeypatch.setattr(services, "new_ticket_number", lambda now: next(numbers))
    second = make_ticket(actor=agent)
    assert second.number == "TK20260302ABCDEF01" and Ticket.objects.count() == 2

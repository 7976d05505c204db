"""Customer service tickets over the staff API: /api/staff/tickets."""

import json

import pytest
from django.contrib.auth.models import Permission

from mercato.service.models import Ticket, TicketStatus
from mercato.testing.api import assert_error_format, bearer, fields_of
from mercato.testing.factories import make_customer, make_order
from mercato.testing.service import make_queue, make_ticket

pytestmark = pytest.mark.django_db
BASE = "/api/staff/tickets"


def post(client, path, body, headers):
    return client.post(path, json.dumps(body), content_type="application/json", headers=headers)


def test_create_reply_and_read_a_ticket(client, make_staff):
    agent = make_staff("service")
    headers = bearer(agent)
    customer = make_customer()
    order = make_order(customer=customer)
    response = post(client, BASE, {
        "channel": "marketplace", "category": "invoice", "subject": "要开专票",
        "body": "客户在平台店铺留言要求开增值税专用发票", "customer_id": customer.pk,
        "order_numbers": [order.number], "tags": ["发票"],
    }, headers)  # fmt: skip
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["orders"] == [order.number] and created["tags"] == ["发票"]
    assert created["status"] == "new" and created["first_response"]["state"] == "ok"
    number = created["number"]
    reply = post(client, f"{BASE}/{number}/replies", {"body": "已登记，三个工作日内寄出"}, headers)
    assert reply.status_code == 201 and reply.json()["direction"] == "out"
    post(client, f"{BASE}/{number}/replies", {"body": "财务已确认", "visibility": "internal"},
         headers)  # fmt: skip
    detail = client.get(f"{BASE}/{number}", headers=headers).json()
    assert detail["status"] == TicketStatus.PENDING
    assert [m["visibility"] for m in detail["messages"]] == ["public", "public", "internal"]
    assert [e["kind"] for e in detail["events"]] == ["created", "status"]


def test_list_filters_and_query_budget(client, make_staff, django_assert_max_num_queries):
    agent = make_staff("service")
    make_queue("general", default=True, members=[agent])
    for n in range(25):
        make_ticket(actor=agent, category="complaint" if n < 5 else "delivery", tags=["加急"])
    headers = bearer(agent)
    with django_assert_max_num_queries(8):
        body = client.get(BASE, headers=headers).json()
    assert body["count"] == 25 and len(body["results"]) == 25
    body = client.get(BASE, {"category": "complaint", "assignee": agent.pk}, headers=headers)
    assert body.json()["count"] == 5
    assert client.get(BASE, {"assignee": "none"}, headers=headers).json()["count"] == 0


def test_bad_input_names_the_field(client, make_staff):
    headers = bearer(make_staff("service"))
    body = assert_error_format(client.get(BASE, {"status": "x"}, headers=headers), 422)
    assert fields_of(body) == {"status"}
    body = assert_error_format(post(client, BASE, {
        "channel": "phone", "category": "weather", "subject": "x", "body": "y",
        "contact_phone": "13912340000",
    }, headers), 422)  # fmt: skip
    assert fields_of(body) == {"category"}
    body = assert_error_format(post(client, BASE, {
        "channel": "phone", "category": "other", "subject": "x", "body": "y",
    }, headers), 422)  # fmt: skip
    assert fields_of(body) == {"contact_phone"}
    assert_error_format(client.get(f"{BASE}/TK000", headers=headers), 404)
    ticket = make_ticket()
    body = assert_error_format(
        post(client, f"{BASE}/{ticket.number}/replies", {"body": "x", "visibility": "y"},
             headers), 422)  # fmt: skip
    assert fields_of(body) == {"visibility"}
    assert not Ticket.objects.exclude(pk=ticket.pk).exists()


def test_other_departments_are_refused_and_numbers_masked(client, make_staff):
    ticket = make_ticket(body="请回电 13912340000")
    assert_error_format(client.get(BASE), 401)
    headers = bearer(make_staff("finance"))
    assert_error_format(client.get(BASE, headers=headers), 403)
    assert_error_format(post(client, f"{BASE}/{ticket.number}/replies", {"body": "x"}, headers),
                        403)  # fmt: skip
    reader = make_staff("marketing")
    reader.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    detail = client.get(f"{BASE}/{ticket.number}", headers=bearer(reader)).content.decode()
    assert "13912340000" not in detail and "139****0000" in detail


def test_the_workspace_counts_and_the_team_board(client, make_staff):
    agent = make_staff("service")
    lead = make_staff("service", roles=["service_lead"])
    make_queue("general", default=True, members=[agent], mode="round_robin")
    make_ticket(actor=agent)  # auto-assigned to the queue's only agent
    make_ticket(actor=agent)
    mine = client.get("/api/staff/service/workspace", headers=bearer(agent))
    assert mine.status_code == 200, mine.content
    assert mine.json() == {
        "mine": 2, "unassigned": 0, "breached": 0, "chats_waiting": 0, "callbacks_due": 0,
        "team": [],
    }  # fmt: skip
    board = client.get("/api/staff/service/workspace", headers=bearer(lead)).json()
    rows = {r["agent_id"]: r for r in board["team"]}
    assert rows[agent.pk]["open"] == 2 and rows[lead.pk]["open"] == 0
    stranger = make_staff("marketing")
    assert client.get("/api/staff/service/workspace", headers=bearer(stranger)).status_code == 403

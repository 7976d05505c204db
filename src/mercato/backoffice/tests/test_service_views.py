"""客服部's ticket pages: the list (filters, query budget), one ticket (reply, note, status,
assignment, merge), a new ticket for a call with the caller found by phone, the home
page's counts, masking, and both languages."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from mercato.service import services
from mercato.service.models import Ticket, TicketStatus
from mercato.testing.factories import make_customer, make_order
from mercato.testing.service import make_queue, make_ticket, png

pytestmark = pytest.mark.django_db
BASE = "/backoffice/service/tickets/"


def english(client):
    client.cookies["django_language"] = "en"


@pytest.fixture
def agent(make_staff, client):
    user = make_staff("service")
    client.force_login(user)
    return user


def test_list_filters_and_query_budget(client, agent, make_staff, django_assert_max_num_queries):
    other = make_staff("service")
    make_queue("general", default=True, members=[agent, other], mode="round_robin")
    for n in range(12):
        make_ticket(actor=agent, category="delivery" if n % 2 else "complaint", tags=["加急"])
    with django_assert_max_num_queries(12):
        response = client.get(BASE, HTTP_ACCEPT_LANGUAGE="zh-Hans")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('href="/backoffice/service/tickets/TK') == 12 and "工单" in body
    # More rows cost no more queries.
    for _n in range(20):
        make_ticket(actor=agent)
    with django_assert_max_num_queries(12):
        response = client.get(BASE, {"page": 1})
    assert response.content.decode().count('href="/backoffice/service/tickets/TK') == 30
    complaints = client.get(BASE, {"category": "complaint", "assignee": agent.pk}).content
    mine = Ticket.objects.filter(category="complaint", assignee=agent).count()
    assert 0 < mine < 12
    assert complaints.decode().count('href="/backoffice/service/tickets/TK') == mine
    assert client.get(BASE, {"status": "nonsense"}).status_code == 200  # ignored, not a 500


def test_detail_reply_note_status_and_take(client, agent, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ticket = make_ticket(actor=agent, contact_email="li@example.com")
    url = f"{BASE}{ticket.number}/"
    english(client)
    page = client.get(url).content.decode()
    assert "Take this ticket" in page and ticket.subject in page
    client.post(f"{url}assign/", {"take": "1"})
    client.post(f"{url}reply/", {"body": "内部：等仓库回复", "visibility": "internal"})
    response = client.post(
        f"{url}reply/", {"body": "您好，已为您加急", "visibility": "public", "attachments": [png()]}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == agent and ticket.status == TicketStatus.PENDING
    assert ticket.messages.filter(attachments__isnull=False).count() == 1
    client.post(f"{url}status/", {"status": "resolved", "reason": "客户确认"})
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED
    client.cookies["django_language"] = "zh-hans"
    page = client.get(url).content.decode()
    assert "内部备注" in page and "已解决" in page


def test_bad_input_on_the_detail_page_is_a_message(client, agent, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ticket = make_ticket(actor=agent)
    url = f"{BASE}{ticket.number}/"
    english(client)
    bad = SimpleUploadedFile("合同.pdf", b"%PDF-1.4", "application/pdf")
    response = client.post(f"{url}reply/", {"body": "见附件", "attachments": [bad]}, follow=True)
    assert "合同.pdf is not an image" in response.content.decode()
    response = client.post(f"{url}status/", {"status": "bogus"}, follow=True)
    assert response.status_code == 200
    response = client.post(f"{url}merge/", {"target": ticket.number}, follow=True)
    assert "cannot be merged into itself" in response.content.decode()
    assert ticket.messages.count() == 1


def test_merge_and_split_from_the_page(client, agent):
    first, second = make_ticket(actor=agent), make_ticket(actor=agent, body="第二个问题")
    response = client.post(f"{BASE}{second.number}/merge/", {"target": first.number})
    assert response.url == f"{BASE}{first.number}/"
    message = first.messages.last()
    response = client.post(f"{BASE}{first.number}/split/", {"messages": [message.pk],
                                                           "subject": "拆分"})  # fmt: skip
    new = Ticket.objects.get(subject="拆分")
    assert response.url == f"{BASE}{new.number}/" and list(new.messages.all()) == [message]


def test_supervisor_reassigns_and_escalates_agent_cannot(client, agent, make_staff):
    ticket = make_ticket(actor=agent)
    other = make_staff("service")
    assert client.post(f"{BASE}{ticket.number}/escalate/", {"reason": "x"}).status_code == 403
    supervisor = make_staff("service", roles=["service_lead"])
    client.force_login(supervisor)
    client.post(f"{BASE}{ticket.number}/assign/", {"assignee": other.pk, "reason": "轮班"})
    client.post(f"{BASE}{ticket.number}/escalate/", {"reason": "客户投诉"})
    ticket.refresh_from_db()
    assert ticket.assignee == other and ticket.escalated and ticket.priority == "high"


def test_new_ticket_for_a_caller_found_by_phone(client, agent):
    customer = make_customer(mobile="13712345678", name="周先生")
    order = make_order(customer=customer)
    page = client.get(f"{BASE}new/", {"phone": "137 1234 5678"}).content.decode()
    assert order.number in page and "周先生" in page
    response = client.post(
        f"{BASE}new/",
        {"channel": "phone", "category": "delivery", "priority": "high", "subject": "没收到货",
         "body": "客户说快递显示已签收但没收到", "customer": customer.pk,
         "contact_phone": "13712345678", "order_numbers": order.number, "tags": "签收异常"},
    )  # fmt: skip
    ticket = Ticket.objects.get()
    assert response.url == f"{BASE}{ticket.number}/"
    assert ticket.customer == customer and list(ticket.orders.all()) == [order]
    assert ticket.created_by == agent and ticket.messages.get().author == agent


def test_new_ticket_bad_input_marks_the_field(client, agent):
    response = client.post(
        f"{BASE}new/", {"channel": "phone", "category": "other", "priority": "normal",
                        "subject": "咨询", "body": "问价格", "contact_phone": "12"},
    )  # fmt: skip
    assert response.status_code == 200
    assert 'data-field="contact_phone"' in response.content.decode()
    assert not Ticket.objects.exists()


def test_phone_numbers_masked_without_the_permission(client, make_staff):
    """A colleague allowed to read tickets but not to see numbers in full sees 139****0000."""
    reader = make_staff("marketing")
    reader.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    ticket = make_ticket(actor=None, body="请回电 13912340000")
    client.force_login(reader)
    for url in (BASE, f"{BASE}{ticket.number}/"):
        page = client.get(url).content.decode()
        assert "13912340000" not in page and "139****0000" in page


def test_other_departments_cannot_open_tickets(client, make_staff):
    ticket = make_ticket(actor=None)
    client.force_login(make_staff("finance"))
    assert client.get(BASE).status_code == 403
    assert client.get(f"{BASE}{ticket.number}/").status_code == 403
    assert client.post(f"{BASE}{ticket.number}/reply/", {"body": "x"}).status_code == 403
    assert ticket.messages.count() == 1


def test_home_shows_the_agents_queue_and_breaches(client, agent):
    make_queue("general", default=True, members=[agent])
    make_ticket(actor=agent)
    page = client.get("/backoffice/", HTTP_ACCEPT_LANGUAGE="zh-Hans").content.decode()
    assert 'id="queues"' in page and "我的待办工单" in page


def test_ticket_page_query_budget(client, agent, django_assert_max_num_queries):
    """A ticket's page costs the same few queries however long its thread and history."""
    ticket = make_ticket(actor=agent, tags=["加急"])
    for n in range(15):
        services.receive_customer_message(ticket_id=ticket.pk, body=f"补充 {n}")
        services.reply_to_ticket(actor=agent, ticket_id=ticket.pk, body=f"回复 {n}")
    with django_assert_max_num_queries(15):
        assert client.get(f"{BASE}{ticket.number}/").status_code == 200


def test_supervisor_home_shows_the_team_board(client, agent, make_staff):
    """A 客户主管 sees each agent's open and overdue tickets; an agent does not."""
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    ticket = make_ticket(actor=agent)
    services.assign_ticket(actor=agent, ticket_id=ticket.pk, assignee_id=agent.pk)
    assert 'id="team-board"' not in client.get("/backoffice/").content.decode()
    client.force_login(make_staff("service", roles=["service_lead"]))
    with time_machine.travel(timezone.now() + timedelta(hours=5), tick=False):
        page = client.get("/backoffice/", HTTP_ACCEPT_LANGUAGE="zh-Hans").content.decode()
    board = page[page.index('id="team-board"') :]
    row = board[board.index(f"?assignee={agent.pk}") :].split("</tr>")[0]
    assert '<td class="num">1</td>' in row and "sla-breached" in row

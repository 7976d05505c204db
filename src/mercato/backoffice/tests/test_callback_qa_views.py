"""客服部's callback, quality review and KPI pages, and their staff API: lists with their
filters and query budgets, the outcome form (a bad score opens a follow-up), a callback
planned from the customer's page, scoring, the KPI charts, permissions, both languages."""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from mercato.service import callbacks, qa, services
from mercato.service.models import Callback, QaReview
from mercato.testing.api import bearer
from mercato.testing.factories import make_customer
from mercato.testing.service import make_ticket

pytestmark = pytest.mark.django_db
BASE = "/backoffice/service/"


@pytest.fixture
def agent(make_staff, client):
    user = make_staff("service")
    client.force_login(user)
    return user


def plan(agent, days=0, **kw):
    values = {"reason": "确认安装情况", "contact_phone": "13912340001"}
    values.update(kw)
    return callbacks.create_callback(
        actor=agent, due_date=timezone.localdate() + timedelta(days=days), **values
    )


def test_callback_list_mine_today_overdue_and_query_budget(
    client, agent, make_staff, django_assert_max_num_queries
):
    other = make_staff("service")
    today = plan(agent)
    later = plan(agent, days=3)
    theirs = plan(other)
    late = Callback.objects.filter(pk=plan(agent).pk)
    late.update(due_date=timezone.localdate() - timedelta(days=2))
    for _n in range(10):
        plan(agent, days=1)

    def ids(**params):
        body = client.get(f"{BASE}callbacks/", params).content.decode()
        return {c.pk for c in Callback.objects.all() if f'href="{BASE}callbacks/{c.pk}/"' in body}

    assert ids() >= {today.pk, later.pk} and theirs.pk not in ids()  # mine by default
    assert ids(show="today") == {today.pk, theirs.pk}
    assert ids(show="overdue") == {late.get().pk}
    assert ids(show="", agent=other.pk) == {theirs.pk}
    with django_assert_max_num_queries(10):
        response = client.get(f"{BASE}callbacks/", {"show": ""})
    assert response.status_code == 200 and "回访" in response.content.decode()


def test_outcome_form_saves_a_bad_score_and_links_the_follow_up(client, agent):
    callback = plan(agent)
    page = client.get(f"{BASE}callbacks/{callback.pk}/").content.decode()
    assert 'id="script"' in page and "确认安装情况" in page
    refused = client.post(f"{BASE}callbacks/{callback.pk}/outcome/", {"result": "done"})
    assert refused.status_code == 400 and "1 到 5" in refused.content.decode()
    assert Callback.objects.get().status == "due"
    response = client.post(
        f"{BASE}callbacks/{callback.pk}/outcome/",
        {"result": "done", "satisfaction": "1", "outcome": "安装师傅迟到两天"},
        follow=True,
    )
    callback.refresh_from_db()
    assert callback.status == "done" and callback.follow_up is not None
    assert f'id="follow-up" href="{BASE}tickets/{callback.follow_up.number}/"' in (
        response.content.decode()
    )
    # Done: the form is gone, a second post is refused.
    assert 'id="outcome-form"' not in response.content.decode()
    again = client.post(
        f"{BASE}callbacks/{callback.pk}/outcome/", {"result": "done", "satisfaction": "5"}
    )
    assert again.status_code == 302 and Callback.objects.get().satisfaction == 1


def test_a_callback_planned_from_the_customers_page(client, agent):
    customer = make_customer(name="钱七")
    page = client.get(f"/backoffice/customers/{customer.pk}/").content.decode()
    assert f'href="{BASE}callbacks/new/?customer={customer.pk}"' in page
    response = client.post(
        f"{BASE}callbacks/new/?customer={customer.pk}",
        {"customer": customer.pk, "reason": "询问会员升级", "due_date": timezone.localdate()},
    )
    callback = Callback.objects.get()
    assert response.status_code == 302 and response.url == f"{BASE}callbacks/{callback.pk}/"
    assert (callback.customer, callback.contact_phone, callback.agent) == (
        customer, customer.mobile, agent,
    )  # fmt: skip
    page = client.get(f"/backoffice/customers/{customer.pk}/").content.decode()
    assert f'href="{BASE}callbacks/{callback.pk}/"' in page


def test_the_supervisor_edits_a_script_and_the_call_shows_it(client, agent, make_staff):
    callback = plan(agent)
    assert client.get(f"{BASE}callbacks/scripts/").status_code == 403
    client.force_login(make_staff("service", roles=["service_lead"]))
    page = client.get(f"{BASE}callbacks/scripts/").content.decode()
    assert page.count("<textarea") == 4 and "{回访原因}" in page
    empty = client.post(f"{BASE}callbacks/scripts/", {"kind": "manual", "script": ""})
    assert empty.status_code == 400
    client.post(f"{BASE}callbacks/scripts/", {"kind": "manual", "script": "您好，关于{回访原因}"})
    page = client.get(f"{BASE}callbacks/{callback.pk}/").content.decode()
    assert "您好，关于确认安装情况" in page


def test_qa_pages_need_the_reviewers_permission_and_score(
    client, agent, make_staff, django_assert_max_num_queries
):
    ticket = make_ticket(actor=agent, auto_assign=False)
    services.assign_ticket(actor=agent, ticket_id=ticket.pk, assignee_id=agent.pk)
    assert client.get(f"{BASE}qa/").status_code == 403
    assert client.get(f"{BASE}kpis/").status_code == 403
    lead = make_staff("service", roles=["service_lead"])
    client.force_login(lead)
    client.post(f"{BASE}qa/sample/", {"week": timezone.localdate().isoformat()})
    review = QaReview.objects.get()
    queue = client.get(f"{BASE}qa/").content.decode()
    assert f'href="{BASE}qa/{review.pk}/"' in queue
    # More agents' samples cost no more queries.
    for _n in range(6):
        other = make_staff("service")
        ticket = make_ticket(actor=other, auto_assign=False)
        services.assign_ticket(actor=other, ticket_id=ticket.pk, assignee_id=other.pk)
    qa.sample_week(week=timezone.localdate())
    with django_assert_max_num_queries(10):
        queue = client.get(f"{BASE}qa/").content.decode()
    assert len(re.findall(rf'href="{BASE}qa/\d+/"', queue)) == 7
    bad = client.post(f"{BASE}qa/{review.pk}/", {"greeting": "11", "accuracy": "30",
                                                  "policy": "20", "tone": "20",
                                                  "resolution": "20"})  # fmt: skip
    assert bad.status_code == 400 and QaReview.objects.get(pk=review.pk).status == "sampled"
    client.post(
        f"{BASE}qa/{review.pk}/",
        {"greeting": "10", "accuracy": "20", "policy": "20", "tone": "15", "resolution": "10",
         "note": "答复前先核对订单"},
    )  # fmt: skip
    review.refresh_from_db()
    assert (review.total, review.passed, review.reviewer) == (75, False, lead)


def test_kpi_page_draws_charts_and_the_table_in_both_languages(client, agent, make_staff):
    ticket = make_ticket(actor=agent, auto_assign=False)
    services.assign_ticket(actor=agent, ticket_id=ticket.pk, assignee_id=agent.pk)
    services.reply_to_ticket(actor=agent, ticket_id=ticket.pk, body="您好")
    done = plan(agent)
    callbacks.record_outcome(actor=agent, callback_id=done.pk, result="done", satisfaction=4)
    client.force_login(make_staff("service", roles=["service_lead"]))
    page = client.get(f"{BASE}kpis/", {"period": "day"}).content.decode()
    assert 'id="kpi-contacts"' in page and "<polyline" in page and 'id="kpi-table"' in page
    assert "不良咨询率" in page and str(agent) in page
    client.cookies["django_language"] = "en"
    english = client.get(f"{BASE}kpis/", {"period": "week"}).content.decode()
    assert "Bad-contact rate" in english and 'id="kpi-satisfaction"' in english


# Staff API -----------------------------------------------------------------------------------
def test_api_lists_callbacks_records_an_outcome_and_reads_kpis(client, make_staff):
    agent = make_staff("service")
    callback = plan(agent)
    headers = bearer(agent)
    listed = client.get("/api/staff/callbacks", {"show": "mine"}, headers=headers).json()
    assert [c["id"] for c in listed["results"]] == [callback.pk]
    url = f"/api/staff/callbacks/{callback.pk}/outcome"
    bad = client.post(url, json.dumps({"result": "done", "satisfaction": 9}),
                      content_type="application/json", headers=headers)  # fmt: skip
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "satisfaction"
    ok = client.post(url, json.dumps({"result": "done", "satisfaction": 5, "outcome": "满意"}),
                     content_type="application/json", headers=headers)  # fmt: skip
    assert ok.status_code == 200 and ok.json()["status"] == "done"
    today = timezone.localdate().isoformat()
    assert client.get("/api/staff/kpis", {"since": today, "until": today},
                      headers=headers).status_code == 403  # fmt: skip
    lead = bearer(make_staff("service", roles=["service_lead"]))
    report = client.get("/api/staff/kpis", {"since": today, "until": today}, headers=lead).json()
    team = next(r for r in report["rows"] if r["agent_id"] is None and r["bucket"] is None)
    assert team["satisfaction"] == "5.00"
    wrong = client.get("/api/staff/kpis", {"since": today, "until": "2020-01-01"}, headers=lead)
    assert wrong.status_code == 422

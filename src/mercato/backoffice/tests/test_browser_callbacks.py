"""End to end in Chromium, for customer service: an agent makes a callback from the list
(script shown), the customer is unhappy and a follow-up complaint opens; the supervisor
scores the sampled contact and reads the KPI charts."""

import re

import pytest
from django.utils import timezone

from mercato.service import callbacks, services
from mercato.service.models import Callback, QaReview
from mercato.testing.service import make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pass-1234-word"


def _log_in(page, base, username):
    page.goto(f"{base}/backoffice/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{base}/backoffice/")


def test_an_unhappy_callback_opens_a_follow_up_and_the_lead_scores_and_reads_kpis(
    live_server, browser_page, make_staff, settings
):
    settings.ROOT_URLCONF = "mercato.backoffice.tests.urls_live"
    agent = make_staff("service", username="xiaochen")
    make_staff("service", roles=["service_lead"], username="laowang")
    callback = callbacks.create_callback(
        actor=agent, reason="确认空调安装", due_date=timezone.localdate(),
        contact_phone="13912340001",
    )  # fmt: skip
    ticket = make_ticket(actor=agent, auto_assign=False)
    services.assign_ticket(actor=agent, ticket_id=ticket.pk, assignee_id=agent.pk)
    page, base = browser_page, live_server.url

    _log_in(page, base, "xiaochen")
    page.goto(f"{base}/backoffice/service/callbacks/")
    page.click(f"a[href='/backoffice/service/callbacks/{callback.pk}/']")
    assert "确认空调安装" in page.inner_text("#script")
    page.check("input[name=result][value=done]")
    page.select_option("select[name=satisfaction]", "2")
    page.fill("textarea[name=outcome]", "安装师傅没有按约定时间上门")
    page.click("#save-outcome")
    page.wait_for_selector("#follow-up")
    callback.refresh_from_db()
    assert callback.status == "done" and callback.follow_up is not None
    assert page.inner_text("#follow-up") == callback.follow_up.number

    page.context.clear_cookies()
    _log_in(page, base, "laowang")
    page.goto(f"{base}/backoffice/service/qa/")
    page.click("#sample-this-week")
    page.wait_for_load_state()
    review = QaReview.objects.get()
    assert review.ticket == ticket
    page.click(f"a[href='/backoffice/service/qa/{review.pk}/']")
    for name, points in [("greeting", "10"), ("accuracy", "28"), ("policy", "18"),
                         ("tone", "16"), ("resolution", "15")]:  # fmt: skip
        page.fill(f"input[name={name}]", points)
    page.fill("textarea[name=note]", "开场规范，结束前可再确认客户是否还有其他问题。")
    page.click("#save-score")
    page.wait_for_url(re.compile(r"/backoffice/service/qa/$"))
    review.refresh_from_db()
    assert (review.total, review.passed, review.status) == (87, True, "scored")
    page.goto(f"{base}/backoffice/service/kpis/?period=day")
    assert page.locator("#kpi-contacts polyline").count() >= 1
    assert re.search(r"不良咨询率", page.inner_text("#kpi-table"))
    assert Callback.objects.get().satisfaction == 2
    assert page.errors == []

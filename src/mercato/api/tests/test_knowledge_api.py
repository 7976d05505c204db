"""The knowledge base over the staff API: /api/staff/articles."""

import json

import pytest

from mercato.service import knowledge
from mercato.service.models import Article
from mercato.testing.api import assert_error_format, bearer, fields_of
from mercato.testing.service import make_ticket

pytestmark = pytest.mark.django_db
BASE = "/api/staff/articles"


def post(client, path, body, headers):
    return client.post(path, json.dumps(body), content_type="application/json", headers=headers)


@pytest.fixture
def lead(make_staff):
    return make_staff("service", roles=["service_lead"])


@pytest.fixture
def agent(make_staff):
    return make_staff("service")


@pytest.fixture
def refunds(lead):
    category = knowledge.create_category(actor=lead, name="支付问题")
    return category


def test_the_lead_writes_publishes_and_agents_find_it(client, lead, agent, refunds):
    written = post(client, BASE, {
        "category_id": refunds.pk, "title": "退款到账时间",
        "body": "原路退回，支付宝一到三个工作日到账。",
    }, bearer(lead))  # fmt: skip
    assert written.status_code == 201, written.content
    article = written.json()
    assert article["status"] == "draft" and article["version"] == 1
    path = f"{BASE}/{article['id']}"
    # A draft is the lead's only: an agent neither finds it nor opens it.
    assert client.get(BASE, {"q": "退款"}, headers=bearer(agent)).json()["results"] == []
    assert client.get(path, headers=bearer(agent)).status_code == 404
    edited = post(client, f"{path}/versions", {
        "category_id": refunds.pk, "title": "退款到账时间", "body": "原路退回，微信当天到账。",
        "base_number": 1,
    }, bearer(lead))  # fmt: skip
    assert edited.status_code == 201 and edited.json()["version"] == 2
    published = post(client, f"{path}/status", {"status": "published"}, bearer(lead))
    assert published.status_code == 200 and published.json()["status"] == "published"
    found = client.get(BASE, {"q": "tuikuan"}, headers=bearer(agent)).json()["results"]
    assert [a["title"] for a in found] == ["退款到账时间"]  # by pinyin
    detail = client.get(path, headers=bearer(agent)).json()
    assert detail["body"] == "原路退回，微信当天到账。"
    assert [v["number"] for v in detail["versions"]] == [2, 1]


def test_suggestions_for_a_conversation_or_a_ticket(client, lead, agent, refunds):
    article = knowledge.create_article(
        actor=lead, category_id=refunds.pk, title="支付失败怎么办",
        body="支付宝或微信付款失败时，请检查余额和网络，再重新支付。",
    )  # fmt: skip
    knowledge.set_article_status(actor=lead, article_id=article.pk, status="published")
    said = client.get(f"{BASE}/suggest", {"text": "你好，我付款一直失败"}, headers=bearer(agent))
    assert [a["id"] for a in said.json()["results"]] == [article.pk]
    ticket = make_ticket(actor=agent, subject="支付失败", body="微信支付失败了怎么办")
    by_ticket = client.get(f"{BASE}/suggest", {"ticket": ticket.number}, headers=bearer(agent))
    assert [a["id"] for a in by_ticket.json()["results"]] == [article.pk]
    nothing = client.get(f"{BASE}/suggest", headers=bearer(agent))
    assert fields_of(assert_error_format(nothing, 422)) == {"text"}
    missing = client.get(f"{BASE}/suggest", {"ticket": "TK0000000000"}, headers=bearer(agent))
    assert fields_of(assert_error_format(missing, 404)) == {"ticket"}


def test_agents_may_not_write_and_bad_input_names_the_field(client, lead, agent, refunds):
    refused = post(client, BASE, {
        "category_id": refunds.pk, "title": "换货流程", "body": "寄回原商品。",
    }, bearer(agent))  # fmt: skip
    assert_error_format(refused, 403)
    no_category = post(client, BASE, {
        "category_id": 999999, "title": "换货流程", "body": "寄回原商品。",
    }, bearer(lead))  # fmt: skip
    assert fields_of(assert_error_format(no_category, 422)) == {"category"}
    bad_status = client.get(BASE, {"status": "lost"}, headers=bearer(lead))
    assert fields_of(assert_error_format(bad_status, 422)) == {"status"}
    assert not Article.objects.exists()


def test_other_departments_are_refused(client, make_staff, lead, refunds):
    buyer = make_staff("procurement")
    assert_error_format(client.get(BASE, headers=bearer(buyer)), 403)

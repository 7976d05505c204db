"""客服部's knowledge base and training pages: the list with its search box, an article with
its versions and their difference, writing and publishing (客户主管 only), articles suggested
beside a ticket, taking a quiz, the scores table; query budgets, both languages."""

import pytest

from mercato.service import knowledge, training
from mercato.service.models import Article, ArticleVersion, QuizAttempt
from mercato.testing.service import make_ticket

pytestmark = pytest.mark.django_db
KB, TRAINING = "/backoffice/service/kb/", "/backoffice/service/training/"
TICKETS = "/backoffice/service/tickets/"


@pytest.fixture
def lead(make_staff):
    return make_staff("service", roles=["service_lead"])


@pytest.fixture
def agent(make_staff):
    return make_staff("service")


def write(lead, title, body, *, category="退换货政策", publish=True):
    found = knowledge.ArticleCategory.objects.filter(name=category).first()
    found = found or knowledge.create_category(actor=lead, name=category)
    article = knowledge.create_article(actor=lead, category_id=found.pk, title=title, body=body)
    if publish:
        knowledge.set_article_status(actor=lead, article_id=article.pk, status="published")
    return article


@pytest.fixture
def articles(lead):
    made = [
        write(lead, "七天无理由退货", "签收后七天内可申请退货，退货运费由买家承担。"),
        write(lead, "换货流程", "尺码不合适可以换货。"),
        write(lead, "如何开具增值税专用发票", "专票需要税号和开户行。", category="发票"),
        write(lead, "会员积分规则", "每消费一元得一积分。", category="会员积分"),
    ]
    write(lead, "尺码选择建议（草稿）", "参考尺码表。", publish=False)
    return made


def test_agents_list_and_search_published_articles(client, agent, lead, articles,
                                                   django_assert_max_num_queries):  # fmt: skip
    client.force_login(agent)
    with django_assert_max_num_queries(8):
        page = client.get(KB, HTTP_ACCEPT_LANGUAGE="zh-Hans").content.decode()
    assert "咨询手册" in page and "七天无理由退货" in page and "会员积分规则" in page
    assert "草稿" not in page  # agents read published articles only
    found = client.get(KB, {"q": "tuihuo"}).content.decode()
    assert "七天无理由退货" in found and "会员积分规则" not in found
    assert "七天无理由退货" in client.get(KB, {"q": "退貨"}).content.decode()
    nothing = client.get(KB, {"q": "量子计算机"}, HTTP_ACCEPT_LANGUAGE="zh-Hans").content.decode()
    assert "七天无理由退货" not in nothing and "量子计算机" in nothing
    for article in articles:
        write(lead, f"{article.title}（二）", "更多内容。")
    with django_assert_max_num_queries(8):
        assert client.get(KB).status_code == 200  # more articles, no more queries


def test_article_page_versions_and_diff(client, lead, agent, django_assert_max_num_queries):
    article = write(lead, "发票说明", "电子发票在发货后开具。")
    knowledge.edit_article(actor=lead, article_id=article.pk, title="发票说明",
                           body="电子发票在签收后开具。", note="改为签收后")  # fmt: skip
    knowledge.edit_article(actor=lead, article_id=article.pk, title="发票说明",
                           body="电子发票在签收后开具，专票另寄。", note="补充专票")  # fmt: skip
    client.force_login(agent)
    url = f"{KB}{article.pk}/"
    with django_assert_max_num_queries(8):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-Hans").content.decode()
    assert "专票另寄" in page and "改为签收后" in page and "补充专票" in page
    assert "edit-article" not in page  # an agent reads, does not edit
    old = client.get(url, {"version": 1}).content.decode()
    assert "电子发票在发货后开具" in old and 'id="old-version"' in old
    diff = client.get(f"{url}diff/", {"a": 1, "b": 3}).content.decode()
    assert "<del>发货</del>" in diff and "<ins>签收</ins>" in diff
    assert client.get(f"{url}diff/", {"a": "x"}).status_code == 302  # a message, not a 500


def test_only_the_lead_writes_publishes_and_restores(client, lead, agent):
    client.force_login(agent)
    assert client.get(f"{KB}new/").status_code == 403
    article = write(lead, "发票说明", "第一版")
    assert client.post(f"{KB}{article.pk}/status/", {"status": "archived"}).status_code == 403
    assert client.post(f"{KB}{article.pk}/edit/", {"title": "x", "body": "y"}).status_code == 403
    client.force_login(lead)
    category = article.category_id
    client.cookies["django_language"] = "en"
    response = client.post(f"{KB}new/", {"category": category, "title": "  ", "body": "正文"})
    assert response.status_code == 200 and 'data-field="title"' in response.content.decode()
    assert Article.objects.count() == 1  # nothing written
    response = client.post(f"{KB}new/", {"category": category, "title": "新文章", "body": "正文"})
    new = Article.objects.get(current__title="新文章")
    assert response.url == f"{KB}{new.pk}/" and new.status == "draft"
    response = client.post(
        f"{KB}{article.pk}/edit/",
        {"category": category, "title": "发票说明", "body": "第二版", "base_number": 1},
    )
    assert response.status_code == 302
    stale = client.post(
        f"{KB}{article.pk}/edit/",
        {"category": category, "title": "发票说明", "body": "另一个第二版", "base_number": 1},
    )
    assert "Version 2 was saved while you were editing" in stale.content.decode()
    client.post(f"{KB}{article.pk}/restore/", {"number": 1})
    article.refresh_from_db()
    assert article.body == "第一版" and article.current.number == 3
    client.post(f"{KB}{article.pk}/status/", {"status": "archived"})
    article.refresh_from_db()
    assert article.status == "archived"
    response = client.post(f"{KB}{article.pk}/status/", {"status": "draft"}, follow=True)
    assert "cannot become" in response.content.decode()
    assert ArticleVersion.objects.filter(article=article).count() == 3
    client.force_login(agent)
    assert client.get(f"{KB}{article.pk}/").status_code == 404  # archived: not for agents


def test_the_ticket_page_suggests_articles_within_its_budget(
    client, agent, lead, django_assert_max_num_queries
):
    ticket = make_ticket(actor=agent, subject="衣服尺码不合适想退货",
                         body="您好，我上周买的衣服尺码不合适，想退货，运费谁出？")  # fmt: skip
    client.force_login(agent)
    url = f"{TICKETS}{ticket.number}/"
    with django_assert_max_num_queries(40) as before:
        page = client.get(url).content.decode()
    assert 'id="suggested"' not in page  # an empty knowledge base suggests nothing
    write(lead, "七天无理由退货", "签收后七天内可申请退货，退货运费由买家承担。")
    write(lead, "换货流程", "尺码不合适可以换货。")
    write(lead, "会员积分规则", "每消费一元得一积分。", category="会员积分")
    # Three more queries at most: the matching words, the number of articles, the articles.
    with django_assert_max_num_queries(len(before.captured_queries) + 3):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-Hans").content.decode()
    suggested = page[page.index('id="suggested"') :]
    assert "推荐文章" in page
    assert "七天无理由退货" in suggested and "换货流程" in suggested
    assert "会员积分规则" not in suggested
    assert suggested.index("七天无理由退货") < suggested.index("换货流程")


def make_quiz(lead, articles):
    course = training.create_course(
        actor=lead, title="新员工入门", article_ids=[a.pk for a in articles[:2]]
    )
    return training.create_quiz(
        actor=lead, course_id=course.pk, title="退换货测验", pass_score=80,
        questions=[
            ("无理由退货期限？", [("三天", False), ("七天", True)]),
            ("不支持无理由退货的？", [("定制商品", True), ("鲜活易腐", True), ("手机", False)]),
        ],
    )  # fmt: skip


def test_an_agent_takes_a_quiz_and_sees_the_score(client, agent, lead, articles):
    quiz = make_quiz(lead, articles)
    first, second = quiz.questions.order_by("position")
    seven = first.options.get(text="七天").pk
    custom, fresh = (second.options.get(text=t).pk for t in ("定制商品", "鲜活易腐"))
    client.force_login(agent)
    listing = client.get(TRAINING, HTTP_ACCEPT_LANGUAGE="zh-Hans").content.decode()
    assert "新员工入门" in listing and "七天无理由退货" in listing and "未参加" in listing
    form = client.get(f"{TRAINING}quiz/{quiz.pk}/").content.decode()
    token = form.split('name="token" value="')[1].split('"')[0]
    # Half right: the multiple-choice question with one of its two right options.
    url = f"{TRAINING}quiz/{quiz.pk}/"
    response = client.post(url, {"token": token, f"q{first.pk}": seven, f"q{second.pk}": [custom]})
    attempt = QuizAttempt.objects.get(agent=agent)
    assert response.url == f"{TRAINING}attempts/{attempt.pk}/"
    assert (attempt.score, attempt.passed) == (50, False)
    result = client.get(response.url, HTTP_ACCEPT_LANGUAGE="zh-Hans").content.decode()
    assert "50 分" in result and "未及格" in result
    # The same form again (a double click): refused, still one attempt.
    client.cookies["django_language"] = "en"
    again = client.post(url, {"token": token, f"q{first.pk}": seven})
    assert "already sent" in again.content.decode() and QuizAttempt.objects.count() == 1
    # A wrong option id is named, nothing kept.
    bad = client.post(url, {"token": "t2", f"q{first.pk}": 999999})
    assert bad.status_code == 200 and QuizAttempt.objects.count() == 1
    client.post(url, {"token": "t3", f"q{first.pk}": seven, f"q{second.pk}": [custom, fresh]})
    assert QuizAttempt.objects.filter(agent=agent, passed=True, score=100).exists()
    # Someone else's result is not shown.
    other = QuizAttempt.objects.create(quiz=quiz, agent=lead, token="lead", correct=0, total=2,
                                       score=0, passed=False)  # fmt: skip
    assert client.get(f"{TRAINING}attempts/{other.pk}/").status_code == 404


def test_the_supervisor_sees_every_agents_scores(client, agent, lead, make_staff, articles,
                                                 django_assert_max_num_queries):  # fmt: skip
    quiz = make_quiz(lead, articles)
    newcomer = make_staff("service", username="newcomer")
    first = quiz.questions.order_by("position").first()
    training.submit_quiz(actor=agent, quiz_id=quiz.pk, token="a",
                         answers={str(first.pk): [first.options.get(text="七天").pk]})  # fmt: skip
    client.force_login(agent)
    assert client.get(f"{TRAINING}scores/").status_code == 403
    client.force_login(lead)
    for n in range(5):
        make_staff("service", username=f"extra{n}")
    with django_assert_max_num_queries(8):
        page = client.get(f"{TRAINING}scores/", HTTP_ACCEPT_LANGUAGE="zh-Hans").content.decode()
    assert "退换货测验" in page and "50%" in page and "未及格" in page
    row = page[page.index(newcomer.username) :].split("</tr>")[0]
    assert "未参加" in row

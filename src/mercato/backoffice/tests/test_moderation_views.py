"""客服部's moderation of product questions, answers and reviews, and the blocked words."""

import pytest
from django.contrib.auth.models import Permission

from mercato.orders.models import Order, OrderStatus
from mercato.reviews import services
from mercato.reviews.models import BlockedWord, ContentStatus, ProductAnswer, ProductReview
from mercato.testing.factories import make_customer, make_order, priced_line

pytestmark = pytest.mark.django_db
S = ContentStatus
MOBILE = "13912340001"


def pending_review(sku, *, stars=4, text="电池很耐用", mobile=None, name="周杰"):
    customer = make_customer(name=name, **({"mobile": mobile} if mobile else {}))
    order = make_order(customer=customer, lines=[priced_line(sku=sku)])
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.DELIVERED)
    return services.submit_review(
        customer=customer, order_line_id=order.lines.get().pk, stars=stars, text=text
    )


def test_the_review_queue_in_chinese_with_phones_in_full_for_service(client, login, black):
    login("service")
    review = pending_review(black, mobile=MOBILE, text=f"有问题打我电话 {MOBILE}")
    html = client.get("/backoffice/moderation/reviews/").content.decode()
    assert "商品评价" in html and "待审核" in html and "电池" not in html
    assert MOBILE in html and "周杰" in html
    page = client.get(f"/backoffice/moderation/reviews/{review.pk}/").content.decode()
    assert "发布" in page and "驳回时必填" in page


def test_phones_and_names_are_masked_for_a_moderator_without_the_permission(client, login, black):
    user = login("marketing")
    user.user_permissions.add(Permission.objects.get(codename="moderate_content"))
    review = pending_review(black, mobile=MOBILE, text=f"加我 {MOBILE}")
    for url in ("/backoffice/moderation/reviews/", f"/backoffice/moderation/reviews/{review.pk}/"):
        html = client.get(url).content.decode()
        assert MOBILE not in html and "139****0001" in html
        assert "周杰" not in html and "周*" in html


def test_publish_and_reject_with_a_reason(client, login, black):
    login("service")
    review = pending_review(black)
    url = f"/backoffice/moderation/reviews/{review.pk}/decide/"
    response = client.post(url, {"decision": "reject", "reason": ""}, follow=True)
    assert "请填写驳回原因" in response.content.decode()
    review.refresh_from_db()
    assert review.status == S.PENDING
    client.post(url, {"decision": "publish"})
    review.refresh_from_db()
    assert review.status == S.PUBLISHED
    response = client.post(url, {"decision": "publish"}, follow=True)
    assert "不能改为" in response.content.decode()
    client.post(url, {"decision": "reject", "reason": "含广告"})
    review.refresh_from_db()
    assert review.status == S.REJECTED
    assert [e.to_status for e in review.events.all()] == [S.PENDING, S.PUBLISHED, S.REJECTED]


def test_a_department_without_the_permission_is_refused(client, login, black):
    login("finance")
    review = pending_review(black)
    assert client.get("/backoffice/moderation/reviews/").status_code == 403
    assert (
        client.post(
            f"/backoffice/moderation/reviews/{review.pk}/decide/", {"decision": "publish"}
        ).status_code
        == 403
    )
    review.refresh_from_db()
    assert review.status == S.PENDING


def test_answering_a_question_and_publishing_the_answer(client, login, black):
    login("service")
    question = services.ask_question(
        product_id=black.product_id, guest_name="游客", text="有没有发票？"
    )
    page = client.get(f"/backoffice/moderation/questions/{question.pk}/").content.decode()
    assert "有没有发票？" in page and "保存回答" in page
    client.post(
        f"/backoffice/moderation/questions/{question.pk}/answer/", {"text": "支持开具电子发票"}
    )
    answer = ProductAnswer.objects.get()
    assert answer.by_staff and answer.status == S.PENDING
    assert "支持开具电子发票" in client.get("/backoffice/moderation/answers/").content.decode()
    client.post(f"/backoffice/moderation/answers/{answer.pk}/decide/", {"decision": "publish"})
    answer.refresh_from_db()
    question.refresh_from_db()
    assert answer.status == question.status == S.PUBLISHED


def test_blocked_words_flag_new_texts(client, login, black):
    login("service", roles=["lead"])
    client.post("/backoffice/moderation/blocked-words/", {"word": "刷单"})
    client.post("/backoffice/moderation/blocked-words/", {"word": "刷单"})  # refused: twice
    assert list(BlockedWord.objects.values_list("word", flat=True)) == ["刷单"]
    review = pending_review(black, text="找人刷单的吧")
    html = client.get("/backoffice/moderation/reviews/").content.decode()
    assert "屏蔽词" in html and "刷单" in html and review.flagged_words == ["刷单"]
    word = BlockedWord.objects.get()
    client.post(f"/backoffice/moderation/blocked-words/{word.pk}/delete/")
    assert not BlockedWord.objects.exists()


def test_an_agent_without_the_lead_role_cannot_edit_blocked_words(client, login):
    login("service")
    assert client.get("/backoffice/moderation/blocked-words/").status_code == 403
    client.post("/backoffice/moderation/blocked-words/", {"word": "刷单"})
    assert not BlockedWord.objects.exists()


@pytest.mark.parametrize("count", [3, 30])
def test_the_queues_keep_their_query_budget(
    client, login, black, count, django_assert_max_num_queries
):
    login("service")
    for n in range(count):
        review = pending_review(black, text=f"评价{n}")
        q = services.ask_question(product_id=black.product_id, guest_name="客", text=f"问题{n}吗")
        services.answer_question(question_id=q.pk, customer=review.customer, text=f"回答{n}")
    for url in (
        "/backoffice/moderation/reviews/",
        "/backoffice/moderation/questions/",
        "/backoffice/moderation/answers/",
        f"/backoffice/moderation/reviews/{ProductReview.objects.first().pk}/",
        f"/backoffice/moderation/questions/{q.pk}/",
    ):
        with django_assert_max_num_queries(10):
            assert client.get(url).status_code == 200

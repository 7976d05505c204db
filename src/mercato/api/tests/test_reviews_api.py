"""/api/reviews/: a product's published reviews (public), the moderation queues and
decisions, answers and blocked words (staff, by permission)."""

import json

import pytest
from django.contrib.auth.models import Permission

from mercato.orders.models import Order, OrderStatus
from mercato.reviews import services
from mercato.reviews.models import BlockedWord, ContentStatus, ProductReview
from mercato.staff.services import create_staff
from mercato.testing.api import assert_error_format, bearer
from mercato.testing.factories import make_customer, make_order, priced_line

pytestmark = pytest.mark.django_db
S = ContentStatus
MOBILE = "13912340002"


def pending_review(sku, *, stars=5, text="很好", **customer):
    buyer = make_customer(**customer)
    order = make_order(customer=buyer, lines=[priced_line(sku=sku)])
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.DELIVERED)
    return services.submit_review(
        customer=buyer, order_line_id=order.lines.get().pk, stars=stars, text=text
    )


@pytest.fixture
def agent(db):
    return create_staff(
        actor=None, username="agent", password="pass-1234-word", department_code="service",
        employee_no="S1", display_name="客服", role_codes=["lead"],
    ).user  # fmt: skip


@pytest.fixture
def outsider(db):
    user = create_staff(
        actor=None, username="mkt", password="pass-1234-word", department_code="marketing",
        employee_no="M1", display_name="市场", role_codes=[],
    ).user  # fmt: skip
    user.user_permissions.add(Permission.objects.get(codename="moderate_content"))
    return user


def test_public_reviews_of_a_product_with_average_and_count(client, black, agent):
    for stars in (5, 2):
        review = pending_review(black, stars=stars, text=f"{stars}星 call {MOBILE}")
        services.moderate(actor=agent, kind="review", item_id=review.pk, publish=True)
    pending_review(black, stars=1, text="未审核")
    body = client.get(f"/api/reviews/products/{black.product_id}").json()
    assert (body["review_count"], body["average"]) == (2, "3.50")
    assert [i["stars"] for i in body["items"]] == [2, 5]
    assert all(MOBILE not in i["text"] for i in body["items"])
    empty = client.get("/api/reviews/products/999999").json()
    assert (empty["review_count"], empty["items"]) == (0, [])


def test_the_queue_decisions_and_masking(client, black, agent, outsider):
    review = pending_review(black, text=f"打 {MOBILE}", mobile=MOBILE, name="周杰")
    full = client.get("/api/reviews/moderation/reviews", headers=bearer(agent)).json()
    assert full["count"] == 1 and full["items"][0]["customer"]["mobile"] == MOBILE
    masked = client.get("/api/reviews/moderation/reviews", headers=bearer(outsider)).content
    assert MOBILE.encode() not in masked and "周杰".encode() not in masked
    url = f"/api/reviews/moderation/reviews/{review.pk}/decision"
    refused = client.post(
        url, json.dumps({"publish": False}), content_type="application/json",
        headers=bearer(agent),
    )  # fmt: skip
    assert_error_format(refused, 422)
    done = client.post(
        url, json.dumps({"publish": True}), content_type="application/json", headers=bearer(agent)
    )
    assert done.json() == {"kind": "review", "id": review.pk, "status": "published"}
    again = client.post(
        url, json.dumps({"publish": True}), content_type="application/json", headers=bearer(agent)
    )
    assert_error_format(again, 409)
    assert ProductReview.objects.get().events.count() == 2


def test_staff_without_the_permission_are_refused(client, black, django_user_model):
    review = pending_review(black)
    clerk = create_staff(
        actor=None, username="fin", password="pass-1234-word", department_code="finance",
        employee_no="F1", display_name="财务", role_codes=[],
    ).user  # fmt: skip
    assert_error_format(client.get("/api/reviews/moderation/reviews", headers=bearer(clerk)), 403)
    response = client.post(
        f"/api/reviews/moderation/reviews/{review.pk}/decision", json.dumps({"publish": True}),
        content_type="application/json", headers=bearer(clerk),
    )  # fmt: skip
    assert_error_format(response, 403)
    assert_error_format(client.get("/api/reviews/moderation/reviews"), 401)
    review.refresh_from_db()
    assert review.status == S.PENDING


def test_answers_and_blocked_words(client, black, agent):
    question = services.ask_question(
        product_id=black.product_id, guest_name="游客", text="能防水吗？"
    )
    created = client.post(
        f"/api/reviews/questions/{question.pk}/answers", json.dumps({"text": "IP68 防水"}),
        content_type="application/json", headers=bearer(agent),
    )  # fmt: skip
    assert created.status_code == 201 and created.json()["status"] == "pending"
    answers = client.get("/api/reviews/moderation/answers", headers=bearer(agent)).json()
    assert answers["items"][0]["text"] == "IP68 防水"
    added = client.post(
        "/api/reviews/blocked-words", json.dumps({"word": "刷单"}),
        content_type="application/json", headers=bearer(agent),
    )  # fmt: skip
    assert added.status_code == 201
    twice = client.post(
        "/api/reviews/blocked-words", json.dumps({"word": "刷单"}),
        content_type="application/json", headers=bearer(agent),
    )  # fmt: skip
    assert_error_format(twice, 409)
    word = BlockedWord.objects.get()
    assert (
        client.delete(f"/api/reviews/blocked-words/{word.pk}", headers=bearer(agent)).status_code
        == 204
    )
    assert not BlockedWord.objects.exists()


@pytest.mark.parametrize("count", [2, 25])
def test_query_budgets(client, black, agent, count, django_assert_max_num_queries):
    for n in range(count):
        review = pending_review(black, text=f"第{n}条")
        services.moderate(actor=agent, kind="review", item_id=review.pk, publish=True)
        pending_review(black, text=f"待审{n}")
    headers = bearer(agent)
    with django_assert_max_num_queries(4):
        client.get(f"/api/reviews/products/{black.product_id}?limit=50")
    with django_assert_max_num_queries(8):
        client.get("/api/reviews/moderation/reviews?limit=200", headers=headers)

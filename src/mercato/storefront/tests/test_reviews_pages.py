"""Product questions and reviews on the shop: the product page's rating, reviews and Q&A
(with the JSON-LD aggregateRating), the reviews page, asking a question, and reviewing an
item from the order page."""

import json
import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.cache import cache

from mercato.orders.models import Order, OrderStatus
from mercato.reviews import services
from mercato.reviews.models import ContentStatus, ProductQuestion, ProductReview
from mercato.testing.factories import make_customer, make_order, priced_line

pytestmark = pytest.mark.django_db
LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def json_ld(html: str) -> dict:
    return {b["@type"]: b for b in (json.loads(m) for m in LD.findall(html))}


def bought(customer, sku, status=OrderStatus.DELIVERED):
    order = make_order(customer=customer, lines=[priced_line(sku=sku)])
    Order.objects.filter(pk=order.pk).update(status=status)
    return order


@pytest.fixture
def moderator(django_user_model):
    user = django_user_model.objects.create_user("mod", password="x", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="reviews", codename__in=["moderate_content", "answer_question"]
        )
    )
    return user


def review(sku, stars, text, moderator, *, name="王小明", publish=True):
    customer = make_customer(name=name)
    line = bought(customer, sku).lines.get()
    item = services.submit_review(customer=customer, order_line_id=line.pk, stars=stars, text=text)
    if publish:
        services.moderate(actor=moderator, kind="review", item_id=item.pk, publish=True)
    return item


def test_the_product_page_shows_published_reviews_with_average_and_json_ld(
    client, black, moderator, django_capture_on_commit_callbacks
):
    """Two published reviews (5 and 4 stars) and a pending one: 4.50 from 2 reviews, on the
    page and in the Product's aggregateRating; the pending text is nowhere; names masked."""
    url = f"/p/{black.product.slug}/"
    before = client.get(url).content.decode()
    assert "暂无评价" in before and "aggregateRating" not in before
    with django_capture_on_commit_callbacks(execute=True):
        review(black, 5, "拍照清楚<script>x()</script>", moderator, name="王小明")
        review(black, 4, "续航一般", moderator, name="李四")
        review(black, 1, "还在审核的差评", moderator, publish=False)
    html = client.get(url).content.decode()  # the cached page was invalidated
    assert "4.50" in html and "2 条评价" in html
    assert "拍照清楚" in html and "续航一般" in html and "还在审核的差评" not in html
    assert "王**" in html and "王小明" not in html
    assert "<script>x()" not in html
    product = json_ld(html)["Product"]
    assert product["aggregateRating"] == {
        "@type": "AggregateRating", "ratingValue": "4.50", "reviewCount": 2,
        "bestRating": 5, "worstRating": 1,
    }  # fmt: skip
    assert sorted(r["reviewRating"]["ratingValue"] for r in product["review"]) == [4, 5]


def test_published_questions_with_answers_and_the_form_with_a_csrf_token(
    client, black, moderator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        q = services.ask_question(
            product_id=black.product_id, guest_name="游客甲", text="支持快充吗？"
        )
        a = services.answer_question(question_id=q.pk, actor=moderator, text="支持66W快充")
        services.moderate(actor=moderator, kind="answer", item_id=a.pk, publish=True)
        services.ask_question(product_id=black.product_id, guest_name="游客乙", text="待审核的问题")
    html = client.get(f"/p/{black.product.slug}/").content.decode()
    assert "支持快充吗？" in html and "支持66W快充" in html and "客服" in html
    assert "待审核的问题" not in html
    assert "__csrf_token__" not in html and 'name="csrfmiddlewaretoken"' in html


def test_a_guest_asks_with_a_name_and_is_told_it_waits(client, black):
    url = f"/p/{black.product.slug}/ask/"
    client.get(f"/p/{black.product.slug}/")
    response = client.post(url, {"text": "能开发票吗？", "guest_name": ""})
    assert response.status_code == 400 and "请填写您的称呼" in response.content.decode()
    assert not ProductQuestion.objects.exists()
    response = client.post(url, {"text": "能开发票吗？", "guest_name": "赵先生"}, follow=True)
    assert "审核" in response.content.decode()
    question = ProductQuestion.objects.get()
    assert (question.guest_name, question.status) == ("赵先生", ContentStatus.PENDING)


def test_a_member_asks_without_a_name(client, black):
    customer = make_customer(name="钱七")
    client.force_login(customer.user)
    client.post(f"/p/{black.product.slug}/ask/", {"text": "有没有蓝色？"})
    assert ProductQuestion.objects.get().customer == customer


def test_the_reviews_page_lists_newest_first_ten_a_page(client, black, moderator):
    for n in range(12):
        review(black, 1 + n % 5, f"第{n}条评价", moderator)
    html = client.get(f"/p/{black.product.slug}/reviews/").content.decode()
    assert html.count('class="review"') == 10
    assert html.index("第11条评价") < html.index("第10条评价")
    assert "第1条评价" not in html.replace("第11条评价", "").replace("第10条评价", "")
    page2 = client.get(f"/p/{black.product.slug}/reviews/?page=2").content.decode()
    assert page2.count('class="review"') == 2 and "第0条评价" in page2


def test_reviewing_from_the_order_page(client, black):
    """A delivered order offers 写评价 per item; the review is sent once; the form of an
    order not received yet says why and writes nothing; another's order is 404."""
    customer = make_customer(name="孙八")
    client.force_login(customer.user)
    order = bought(customer, black)
    line = order.lines.get()
    page = client.get(f"/orders/{order.number}/").content.decode()
    form_url = f"/orders/{order.number}/review/{line.pk}/"
    assert form_url in page and "写评价" in page
    response = client.post(form_url, {"stars": "4", "text": "物流很快"})
    assert response.status_code == 302
    assert ProductReview.objects.get().stars == 4
    page = client.get(f"/orders/{order.number}/").content.decode()
    assert "已评价" in page and form_url not in page
    again = client.post(form_url, {"stars": "5", "text": "再评"})
    assert again.status_code == 409 and "您已评价过这件商品" in again.content.decode()
    shipped = bought(customer, black, status=OrderStatus.SHIPPED)
    refused = client.post(
        f"/orders/{shipped.number}/review/{shipped.lines.get().pk}/", {"stars": "5"}
    )
    assert refused.status_code == 409 and "收到货后" in refused.content.decode()
    others = bought(make_customer(), black)
    assert client.get(f"/orders/{others.number}/review/{others.lines.get().pk}/").status_code == 404
    assert ProductReview.objects.count() == 1


def test_a_photo_that_is_not_an_image_is_refused_on_the_form(client, black, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    customer = make_customer()
    client.force_login(customer.user)
    order = bought(customer, black)
    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    response = client.post(
        f"/orders/{order.number}/review/{order.lines.get().pk}/", {"stars": "5", "photos": fake}
    )
    assert response.status_code == 400
    assert not ProductReview.objects.exists()


def test_the_pages_in_english(client, black, moderator):
    review(black, 5, "good", moderator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/p/{black.product.slug}/").content.decode()
    assert "Customer reviews" in html and "1 review" in html and "Questions and answers" in html
    html = client.get(f"/p/{black.product.slug}/reviews/").content.decode()
    assert "Reviews of" in html


@pytest.mark.parametrize("many", [False, True])
def test_the_product_page_query_count_does_not_grow_with_reviews(
    client, black, moderator, many, django_assert_num_queries, tmp_path, settings
):
    """Rendered uncached (four queries without feedback): the rating row comes with the
    product's, and two queries more for each of reviews and questions once there are some,
    whatever their number (photos and answers prefetched)."""
    settings.MEDIA_ROOT = tmp_path
    count = 12 if many else 1
    for n in range(count):
        review(black, 5, f"好评{n}", moderator)
        q = services.ask_question(product_id=black.product_id, guest_name="客", text=f"问题{n}吗")
        a = services.answer_question(question_id=q.pk, actor=moderator, text="回答")
        services.moderate(actor=moderator, kind="answer", item_id=a.pk, publish=True)
    cache.clear()
    url = f"/p/{black.product.slug}/"
    client.get(url)  # the session-free first request's one-off reads
    cache.clear()
    with django_assert_num_queries(8):
        client.get(url)


def test_the_reviews_page_query_budget(client, black, moderator, django_assert_num_queries):
    for n in range(12):
        review(black, 5, f"好评{n}", moderator)
    # Session-free: the product (three), the rating row, the page's count, its reviews and
    # their photos.
    with django_assert_num_queries(7):
        client.get(f"/p/{black.product.slug}/reviews/?page=2")


def test_too_many_questions_from_one_address_are_refused(client, black, settings):
    settings.MERCATO_QUESTION_RATE = "2/h"
    url = f"/p/{black.product.slug}/ask/"
    cache.clear()
    for n in range(2):
        client.post(url, {"text": f"第{n}个问题吗", "guest_name": "赵"})
    response = client.post(url, {"text": "第三个问题吗", "guest_name": "赵"})
    assert response.status_code == 429 and "提问过于频繁" in response.content.decode()
    assert ProductQuestion.objects.count() == 2


def test_a_customer_who_received_it_answers_a_question(client, black, moderator):
    """From the questions page: a buyer's answer waits for moderation; someone who did not
    receive the product is told so and nothing is written."""
    question = services.ask_question(
        product_id=black.product_id, guest_name="游客", text="屏幕伤眼吗？"
    )
    services.moderate(actor=moderator, kind="question", item_id=question.pk, publish=True)
    page = client.get(f"/p/{black.product.slug}/questions/").content.decode()
    url = f"/p/{black.product.slug}/questions/{question.pk}/answer/"
    assert "屏幕伤眼吗？" in page and url in page
    stranger = make_customer()
    client.force_login(stranger.user)
    refused = client.post(url, {"text": "不知道"})
    assert (
        refused.status_code == 409
        and "只有已收到这件商品的顾客才能回答" in refused.content.decode()
    )
    buyer = make_customer(name="吴")
    bought(buyer, black)
    client.force_login(buyer.user)
    assert client.post(url, {"text": "用了两周，不伤眼"}).status_code == 302
    answer = question.answers.get()
    assert (answer.customer, answer.status, answer.by_staff) == (
        buyer,
        ContentStatus.PENDING,
        False,
    )


@pytest.mark.parametrize("count", [2, 12])
def test_the_questions_page_query_budget(
    client, black, moderator, count, django_assert_num_queries
):
    for n in range(count):
        q = services.ask_question(product_id=black.product_id, guest_name="客", text=f"问题{n}吗")
        a = services.answer_question(question_id=q.pk, actor=moderator, text=f"回答{n}")
        services.moderate(actor=moderator, kind="answer", item_id=a.pk, publish=True)
    # Session-free: the product (three), the page's count, its questions and their answers.
    with django_assert_num_queries(6):
        client.get(f"/p/{black.product.slug}/questions/")

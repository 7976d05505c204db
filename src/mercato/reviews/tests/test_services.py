"""Review eligibility, sanitising, blocked words, moderation moves and the product's rating."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from mercato.core.errors import Conflict, NotFound, PermissionDeniedError, ValidationFailed
from mercato.orders.models import Order, OrderStatus
from mercato.reviews import services
from mercato.reviews.models import (
    BlockedWord,
    ContentStatus,
    ModerationEvent,
    ProductAnswer,
    ProductQuestion,
    ProductRating,
    ProductReview,
    ReviewPhoto,
)
from mercato.reviews.status import IllegalModerationMove
from mercato.testing.factories import make_customer, make_order, priced_line

pytestmark = pytest.mark.django_db
S = ContentStatus


@pytest.fixture(autouse=True)
def english():
    """The services' messages in English here (the pages' tests read them in Chinese)."""
    with translation.override("en"):
        yield


def png(name="a.png", size=(40, 30), fmt="PNG") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", size, "red").save(buf, fmt)
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def bought(customer, sku, status=OrderStatus.DELIVERED):
    order = make_order(customer=customer, lines=[priced_line(sku=sku)])
    Order.objects.filter(pk=order.pk).update(status=status)
    return order.lines.get()


@pytest.fixture
def moderator(django_user_model):
    user = django_user_model.objects.create_user("mod", password="x", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="reviews",
            codename__in=["moderate_content", "answer_question", "manage_blocked_words"],
        )
    )
    return user


@pytest.fixture
def buyer(db):
    return make_customer(name="王小明")


def counts():
    return (
        ProductReview.objects.count(),
        ReviewPhoto.objects.count(),
        ModerationEvent.objects.count(),
        ProductRating.objects.count(),
    )


# Eligibility ----------------------------------------------------------------------------
def test_a_review_of_a_product_not_bought_is_refused_and_nothing_written(buyer, black):
    """Another customer's line (or no line at all): "You have not bought this product."."""
    other_line = bought(make_customer(), black)
    before = counts()
    for line_id in (other_line.pk, 999_999):
        with pytest.raises(NotFound) as err:
            services.submit_review(customer=buyer, order_line_id=line_id, stars=5, text="很好")
        assert err.value.field == "order_line"
        assert "not bought" in err.value.message
    assert counts() == before


@pytest.mark.parametrize(
    "status",
    [OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.CANCELLED, OrderStatus.PENDING_PAYMENT],
)
def test_a_review_before_the_order_reached_the_customer_is_refused(buyer, black, status):
    line = bought(buyer, black, status=status)
    with pytest.raises(Conflict, match="once the order has reached you"):
        services.submit_review(customer=buyer, order_line_id=line.pk, stars=4, text="还没到")
    assert counts() == (0, 0, 0, 0)


@pytest.mark.parametrize("status", [OrderStatus.DELIVERED, OrderStatus.COMPLETED])
def test_a_received_item_is_reviewed_once(buyer, black, status):
    """The review waits for moderation (the default), with its event; a second review of
    the same line is refused."""
    line = bought(buyer, black, status=status)
    review = services.submit_review(
        customer=buyer, order_line_id=line.pk, stars=4, text="  手感不错，\n\n 续航一般 "
    )
    assert review.status == S.PENDING and review.product_id == black.product_id
    assert review.text == "手感不错，\n续航一般"
    assert review.specs_label == "黑色 / 128GB"
    [event] = review.events.all()
    assert (event.from_status, event.to_status, event.actor) == ("", S.PENDING, buyer.user)
    with pytest.raises(Conflict, match="already reviewed"):
        services.submit_review(customer=buyer, order_line_id=line.pk, stars=1, text="再评一次")
    assert ProductReview.objects.count() == 1
    assert not ProductRating.objects.filter(review_count__gt=0).exists()


@pytest.mark.parametrize("stars", [0, 6, -1, "5", True, None, 4.5])
def test_stars_outside_one_to_five_are_refused(buyer, black, stars):
    line = bought(buyer, black)
    with pytest.raises(ValidationFailed) as err:
        services.submit_review(customer=buyer, order_line_id=line.pk, stars=stars)
    assert "stars" in err.value.field_errors
    assert counts() == (0, 0, 0, 0)


def test_the_database_refuses_stars_outside_one_to_five(buyer, black):
    from django.db import IntegrityError, transaction

    line = bought(buyer, black)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductReview.objects.create(
            product_id=black.product_id, customer=buyer, order_line=line, stars=6
        )


# Photos ---------------------------------------------------------------------------------
def test_photos_are_stored_with_thumbnails(buyer, black, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    line = bought(buyer, black)
    review = services.submit_review(
        customer=buyer, order_line_id=line.pk, stars=5, text="很好", photos=[png(), png("b.png")]
    )
    photos = list(review.photos.all())
    assert [p.position for p in photos] == [0, 1]
    assert list((tmp_path / "thumbs").rglob("*.webp")), "thumbnails written when stored"


def test_a_photo_that_is_not_an_image_or_too_large_is_refused(buyer, black, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    line = bought(buyer, black)
    fake = SimpleUploadedFile("x.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    with pytest.raises(ValidationFailed) as err:
        services.submit_review(customer=buyer, order_line_id=line.pk, stars=5, photos=[png(), fake])
    assert err.value.field_errors == {"photos.1": ["Not a readable image."]}
    big = png()
    big.size = services.MAX_PHOTO_BYTES + 1
    with pytest.raises(ValidationFailed) as err:
        services.submit_review(customer=buyer, order_line_id=line.pk, stars=5, photos=[big])
    assert err.value.field_errors == {"photos.0": ["A photo may be at most 5 MB."]}
    with pytest.raises(ValidationFailed) as err:
        services.submit_review(
            customer=buyer, order_line_id=line.pk, stars=5, photos=[png() for _ in range(7)]
        )
    assert "photos" in err.value.field_errors
    assert counts() == (0, 0, 0, 0)
    assert not list(tmp_path.rglob("*.png")), "no file kept from a refused review"


# Sanitising and blocked words ----------------------------------------------------------
def test_markup_is_removed_from_what_shoppers_write(buyer, black, phone_shop):
    line = bought(buyer, black)
    review = services.submit_review(
        customer=buyer, order_line_id=line.pk, stars=5,
        text='<script>alert("x")</script><b>好用</b> &lt;script&gt;steal()&lt;/script&gt;'
        "<img src=x onerror=alert(1)>",
    )  # fmt: skip
    assert review.text == "好用"
    question = services.ask_question(
        product_id=black.product_id, guest_name="<i>游客</i>", text="<style>p{}</style>能插卡吗?"
    )
    assert (question.guest_name, question.text) == ("游客", "能插卡吗?")


def test_a_text_with_a_blocked_word_waits_flagged_even_when_auto_publishing(
    buyer, black, settings, moderator, django_capture_on_commit_callbacks
):
    settings.MERCATO_REVIEWS_AUTO_PUBLISH = True
    services.add_blocked_word(actor=moderator, word="加微信")
    services.add_blocked_word(actor=moderator, word="Spam")
    line = bought(buyer, black)
    flagged = services.submit_review(
        customer=buyer, order_line_id=line.pk, stars=5, text="便宜货加微信 SPAM"
    )
    assert flagged.status == S.PENDING and flagged.flagged_words == ["Spam", "加微信"]
    assert "加微信" in flagged.events.get().reason
    clean = services.ask_question(product_id=black.product_id, customer=buyer, text="有现货吗？")
    assert clean.status == S.PUBLISHED and clean.published_at
    assert ProductRating.objects.get(product_id=black.product_id).question_count == 1


def test_blocked_words_are_kept_once_by_those_allowed(moderator, django_user_model):
    services.add_blocked_word(actor=moderator, word="代购")
    with pytest.raises(Conflict):
        services.add_blocked_word(actor=moderator, word=" 代购 ")
    with pytest.raises(ValidationFailed):
        services.add_blocked_word(actor=moderator, word="<b></b>")
    clerk = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    with pytest.raises(PermissionDeniedError):
        services.add_blocked_word(actor=clerk, word="别的")
    assert list(BlockedWord.objects.values_list("word", flat=True)) == ["代购"]


# Moderation and the rating -------------------------------------------------------------
def _review(customer, sku, stars):
    line = bought(customer, sku)
    return services.submit_review(customer=customer, order_line_id=line.pk, stars=stars, text="好")


def test_publishing_and_taking_down_keep_the_rating(
    buyer, black, moderator, django_capture_on_commit_callbacks
):
    from mercato.catalog.shopcache import shop_version

    five, two = _review(buyer, black, 5), _review(make_customer(), black, 2)
    version = shop_version()
    with django_capture_on_commit_callbacks(execute=True):
        services.moderate(actor=moderator, kind="review", item_id=five.pk, publish=True)
    assert shop_version() == version + 1, "the product page is rendered afresh"
    services.moderate(actor=moderator, kind="review", item_id=two.pk, publish=True)
    rating = ProductRating.objects.get(product_id=black.product_id)
    assert (rating.review_count, rating.star_total, rating.average) == (2, 7, Decimal("3.50"))
    services.moderate(actor=moderator, kind="review", item_id=five.pk, publish=False, reason="广告")
    rating.refresh_from_db()
    assert (rating.review_count, rating.star_total, rating.average) == (1, 2, Decimal("2.00"))
    five.refresh_from_db()
    assert five.status == S.REJECTED
    last = five.events.last()
    assert (last.from_status, last.to_status, last.actor, last.reason) == (
        S.PUBLISHED,
        S.REJECTED,
        moderator,
        "广告",
    )


def test_illegal_moves_are_refused_and_change_nothing(buyer, black, moderator):
    review = _review(buyer, black, 4)
    with pytest.raises(ValidationFailed):  # a rejection says why
        services.moderate(actor=moderator, kind="review", item_id=review.pk, publish=False)
    services.moderate(actor=moderator, kind="review", item_id=review.pk, publish=True)
    events = ModerationEvent.objects.count()
    with pytest.raises(IllegalModerationMove):
        services.moderate(actor=moderator, kind="review", item_id=review.pk, publish=True)
    services.moderate(actor=moderator, kind="review", item_id=review.pk, publish=False, reason="x")
    with pytest.raises(IllegalModerationMove):
        services.moderate(actor=moderator, kind="review", item_id=review.pk, publish=True)
    assert ModerationEvent.objects.count() == events + 1
    rating = ProductRating.objects.get(product_id=black.product_id)
    assert (rating.review_count, rating.star_total) == (0, 0)


def test_a_rejected_pending_review_never_counts(buyer, black, moderator):
    review = _review(buyer, black, 1)
    services.moderate(
        actor=moderator, kind="review", item_id=review.pk, publish=False, reason="脏话"
    )
    assert not ProductRating.objects.filter(review_count__gt=0).exists()


def test_moderating_needs_the_permission(buyer, black, django_user_model):
    review = _review(buyer, black, 4)
    clerk = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    with pytest.raises(PermissionDeniedError):
        services.moderate(actor=clerk, kind="review", item_id=review.pk, publish=True)
    review.refresh_from_db()
    assert review.status == S.PENDING


def test_every_status_has_its_moves():
    from mercato.reviews.status import ALLOWED

    assert set(ALLOWED) == set(S.values)
    assert ALLOWED[S.REJECTED] == frozenset()


# Questions and answers -----------------------------------------------------------------
def test_a_guest_asks_with_a_name_and_a_member_without(buyer, black):
    with pytest.raises(ValidationFailed) as err:
        services.ask_question(product_id=black.product_id, text="防水吗？")
    assert "guest_name" in err.value.field_errors
    with pytest.raises(NotFound):
        services.ask_question(product_id=999_999, customer=buyer, text="防水吗？")
    q = services.ask_question(product_id=black.product_id, customer=buyer, text="防水吗？")
    assert q.status == S.PENDING and q.customer == buyer and q.guest_name == ""
    assert ProductQuestion.objects.count() == 1


def test_answers_by_the_shop_and_by_customers_who_received_it(buyer, black, moderator):
    q = services.ask_question(product_id=black.product_id, guest_name="李", text="防水吗？")
    stranger = make_customer()
    with pytest.raises(Conflict, match="received this product"):
        services.answer_question(question_id=q.pk, customer=stranger, text="不知道")
    bought(buyer, black)
    mine = services.answer_question(question_id=q.pk, customer=buyer, text="用了一个月，防泼水")
    shop = services.answer_question(question_id=q.pk, actor=moderator, text="支持IP68防水")
    assert shop.by_staff and not mine.by_staff
    assert ProductAnswer.objects.filter(status=S.PENDING).count() == 2
    # Publishing an answer publishes its pending question with it.
    services.moderate(actor=moderator, kind="answer", item_id=shop.pk, publish=True)
    q.refresh_from_db()
    assert q.status == S.PUBLISHED
    assert ProductRating.objects.get(product_id=black.product_id).question_count == 1
    services.moderate(actor=moderator, kind="question", item_id=q.pk, publish=False, reason="重复")
    with pytest.raises(Conflict):
        services.answer_question(question_id=q.pk, actor=moderator, text="再答一次")
    assert ProductRating.objects.get(product_id=black.product_id).question_count == 0


def test_a_published_review_earns_points_once(buyer, black, moderator, settings):
    settings.MERCATO_POINTS_REVIEW = 20
    review = _review(buyer, black, 5)
    buyer.refresh_from_db()
    before = buyer.points_balance
    services.moderate(actor=moderator, kind="review", item_id=review.pk, publish=True)
    services.moderate(actor=moderator, kind="review", item_id=review.pk, publish=False, reason="x")
    buyer.refresh_from_db()
    assert buyer.points_balance == before + 20

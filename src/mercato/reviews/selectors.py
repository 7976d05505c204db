"""Reads of product questions and reviews: what a product page shows (its rating row, the
newest published reviews and questions with their published answers) and the moderation
queues. Each is a fixed number of queries, whatever the number of rows."""

from dataclasses import dataclass, field

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from mercato.core.compiled import CompiledQuery

from .models import (
    ContentStatus,
    ModerationEvent,
    ProductAnswer,
    ProductQuestion,
    ProductRating,
    ProductReview,
)

S = ContentStatus


def published_reviews(*, product_id: int) -> QuerySet[ProductReview]:
    """Newest first, with the reviewer and the photos (two queries a page)."""
    return (
        ProductReview.objects.filter(product_id=product_id, status=S.PUBLISHED)
        .select_related("customer")
        .prefetch_related("photos")
        .order_by("-published_at", "-id")
    )


def published_questions(*, product_id: int) -> QuerySet[ProductQuestion]:
    """Newest first, each with its published answers (two queries a page)."""
    answers = ProductAnswer.objects.filter(status=S.PUBLISHED).select_related("customer")
    return (
        ProductQuestion.objects.filter(product_id=product_id, status=S.PUBLISHED)
        .select_related("customer")
        .prefetch_related(Prefetch("answers", queryset=answers, to_attr="published_answers"))
        .order_by("-published_at", "-id")
    )


# Compiled once (mercato.core.compiled): every uncached product page asks.
_RATING = CompiledQuery(
    "reviews.rating",
    lambda product_id: ProductRating.objects.filter(product_id=product_id).values(
        "review_count", "star_total", "question_count"
    )[:1],
)


@dataclass
class Feedback:
    review_count: int = 0
    average: object = 0
    question_count: int = 0
    reviews: list = field(default_factory=list)
    questions: list = field(default_factory=list)


def rating_columns(product=None) -> dict[str, Subquery]:
    """The rating row's review_count, star_total and question_count as subqueries of a
    Product queryset (`product`: the outer product, OuterRef("pk") by default), each None
    for a product without a row: the product page reads them with its product's row
    (storefront.page_data) instead of in a query of their own."""
    product = OuterRef("pk") if product is None else product
    rating = ProductRating.objects.filter(product_id=product)
    return {
        name: Subquery(rating.values(name)[:1])
        for name in ("review_count", "star_total", "question_count")
    }


def product_feedback(*, product_id: int, reviews: int = 5, questions: int = 5) -> Feedback:
    """The rating row (one query), and only when there are some, the newest published
    reviews and questions (two queries each)."""
    rows = _RATING.rows(product_id=product_id)
    return feedback_of(
        product_id=product_id, rating=rows[0] if rows else None, reviews=reviews,
        questions=questions,
    )  # fmt: skip


def feedback_of(
    *, product_id: int, rating: dict | None, reviews: int = 5, questions: int = 5
) -> Feedback:
    """product_feedback() from the rating row already read (`rating`: its review_count,
    star_total and question_count, as rating_columns() gives them; None or all None without
    a row): only the reviews and questions are read, when there are some."""
    if rating is None or rating["review_count"] is None:
        return Feedback()
    rating = ProductRating(product_id=product_id, **rating)  # for its `average`
    found = Feedback(rating.review_count, rating.average, rating.question_count)
    if rating.review_count:
        found.reviews = list(published_reviews(product_id=product_id)[:reviews])
    if rating.question_count:
        found.questions = list(published_questions(product_id=product_id)[:questions])
    return found


def reviewed_line_ids(*, order_id: int) -> set[int]:
    """The lines of an order that have a review (whatever its status)."""
    return set(
        ProductReview.objects.filter(order_line__order_id=order_id).values_list(
            "order_line_id", flat=True
        )
    )


# Moderation queues -----------------------------------------------------------------------
def queue_status(value) -> str:
    """The status a queue is filtered on: pending unless another status, or "all", is
    asked for."""
    return value if value in (*S.values, "all") else S.PENDING


def _queue(queryset, status: str):
    """Filtered on `status` ("all": no filter); oldest first when pending (first come,
    first served), else newest first."""
    if status in S.values:
        queryset = queryset.filter(status=status)
    order = ("created_at", "id") if status == S.PENDING else ("-created_at", "-id")
    return queryset.order_by(*order)


def review_queue(*, status: str = S.PENDING) -> QuerySet[ProductReview]:
    return _queue(
        ProductReview.objects.select_related("product", "customer", "order_line__order"), status
    )


def question_queue(*, status: str = S.PENDING) -> QuerySet[ProductQuestion]:
    return _queue(ProductQuestion.objects.select_related("product", "customer"), status)


def answer_queue(*, status: str = S.PENDING) -> QuerySet[ProductAnswer]:
    return _queue(
        ProductAnswer.objects.select_related("question__product", "customer", "author"), status
    )


def review_for_moderation(*, review_id: int) -> ProductReview | None:
    return (
        ProductReview.objects.filter(pk=review_id)
        .select_related("product", "customer", "order_line__order")
        .prefetch_related("photos", events_of())
        .first()
    )


def question_for_moderation(*, question_id: int) -> ProductQuestion | None:
    answers = ProductAnswer.objects.select_related("customer", "author").prefetch_related(
        events_of()
    )
    return (
        ProductQuestion.objects.filter(pk=question_id)
        .select_related("product", "customer")
        .prefetch_related(Prefetch("answers", queryset=answers), events_of())
        .first()
    )


def events_of() -> Prefetch:
    return Prefetch(
        "events",
        queryset=ModerationEvent.objects.select_related("actor").order_by("created_at", "id"),
    )

"""Product questions and reviews over the API: /api/reviews/.

- `GET /products/{product_id}` (public): a product's published reviews, newest first, with
  its average and count.
- The moderation queues for customer service (reviews, questions, answers; pending by
  default), a decision on one (publish, or reject with a reason), an answer for the shop,
  and the blocked-word list. Customers' names and phone numbers are masked without
  `core.view_full_phone`, in the texts too.
"""

from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from mercato.api.auth import requires
from mercato.api.schemas import PathId, responses
from mercato.catalog.thumbs import thumb_url
from mercato.core import masking
from mercato.core.errors import NotFound
from mercato.reviews import selectors, services
from mercato.reviews.models import BlockedWord

from .schemas import (
    AnswerIn,
    AnswerQueueOut,
    BlockedWordIn,
    BlockedWordOut,
    DecisionIn,
    DecisionOut,
    ProductReviewsOut,
    QuestionQueueOut,
    ReviewQueueOut,
)

router = Router(tags=["product reviews"])
MODERATE = "reviews.moderate_content"
ANSWER = "reviews.answer_question"
WORDS = "reviews.manage_blocked_words"
KINDS = {"reviews": "review", "questions": "question", "answers": "answer"}


def _page(limit: int, offset: int):
    return limit, min(offset, 1_000_000)


@router.get(
    "/products/{product_id}",
    response=responses(ProductReviewsOut),
    summary="A product's published reviews",
)
def product_reviews(
    request, product_id: PathId, limit: int = Query(10, ge=1, le=50), offset: int = Query(0, ge=0)
):
    limit, offset = _page(limit, offset)
    feedback = selectors.product_feedback(product_id=product_id, reviews=0, questions=0)
    reviews = selectors.published_reviews(product_id=product_id)[offset : offset + limit]
    return {
        "product_id": product_id,
        "review_count": feedback.review_count,
        "average": feedback.average,
        "count": feedback.review_count,
        "limit": limit,
        "offset": offset,
        "items": [
            {
                "id": r.pk,
                "stars": r.stars,
                "text": masking.mask_phones_in(r.text),
                "author": r.author_name,
                "specs": r.specs_label,
                "published_at": r.published_at,
                "photos": [
                    {"url": p.image.url, "thumbnail": thumb_url(p.image, "small")}
                    for p in r.photos.all()
                ],
            }
            for r in reviews
        ],
    }


# Moderation ------------------------------------------------------------------------------
def _who(user, customer) -> dict | None:
    if customer is None:
        return None
    return {
        "name": masking.name_for(user, customer.name),
        "mobile": masking.phone_for(user, customer.mobile or ""),
    }


def _queue(selector, status: str, limit: int, offset: int, row) -> dict:
    """One page of a moderation queue (pending unless another status or "all" is asked
    for): its count and `row(item)` for each item."""
    queue = selector(status=selectors.queue_status(status))
    limit, offset = _page(limit, offset)
    return {
        "count": queue.count(),
        "limit": limit,
        "offset": offset,
        "items": [row(item) for item in queue[offset : offset + limit]],
    }


@router.get(
    "/moderation/reviews",
    response=responses(ReviewQueueOut),
    summary="Reviews to moderate",
    **requires(MODERATE),
)
def review_queue(
    request,
    status: str = Query("pending", description="pending, published, rejected or all"),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0),
):
    user = request.auth
    return _queue(
        selectors.review_queue,
        status,
        limit,
        offset,
        lambda r: {
            "id": r.pk,
            "product_id": r.product_id,
            "product_name": r.product.name,
            "order_number": r.order_line.order.number,
            "stars": r.stars,
            "text": masking.text_for(user, r.text),
            "status": r.status,
            "flagged_words": r.flagged_words,
            "customer": _who(user, r.customer),
            "created_at": r.created_at,
        },
    )


@router.get(
    "/moderation/questions",
    response=responses(QuestionQueueOut),
    summary="Questions to moderate",
    **requires(MODERATE),
)
def question_queue(
    request,
    status: str = Query("pending", description="pending, published, rejected or all"),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0),
):
    user = request.auth
    return _queue(
        selectors.question_queue,
        status,
        limit,
        offset,
        lambda q: {
            "id": q.pk,
            "product_id": q.product_id,
            "product_name": q.product.name,
            "text": masking.text_for(user, q.text),
            "status": q.status,
            "flagged_words": q.flagged_words,
            "customer": _who(user, q.customer),
            "guest_name": masking.name_for(user, q.guest_name),
            "created_at": q.created_at,
        },
    )


@router.get(
    "/moderation/answers",
    response=responses(AnswerQueueOut),
    summary="Answers to moderate",
    **requires(MODERATE),
)
def answer_queue(
    request,
    status: str = Query("pending", description="pending, published, rejected or all"),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0),
):
    user = request.auth
    return _queue(
        selectors.answer_queue,
        status,
        limit,
        offset,
        lambda a: {
            "id": a.pk,
            "question_id": a.question_id,
            "question": masking.text_for(user, a.question.text),
            "text": masking.text_for(user, a.text),
            "status": a.status,
            "flagged_words": a.flagged_words,
            "by_staff": a.by_staff,
            "customer": _who(user, a.customer),
            "created_at": a.created_at,
        },
    )


@router.post(
    "/moderation/{kind}/{item_id}/decision",
    response=responses(DecisionOut),
    summary="Publish, or reject with a reason, a review, question or answer",
    **requires(MODERATE),
)
def decide(request, kind: str, item_id: PathId, payload: DecisionIn):
    if kind not in KINDS:
        raise NotFound(_("Choose reviews, questions or answers."), field="kind")
    item = services.moderate(
        actor=request.auth,
        kind=KINDS[kind],
        item_id=item_id,
        publish=payload.publish,
        reason=payload.reason,
    )
    return {"kind": KINDS[kind], "id": item.pk, "status": item.status}


@router.post(
    "/questions/{question_id}/answers",
    response=responses(DecisionOut, 201),
    summary="Answer a question for the shop (published after moderation)",
    **requires(ANSWER),
)
def answer(request, question_id: PathId, payload: AnswerIn):
    created = services.answer_question(
        question_id=question_id, actor=request.auth, text=payload.text
    )
    return Status(201, {"kind": "answer", "id": created.pk, "status": created.status})


@router.get(
    "/blocked-words",
    response=responses(list[BlockedWordOut]),
    summary="The blocked-word list",
    **requires(WORDS),
)
def blocked_words(request):
    return list(BlockedWord.objects.order_by("word")[:2000])


@router.post(
    "/blocked-words",
    response=responses(BlockedWordOut, 201),
    summary="Add a blocked word",
    **requires(WORDS),
)
def add_blocked_word(request, payload: BlockedWordIn):
    return Status(201, services.add_blocked_word(actor=request.auth, word=payload.word))


@router.delete(
    "/blocked-words/{word_id}",
    response=responses(None, 204),
    summary="Remove a blocked word",
    **requires(WORDS),
)
def remove_blocked_word(request, word_id: PathId):
    services.remove_blocked_word(actor=request.auth, word_id=word_id)
    return Status(204, None)

"""Schemas of /api/reviews/: published reviews of a product, and the moderation queues."""

from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema

from mercato.api.schemas import Text


class PhotoOut(Schema):
    url: str
    thumbnail: str


class PublicReviewOut(Schema):
    id: int
    stars: int
    text: str
    author: str
    specs: str
    published_at: datetime
    photos: list[PhotoOut]


class ProductReviewsOut(Schema):
    product_id: int
    review_count: int
    average: Decimal
    count: int
    limit: int
    offset: int
    items: list[PublicReviewOut]


class CustomerOut(Schema):
    name: str
    mobile: str


class QueuedReviewOut(Schema):
    id: int
    product_id: int
    product_name: str
    order_number: str
    stars: int
    text: str
    status: str
    flagged_words: list[str]
    customer: CustomerOut
    created_at: datetime


class QueuedQuestionOut(Schema):
    id: int
    product_id: int
    product_name: str
    text: str
    status: str
    flagged_words: list[str]
    customer: CustomerOut | None
    guest_name: str
    created_at: datetime


class QueuedAnswerOut(Schema):
    id: int
    question_id: int
    question: str
    text: str
    status: str
    flagged_words: list[str]
    by_staff: bool
    customer: CustomerOut | None
    created_at: datetime


class QueuePage(Schema):
    count: int
    limit: int
    offset: int


class ReviewQueueOut(QueuePage):
    items: list[QueuedReviewOut]


class QuestionQueueOut(QueuePage):
    items: list[QueuedQuestionOut]


class AnswerQueueOut(QueuePage):
    items: list[QueuedAnswerOut]


class DecisionIn(Schema):
    publish: bool
    reason: Text = Field("", max_length=200, description="Needed to reject")


class DecisionOut(Schema):
    kind: str
    id: int
    status: str


class AnswerIn(Schema):
    text: Text = Field(..., min_length=2, max_length=1000)


class BlockedWordIn(Schema):
    word: Text = Field(..., min_length=1, max_length=40)


class BlockedWordOut(Schema):
    id: int
    word: str
    created_at: datetime

"""Product questions and reviews (产品咨询、口碑): every write.

Shoppers ask (members, or guests with a name); the shop's agents and customers who bought
the product answer; customers review what reached them, one review per order line. Every
text is made plain by nh3 and checked against the blocked-word list: a text with a blocked
word waits for a moderator, flagged with the word; a clean one waits too unless
MERCATO_REVIEWS_AUTO_PUBLISH is set. Publishing and taking down go through `moderate`,
which keeps the product's rating row (ProductRating) in the same transaction and makes the
shop render the product page afresh once it commits.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from easy_thumbnails.files import get_thumbnailer
from PIL import Image, UnidentifiedImageError

from mercato.catalog.models import Product, ProductStatus
from mercato.catalog.shopcache import bump_shop_version
from mercato.core.errors import Conflict, NotFound, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.customers.points import earn_for_review
from mercato.orders.models import OrderLine, OrderStatus

from . import status
from .models import (
    BlockedWord,
    ContentStatus,
    ProductAnswer,
    ProductQuestion,
    ProductRating,
    ProductReview,
    ReviewPhoto,
)
from .text import blocked_words_in, sanitise

S = ContentStatus
# An order has reached the customer: what a review needs.
RECEIVED = (OrderStatus.DELIVERED, OrderStatus.COMPLETED)
MAX_PHOTOS, MAX_PHOTO_BYTES = 6, 5 * 1024 * 1024
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_PHOTO_PIXELS = 6000 * 6000
THUMBS = ("small", "medium")
REASON_SUBMITTED = gettext_noop("Submitted")
REASON_AUTO = gettext_noop("Published automatically: no blocked word")
REASON_WITH_ANSWER = gettext_noop("Published with its answer")
MODERATE = "reviews.moderate_content"


def auto_publish() -> bool:
    return bool(getattr(settings, "MERCATO_REVIEWS_AUTO_PUBLISH", False))


def _first_status(flagged: list[str]) -> str:
    return S.PUBLISHED if auto_publish() and not flagged else S.PENDING


def _held_reason(flagged: list[str]) -> str:
    if flagged:
        return _("Blocked words: %(words)s") % {"words": "、".join(flagged)}
    return REASON_SUBMITTED


def _on_sale(product_id) -> Product:
    product = Product.objects.filter(pk=product_id, status=ProductStatus.ON_SALE).first()
    if product is None:
        raise NotFound(_("No such product."), field="product")
    return product


def _text(value, *, field: str, max_length: int, required: bool = True, minimum: int = 2) -> str:
    text = sanitise(value, max_length=max_length)
    if required and len(text) < minimum:
        raise ValidationFailed({field: [_("Write at least %(n)s characters.") % {"n": minimum}]})
    return text


def _rating(product_id: int) -> ProductRating:
    """The product's rating row, locked (created on first use)."""
    ProductRating.objects.get_or_create(product_id=product_id)
    return ProductRating.objects.select_for_update().get(product_id=product_id)


def _count_review(review: ProductReview, sign: int) -> None:
    rating = _rating(review.product_id)
    rating.review_count += sign
    rating.star_total += sign * review.stars
    rating.save(update_fields=["review_count", "star_total"])


def _count_question(question: ProductQuestion, sign: int) -> None:
    rating = _rating(question.product_id)
    rating.question_count += sign
    rating.save(update_fields=["question_count"])


def _published(item, *, was: str) -> None:
    """Keep the rating row and the shop's page cache in step with a move of `item`."""
    now = item.status
    if S.PUBLISHED not in (was, now):
        return
    sign = 1 if now == S.PUBLISHED else -1
    if isinstance(item, ProductReview):
        _count_review(item, sign)
        if sign > 0 and item.customer_id:
            # Points for a published review, once per review (customers.points); a review
            # taken down later keeps them.
            earn_for_review(customer_id=item.customer_id, review_id=item.pk)
    elif isinstance(item, ProductQuestion):
        _count_question(item, sign)
    bump_shop_version()  # the product page shows it (or no longer does)


def _first_move(item, *, actor, flagged: list[str]) -> None:
    """The event of a new text, and its publication when it goes out at once."""
    if item.status == S.PUBLISHED:
        status.record(item=item, from_status="", to_status=S.PUBLISHED, actor=actor,
                      reason=REASON_AUTO)  # fmt: skip
        _published(item, was="")
    else:
        status.record(item=item, from_status="", to_status=S.PENDING, actor=actor,
                      reason=_held_reason(flagged))  # fmt: skip


# Questions and answers -------------------------------------------------------------------
@transaction.atomic
def ask_question(*, product_id: int, text: str, customer=None, guest_name: str = "",
                 actor=None) -> ProductQuestion:  # fmt: skip
    """A shopper's question about a product on sale: a member's (customer) or a guest's,
    who gives a name."""
    product = _on_sale(product_id)
    body = _text(text, field="text", max_length=500, minimum=4)
    name = "" if customer else sanitise(guest_name, max_length=40)
    if customer is None and not name:
        raise ValidationFailed({"guest_name": [_("Enter your name.")]})
    flagged = blocked_words_in(body, name)
    now = timezone.now()
    first = _first_status(flagged)
    question = ProductQuestion.objects.create(
        product=product, customer=customer, guest_name=name, text=body, status=first,
        flagged_words=flagged, published_at=now if first == S.PUBLISHED else None,
    )  # fmt: skip
    _first_move(question, actor=actor or getattr(customer, "user", None), flagged=flagged)
    return question


def has_received(*, customer, product_id: int) -> bool:
    """True when an order of the customer's holding the product has reached them."""
    return (
        bool(customer)
        and OrderLine.objects.filter(
            order__customer=customer, order__status__in=RECEIVED, product_id=product_id
        ).exists()
    )


@transaction.atomic
def answer_question(*, question_id: int, text: str, actor=None, customer=None) -> ProductAnswer:
    """An answer by the shop (actor holding reviews.answer_question) or by a customer who
    received the product. Answers wait for moderation like everything else."""
    question = ProductQuestion.objects.filter(pk=question_id).first()
    if question is None:
        raise NotFound(_("No such question."), field="question")
    if question.status == S.REJECTED:
        raise Conflict(_("This question was rejected; it takes no answers."), field="question")
    if customer is None:
        require_perm(actor, "reviews.answer_question")
    elif not has_received(customer=customer, product_id=question.product_id):
        raise Conflict(_("Only customers who received this product can answer."), field="question")
    body = _text(text, field="text", max_length=1000)
    flagged = blocked_words_in(body)
    first = _first_status(flagged)
    answer = ProductAnswer.objects.create(
        question=question, author=actor if customer is None else None, customer=customer,
        by_staff=customer is None, text=body, status=first, flagged_words=flagged,
        published_at=timezone.now() if first == S.PUBLISHED else None,
    )  # fmt: skip
    _first_move(answer, actor=actor or customer.user, flagged=flagged)
    return answer


# Reviews ---------------------------------------------------------------------------------
def _check_photo(upload, i: int) -> None:
    if upload.size > MAX_PHOTO_BYTES:
        raise ValidationFailed({f"photos.{i}": [_("A photo may be at most 5 MB.")]})
    try:
        with Image.open(upload) as img:
            fmt, (width, height) = img.format, img.size
            img.verify()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise ValidationFailed({f"photos.{i}": [_("Not a readable image.")]}) from None
    finally:
        upload.seek(0)
    if fmt not in PHOTO_FORMATS:
        raise ValidationFailed(
            {f"photos.{i}": [_("Use JPEG, PNG, WebP or GIF, not %(format)s.") % {"format": fmt}]}
        )
    if width * height > MAX_PHOTO_PIXELS:
        raise ValidationFailed({f"photos.{i}": [_("The photo has too many pixels.")]})


def reviewable_line(*, customer, order_line_id) -> OrderLine:
    """The customer's order line that may be reviewed, or the refusal a customer reads:
    not theirs (or no such line) → NotFound; not received yet, or reviewed → Conflict."""
    line = (
        OrderLine.objects.filter(pk=order_line_id, order__customer=customer)
        .select_related("order", "product")
        .first()
        if customer is not None and isinstance(order_line_id, int)
        else None
    )
    if line is None or line.product_id is None:
        raise NotFound(_("You have not bought this product."), field="order_line")
    if line.order.status not in RECEIVED:
        raise Conflict(
            _("You can review this product once the order has reached you."),
            field="order_line",
        )
    if ProductReview.objects.filter(order_line=line).exists():
        raise Conflict(_("You have already reviewed this item."), field="order_line")
    return line


@transaction.atomic
def submit_review(*, customer, order_line_id: int, stars, text: str = "",
                  photos=()) -> ProductReview:  # fmt: skip
    """A customer's review of an item of an order that reached them: 1–5 stars, text, up
    to 6 photos (images of at most 5 MB). Refused, nothing written: a product they did not
    buy, an order not received yet, an item reviewed already, bad stars or photos."""
    line = reviewable_line(customer=customer, order_line_id=order_line_id)
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise ValidationFailed({"stars": [_("Give 1 to 5 stars.")]})
    body = _text(text, field="text", max_length=2000, required=False)
    photos = list(photos or [])
    if len(photos) > MAX_PHOTOS:
        raise ValidationFailed(
            {"photos": [_("A review takes at most %(n)s photos.") % {"n": MAX_PHOTOS}]}
        )
    for i, photo in enumerate(photos):
        _check_photo(photo, i)
    flagged = blocked_words_in(body)
    first = _first_status(flagged)
    specs = " / ".join(str(v) for v in (line.specs or {}).values())[:120]
    try:
        with transaction.atomic():
            review = ProductReview.objects.create(
                product_id=line.product_id, customer=customer, order_line=line, stars=stars,
                text=body, specs_label=specs, status=first, flagged_words=flagged,
                published_at=timezone.now() if first == S.PUBLISHED else None,
            )  # fmt: skip
    except IntegrityError:  # a second review of the line, sent at the same moment
        raise Conflict(_("You have already reviewed this item."), field="order_line") from None
    for position, upload in enumerate(photos):
        photo = ReviewPhoto(review=review, position=position)
        photo.image.save(upload.name or "photo.jpg", upload, save=False)
        photo.save()
        thumbnailer = get_thumbnailer(photo.image)
        for alias in THUMBS:
            thumbnailer[alias]  # rendered now: pages compute the names without a query
    _first_move(review, actor=customer.user, flagged=flagged)
    return review


# Moderation ------------------------------------------------------------------------------
MODELS = {"question": ProductQuestion, "answer": ProductAnswer, "review": ProductReview}


@transaction.atomic
def moderate(*, actor, kind: str, item_id: int, publish: bool, reason: str = ""):
    """Publish or reject (take down) a question, answer or review. A rejection needs a
    reason; an illegal move (publishing twice, anything out of rejected) is refused,
    nothing changed. The product's rating row moves in the same transaction."""
    require_perm(actor, MODERATE)
    model = MODELS.get(kind)
    if model is None:
        raise ValidationFailed({"kind": [_("Choose question, answer or review.")]})
    item = model.objects.select_for_update().filter(pk=item_id).first()
    if item is None:
        raise NotFound(_("Nothing to moderate under this number."), field="id")
    reason = " ".join(str(reason or "").split())[:200]
    target = S.PUBLISHED if publish else S.REJECTED
    if target == S.REJECTED and not reason:
        raise ValidationFailed({"reason": [_("Say why it is rejected.")]})
    was = item.status
    status.move(item=item, to=target, actor=actor, reason=reason, now=timezone.now())
    _published(item, was=was)
    if isinstance(item, ProductAnswer) and target == S.PUBLISHED:
        question = ProductQuestion.objects.select_for_update().get(pk=item.question_id)
        if question.status == S.PENDING:  # an answered question is shown with its answer
            was = question.status
            status.move(item=question, to=S.PUBLISHED, actor=actor,
                        reason=REASON_WITH_ANSWER, now=timezone.now())  # fmt: skip
            _published(question, was=was)
    return item


# Blocked words ---------------------------------------------------------------------------
@transaction.atomic
def add_blocked_word(*, actor, word: str) -> BlockedWord:
    require_perm(actor, "reviews.manage_blocked_words")
    word = " ".join(sanitise(word, max_length=100).split())
    if not word:
        raise ValidationFailed({"word": [_("Enter a word.")]})
    if len(word) > 40:
        raise ValidationFailed({"word": [_("A blocked word has at most 40 characters.")]})
    if BlockedWord.objects.filter(word__iexact=word).exists():
        raise Conflict(_("This word is on the list already."), field="word")
    return BlockedWord.objects.create(word=word, added_by=actor)


@transaction.atomic
def remove_blocked_word(*, actor, word_id: int) -> None:
    require_perm(actor, "reviews.manage_blocked_words")
    deleted, _rows = BlockedWord.objects.filter(pk=word_id).delete()
    if not deleted:
        raise NotFound(_("No such word."), field="word")

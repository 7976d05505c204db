"""Product questions and reviews (产品咨询、口碑): shoppers' questions on product pages and
their answers, customers' reviews of what they received (stars, text, photos), the
blocked-word list, every moderation move as an event, and each product's rating kept
denormalised for the product page (written only by the publishing service)."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from mercato.core.masking import mask_phone, mask_text


def public_name(customer=None, guest_name: str = "") -> str:
    """The name shown on the shop: 张** or 138****5678, never a customer's name in full."""
    if customer is not None:
        if customer.name:
            return mask_text(customer.name, keep=1)
        if customer.mobile:
            return mask_phone(customer.mobile)
        return gettext("A customer")
    return mask_text(guest_name, keep=1) if guest_name else gettext("A shopper")


class ContentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting moderation")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")


class ProductQuestion(models.Model):
    """A shopper's question about a product: a member's (customer) or a guest's (guest_name)."""

    product = models.ForeignKey(
        "catalog.Product", on_delete=models.CASCADE, related_name="+", verbose_name=_("product")
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    guest_name = models.CharField(pgettext_lazy("guest asking", "name"), max_length=40, blank=True)
    text = models.CharField(_("question"), max_length=500)
    status = models.CharField(
        _("status"), max_length=10, choices=ContentStatus.choices, default=ContentStatus.PENDING
    )
    # Blocked words the text contains (the moderator sees why it was held).
    flagged_words = models.JSONField(_("blocked words found"), default=list, blank=True)
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("product question")
        verbose_name_plural = _("product questions")
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | ~Q(guest_name=""),
                name="question_has_an_asker",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="question_status_idx"),
            models.Index(fields=["product", "status", "created_at"], name="question_product_idx"),
        ]

    def __str__(self) -> str:
        return self.text[:40]

    @property
    def author_name(self) -> str:
        return public_name(self.customer, self.guest_name)


class ProductAnswer(models.Model):
    """An answer to a question: by a staff agent (author) or by a customer who bought the
    product (customer). Shown once published."""

    question = models.ForeignKey(ProductQuestion, on_delete=models.CASCADE, related_name="answers")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    by_staff = models.BooleanField(_("answered by the shop"), default=False)
    text = models.CharField(_("answer"), max_length=1000)
    status = models.CharField(
        _("status"), max_length=10, choices=ContentStatus.choices, default=ContentStatus.PENDING
    )
    flagged_words = models.JSONField(_("blocked words found"), default=list, blank=True)
    created_at = models.DateTimeField(_("answered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("product answer")
        verbose_name_plural = _("product answers")
        indexes = [models.Index(fields=["status", "created_at"], name="answer_status_idx")]

    def __str__(self) -> str:
        return self.text[:40]

    @property
    def author_name(self) -> str:
        return (
            pgettext("answer author", "Customer service")
            if self.by_staff
            else public_name(self.customer)
        )


class ProductReview(models.Model):
    """A customer's review of a product they received: one per order line."""

    product = models.ForeignKey(
        "catalog.Product", on_delete=models.CASCADE, related_name="+", verbose_name=_("product")
    )
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    order_line = models.OneToOneField(
        "orders.OrderLine", on_delete=models.PROTECT, related_name="+"
    )
    stars = models.PositiveSmallIntegerField(_("stars"))
    text = models.CharField(_("review"), max_length=2000, blank=True)
    # The SKU's specs as bought ("黑色 / 128GB"), shown beside the review.
    specs_label = models.CharField(max_length=120, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ContentStatus.choices, default=ContentStatus.PENDING
    )
    flagged_words = models.JSONField(_("blocked words found"), default=list, blank=True)
    created_at = models.DateTimeField(
        pgettext_lazy("product review", "reviewed at"), auto_now_add=True
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("product review")
        verbose_name_plural = _("product reviews")
        permissions = [
            ("moderate_content", "Can publish or reject product questions, answers and reviews"),
            ("answer_question", "Can answer product questions for the shop"),
            ("manage_blocked_words", "Can edit the blocked-word list"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(stars__gte=1) & Q(stars__lte=5), name="review_stars_1_to_5"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="review_status_idx"),
            models.Index(fields=["product", "status", "published_at"], name="review_product_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.stars}★"

    @property
    def author_name(self) -> str:
        return public_name(self.customer)

    @property
    def star_string(self) -> str:
        return "★" * self.stars + "☆" * (5 - self.stars)


def review_photo_path(instance, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"reviews/{instance.review_id}/{instance.review_id}-{instance.position}.{ext}"


class ReviewPhoto(models.Model):
    review = models.ForeignKey(ProductReview, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(pgettext_lazy("product review", "photo"), upload_to=review_photo_path)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("review photo")
        verbose_name_plural = _("review photos")

    def __str__(self) -> str:
        return self.image.name


class BlockedWord(models.Model):
    """A word that holds a question, answer or review for a moderator (matched anywhere in
    the text, ignoring case: Chinese has no spaces between words)."""

    word = models.CharField(_("word"), max_length=40, unique=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(
        pgettext_lazy("product review", "added at"), auto_now_add=True
    )

    class Meta:
        ordering = ["word"]
        verbose_name = _("blocked word")
        verbose_name_plural = _("blocked words")

    def __str__(self) -> str:
        return self.word


class ModerationEvent(models.Model):
    """One move of a question, an answer or a review (exactly one of the three)."""

    question = models.ForeignKey(
        ProductQuestion, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    answer = models.ForeignKey(
        ProductAnswer, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    review = models.ForeignKey(
        ProductReview, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    from_status = models.CharField(max_length=10, choices=ContentStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=ContentStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("moderation event")
        verbose_name_plural = _("moderation events")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(question__isnull=False, answer__isnull=True, review__isnull=True)
                    | Q(question__isnull=True, answer__isnull=False, review__isnull=True)
                    | Q(question__isnull=True, answer__isnull=True, review__isnull=False)
                ),
                name="moderation_event_of_one_thing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status}"


class ProductRating(models.Model):
    """A product's published reviews and questions, counted: written in the same transaction
    as every publish or take-down, so the product page reads one row."""

    product = models.OneToOneField(
        "catalog.Product", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    review_count = models.PositiveIntegerField(default=0)
    star_total = models.PositiveIntegerField(default=0)
    question_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("product rating")
        verbose_name_plural = _("product ratings")
        constraints = [
            models.CheckConstraint(
                condition=Q(star_total__lte=models.F("review_count") * 5)
                & Q(star_total__gte=models.F("review_count")),
                name="rating_stars_within_count",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.average} ({self.review_count})"

    @property
    def average(self) -> Decimal:
        """The mean of the published stars, to two places (0.00 before the first review)."""
        if not self.review_count:
            return Decimal("0.00")
        return (Decimal(self.star_total) / self.review_count).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )

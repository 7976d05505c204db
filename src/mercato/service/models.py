"""Customer service tickets (客服工单): one ticket per customer problem, whatever the channel,
its thread of replies and internal notes, image attachments, status history, SLA timers
and the skill queues that route tickets to agents."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Online chat")
    EMAIL = "email", _("Email")
    WEB_FORM = "web_form", _("Web form")
    ORDER_PAGE = "order_page", _("Order page “contact us”")
    MARKETPLACE = "marketplace", _("Marketplace message")


class TicketCategory(models.TextChoices):
    PRODUCT = "product", _("Product question")
    ORDER_STATUS = "order_status", _("Order status")
    DELIVERY = "delivery", _("Delivery")
    RETURN = "return", _("Return or exchange")
    COMPLAINT = "complaint", _("Complaint")
    INVOICE = "invoice", _("Invoice")
    OTHER = "other", _("Other")


class Priority(models.TextChoices):
    LOW = "low", pgettext_lazy("ticket priority", "Low")
    NORMAL = "normal", pgettext_lazy("ticket priority", "Normal")
    HIGH = "high", pgettext_lazy("ticket priority", "High")
    URGENT = "urgent", pgettext_lazy("ticket priority", "Urgent")


# From lowest to highest: escalation moves a ticket one step up.
PRIORITY_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]


class TicketStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("ticket status", "New")
    OPEN = "open", pgettext_lazy("ticket status", "Open")
    PENDING = "pending", _("Waiting for the customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", pgettext_lazy("ticket status", "Closed")


OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)
DONE_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


class AssignmentMode(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")


class Queue(models.Model):
    """A skill queue (技能组): the ticket categories it takes and the agents who work it."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=60)
    categories = models.JSONField(
        _("categories"), default=list, blank=True, help_text=_("Ticket categories it takes")
    )
    mode = models.CharField(
        _("auto-assignment"), max_length=12, choices=AssignmentMode.choices,
        default=AssignmentMode.LEAST_LOADED,
    )  # fmt: skip
    is_default = models.BooleanField(_("default queue"), default=False)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="QueueMember", related_name="service_queues"
    )
    # Round robin: the agent who got the last ticket (the next one goes to the next agent).
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["code"]
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="queue_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name


class QueueMember(models.Model):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    active = models.BooleanField(_("taking tickets"), default=True)

    class Meta:
        verbose_name = _("queue member")
        verbose_name_plural = _("queue members")
        constraints = [models.UniqueConstraint(fields=["queue", "user"], name="queuemember_unique")]

    def __str__(self) -> str:
        return f"{self.queue_id}: {self.user_id}"


class SlaPolicy(models.Model):
    """Minutes to the first response and to resolution for a priority, optionally for one
    category (a row with a category wins over the priority's row without one)."""

    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices)
    category = models.CharField(
        _("category"), max_length=14, choices=TicketCategory.choices, blank=True
    )
    first_response_minutes = models.PositiveIntegerField(_("first response within (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (minutes)"))

    class Meta:
        ordering = ["priority", "category"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(fields=["priority", "category"], name="slapolicy_unique"),
            models.CheckConstraint(
                condition=Q(first_response_minutes__gt=0)
                & Q(resolution_minutes__gte=models.F("first_response_minutes")),
                name="slapolicy_minutes_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.priority}/{self.category or '*'}"


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=30, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    number = models.CharField(_("ticket number"), max_length=24, unique=True)
    subject = models.CharField(_("subject"), max_length=200)
    channel = models.CharField(
        pgettext_lazy("ticket", "channel"), max_length=12, choices=Channel.choices
    )
    category = models.CharField(_("category"), max_length=14, choices=TicketCategory.choices)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    # A guest has no account: the contact fields say who to answer.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    contact_name = models.CharField(_("contact name"), max_length=40, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    orders = models.ManyToManyField("orders.Order", blank=True, related_name="+")
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    queue = models.ForeignKey(
        Queue, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="assigned_tickets",
    )  # fmt: skip
    escalated = models.BooleanField(_("escalated"), default=False)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged"
    )
    # Split from, or a follow-up of (a reply long after closing): the earlier ticket.
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    first_response_due = models.DateTimeField(_("first response due"))
    resolution_due = models.DateTimeField(_("resolution due"))
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        permissions = [
            ("handle_ticket", "Can answer tickets and change their status"),
            ("supervise_tickets", "Can reassign and escalate tickets"),
        ]
        # The list is newest first over a million tickets: each filter's index ends in the
        # list's order, so its first page is read off the index; the SLA filter reads only
        # open tickets' running timers (partial indexes); the subject's words are matched
        # by a trigram index on PostgreSQL (migration 0002).
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="ticket_created_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="ticket_status_idx"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_idx"),
            models.Index(fields=["assignee", "-created_at", "-id"], name="ticket_assignee_new_idx"),
            models.Index(fields=["queue", "status"], name="ticket_queue_idx"),
            models.Index(fields=["queue", "-created_at", "-id"], name="ticket_queue_new_idx"),
            models.Index(fields=["category", "-created_at", "-id"], name="ticket_category_idx"),
            models.Index(fields=["priority", "-created_at", "-id"], name="ticket_priority_idx"),
            models.Index(
                fields=["first_response_due"],
                name="ticket_frd_idx",
                condition=Q(status__in=OPEN_STATUSES, first_responded_at__isnull=True),
            ),  # fmt: skip
            models.Index(
                fields=["resolution_due"],
                name="ticket_rd_idx",
                condition=Q(status__in=OPEN_STATUSES, resolved_at__isnull=True),
            ),  # fmt: skip
            models.Index(fields=["contact_phone"], name="ticket_phone_idx"),
            models.Index(Upper("contact_email"), name="ticket_email_idx"),
            models.Index(fields=["contact_name"], name="ticket_contact_name_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Reply to the customer")
    INTERNAL = "internal", _("Internal note")


class Direction(models.TextChoices):
    INBOUND = "in", _("From the customer")
    OUTBOUND = "out", _("From us")


class TicketMessage(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    visibility = models.CharField(
        _("visibility"), max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    sender = models.CharField(pgettext_lazy("email", "from"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    # Email threading: this message's Message-ID (ours for replies we send, the customer's
    # for mail we received).
    message_id = models.CharField(max_length=250, blank=True, db_index=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        constraints = [
            models.CheckConstraint(
                condition=~Q(visibility="internal") | Q(direction="out"),
                name="ticketmessage_note_is_ours",
            ),
            # A mail received twice (an MTA retrying) is one message.
            models.UniqueConstraint(
                fields=["message_id"],
                condition=Q(direction="in") & ~Q(message_id=""),
                name="ticketmessage_inbound_mail_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.direction} {self.visibility}"


def attachment_path(instance, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"tickets/{instance.message.ticket_id}/{instance.message_id}-{instance.token}.{ext}"


def thumbnail_path(instance, filename: str) -> str:
    return f"tickets/{instance.message.ticket_id}/{instance.message_id}-{instance.token}-t.webp"


class TicketAttachment(models.Model):
    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    token = models.CharField(max_length=16)
    image = models.ImageField(_("image"), upload_to=attachment_path)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=thumbnail_path)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size in bytes"))
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class EventKind(models.TextChoices):
    CREATED = "created", pgettext_lazy("ticket event", "Created")
    STATUS = "status", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    ESCALATED = "escalated", _("Escalated")
    MERGED = "merged", _("Merged")
    SPLIT = "split", _("Split")
    PRIORITY = "priority", _("Priority changed")


class TicketEvent(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=EventKind.choices)
    from_status = models.CharField(max_length=10, choices=TicketStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=TicketStatus.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.kind} {self.from_status or '-'} → {self.to_status}"


# -- Knowledge base (咨询手册) and training (培训技巧) ----------------------------------------
# Articles by category, each edit a new numbered version (the old ones stay readable); the
# search index of their words and pinyin (service.knowledge); training courses listing
# articles in order, with a quiz whose attempts keep each agent's answers and score.


class ArticleCategory(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("article category")
        verbose_name_plural = _("article categories")

    def __str__(self) -> str:
        return self.name


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("article status", "Draft")
    PUBLISHED = "published", pgettext_lazy("article status", "Published")
    ARCHIVED = "archived", pgettext_lazy("article status", "Archived")


class Article(models.Model):
    """A knowledge-base article; its words are those of its current version."""

    category = models.ForeignKey(
        ArticleCategory, on_delete=models.PROTECT, related_name="articles",
        verbose_name=_("category"),
    )  # fmt: skip
    status = models.CharField(
        _("status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    current = models.OneToOneField(
        "ArticleVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        permissions = [("edit_article", "Can write, publish and archive articles")]
        indexes = [models.Index(fields=["status", "category"], name="article_status_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return self.current.title if self.current_id else ""

    @property
    def body(self) -> str:
        return self.current.body if self.current_id else ""


class ArticleVersion(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))
    note = models.CharField(_("change note"), max_length=200, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["article", "-number"]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="articleversion_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="articleversion_number_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class ArticleTerm(models.Model):
    """One word of an article's current version and one way to type it in pinyin (spell,
    initials): what a search or a ticket's text is matched against. `weight`: where the
    word is (title 3, category 2, text 1; the best of them)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="terms")
    term = models.CharField(max_length=60)
    spell = models.CharField(max_length=120, blank=True)
    initials = models.CharField(max_length=30, blank=True)
    weight = models.FloatField()

    class Meta:
        verbose_name = _("article search term")
        verbose_name_plural = _("article search terms")
        indexes = [
            models.Index(fields=["term"], name="articleterm_term_idx"),
            models.Index(fields=["spell"], name="articleterm_spell_idx"),
            models.Index(fields=["initials"], name="articleterm_initials_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {self.term}"


class TrainingCourse(models.Model):
    """Training for new agents (培训): articles to read in order, then a quiz."""

    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    articles = models.ManyToManyField(Article, through="CourseLesson", related_name="courses")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-is_active", "title"]
        verbose_name = _("training course")
        verbose_name_plural = _("training courses")

    def __str__(self) -> str:
        return self.title


class CourseLesson(models.Model):
    course = models.ForeignKey(TrainingCourse, on_delete=models.CASCADE, related_name="lessons")
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["course", "position", "id"]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        constraints = [
            models.UniqueConstraint(fields=["course", "article"], name="courselesson_unique")
        ]

    def __str__(self) -> str:
        return f"{self.course_id}: {self.article_id}"


class Quiz(models.Model):
    course = models.ForeignKey(TrainingCourse, on_delete=models.CASCADE, related_name="quizzes")
    title = models.CharField(_("title"), max_length=120)
    pass_score = models.PositiveSmallIntegerField(
        _("pass mark (%)"), default=80, validators=[MaxValueValidator(100)]
    )

    class Meta:
        ordering = ["course", "id"]
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")
        constraints = [
            models.CheckConstraint(condition=Q(pass_score__lte=100), name="quiz_pass_score_le_100")
        ]

    def __str__(self) -> str:
        return self.title


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")


class Question(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text = models.CharField(_("question"), max_length=300)
    kind = models.CharField(
        _("kind"), max_length=8, choices=QuestionKind.choices, default=QuestionKind.SINGLE
    )

    class Meta:
        ordering = ["quiz", "position", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.text


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text = models.CharField(_("option"), max_length=200)
    is_correct = models.BooleanField(_("correct"), default=False)

    class Meta:
        ordering = ["question", "position", "id"]
        verbose_name = _("option")
        verbose_name_plural = _("options")

    def __str__(self) -> str:
        return self.text


class QuizAttempt(models.Model):
    """An agent's answers to a quiz ({question id: [option ids]}) and their score: the
    share of questions answered exactly right, in percent. `token` is the form's: the same
    form submitted twice is one attempt."""

    quiz = models.ForeignKey(Quiz, on_delete=models.PROTECT, related_name="attempts")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="quiz_attempts"
    )
    token = models.CharField(max_length=32, unique=True)
    answers = models.JSONField(_("answers"), default=dict)
    correct = models.PositiveSmallIntegerField(_("right answers"))
    total = models.PositiveSmallIntegerField(_("questions"))
    score = models.PositiveSmallIntegerField(_("score"))
    passed = models.BooleanField(_("passed"))
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now)

    class Meta:
        ordering = ["-taken_at", "-id"]
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")
        indexes = [models.Index(fields=["quiz", "agent"], name="quizattempt_agent_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(correct__lte=models.F("total")) & Q(score__lte=100),
                name="quizattempt_score_sane",
            )
        ]

    def __str__(self) -> str:
        return f"{self.quiz_id}/{self.agent_id}: {self.score}"


# Callbacks (回访) and quality reviews (质检) ----------------------------------------------------
class CallbackKind(models.TextChoices):
    AFTER_DELIVERY = "after_delivery", _("After delivery")
    AFTER_COMPLAINT = "after_complaint", _("After a complaint")
    AFTER_RETURN = "after_return", _("After a return")
    MANUAL = "manual", _("Manual")


class CallbackStatus(models.TextChoices):
    DUE = "due", pgettext_lazy("callback status", "To call")
    DONE = "done", pgettext_lazy("callback status", "Done")
    NO_ANSWER = "no_answer", _("No answer")
    CANCELLED = "cancelled", pgettext_lazy("callback status", "Cancelled")


class CallbackScript(models.Model):
    """What the agent says on a callback of one kind (回访话术), edited by the supervisor."""

    kind = models.CharField(_("kind"), max_length=16, choices=CallbackKind.choices, unique=True)
    script = models.TextField(_("script"))
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("callback script")
        verbose_name_plural = _("callback scripts")

    def __str__(self) -> str:
        return str(self.get_kind_display())


class Callback(models.Model):
    """A call to make to a customer (回访任务): made by a rule (days after a delivery, after
    a complaint is closed, after a return completes) or by an agent; at most one per rule
    and source (the unique constraints below), so two runs of the rules make one."""

    kind = models.CharField(_("kind"), max_length=16, choices=CallbackKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=CallbackStatus.choices, default=CallbackStatus.DUE
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    contact_name = models.CharField(_("contact name"), max_length=40, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, null=True, blank=True, related_name="callbacks"
    )
    return_request = models.ForeignKey(
        "aftersales.ReturnRequest", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    due_date = models.DateField(_("due date"))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="callbacks",
    )  # fmt: skip
    attempts = models.PositiveSmallIntegerField(_("unanswered calls"), default=0)
    outcome = models.TextField(pgettext_lazy("callback", "outcome"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    follow_up = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        permissions = [("handle_callback", "Can make callbacks and record their outcome")]
        indexes = [
            models.Index(fields=["status", "due_date"], name="callback_status_idx"),
            models.Index(fields=["agent", "status", "due_date"], name="callback_agent_idx"),
            models.Index(fields=["kind", "due_date"], name="callback_kind_idx"),
            models.Index(fields=["completed_at"], name="callback_completed_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "order"],
                condition=Q(kind="after_delivery"),
                name="callback_once_per_delivery",
            ),  # fmt: skip
            models.UniqueConstraint(
                fields=["kind", "ticket"],
                condition=Q(kind="after_complaint"),
                name="callback_once_per_complaint",
            ),  # fmt: skip
            models.UniqueConstraint(
                fields=["kind", "return_request"],
                condition=Q(kind="after_return"),
                name="callback_once_per_return",
            ),  # fmt: skip
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="callback_satisfaction_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"


class QaStatus(models.TextChoices):
    SAMPLED = "sampled", _("To score")
    SCORED = "scored", _("Scored")


# The rubric (质检评分表): each criterion scores 0 to its maximum; the total is out of 100.
QA_RUBRIC = (
    ("greeting", 10),
    ("accuracy", 30),
    ("policy", 20),
    ("tone", 20),
    ("resolution", 20),
)


class QaReview(models.Model):
    """One contact (a ticket; chats are tickets of channel "chat") sampled for quality
    review, and its scores against the rubric with the reviewer's coaching note."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="qa_review")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="qa_reviews"
    )
    week = models.DateField(_("week"), help_text=_("The Monday of the week sampled"))
    status = models.CharField(
        _("status"), max_length=8, choices=QaStatus.choices, default=QaStatus.SAMPLED
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    greeting = models.PositiveSmallIntegerField(_("greeting"), null=True, blank=True)
    accuracy = models.PositiveSmallIntegerField(_("accuracy"), null=True, blank=True)
    policy = models.PositiveSmallIntegerField(_("policy"), null=True, blank=True)
    tone = models.PositiveSmallIntegerField(_("tone"), null=True, blank=True)
    resolution = models.PositiveSmallIntegerField(_("resolution"), null=True, blank=True)
    total = models.PositiveSmallIntegerField(
        pgettext_lazy("qa score", "total"), null=True, blank=True
    )
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    note = models.TextField(_("coaching note"), blank=True)
    sampled_at = models.DateTimeField(_("sampled at"), default=timezone.now)
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)

    class Meta:
        ordering = ["-week", "agent_id", "id"]
        verbose_name = _("QA review")
        verbose_name_plural = _("QA reviews")
        permissions = [
            ("review_quality", "Can score contacts in quality review"),
            ("view_agent_kpis", "Can see agents' KPIs"),
        ]
        indexes = [
            models.Index(fields=["status", "week"], name="qareview_status_idx"),
            models.Index(fields=["agent", "week"], name="qareview_agent_idx"),
        ]

    def __str__(self) -> str:
        return f"QA {self.ticket_id}"


# Live chat (在线咨询) ------------------------------------------------------------------------
# A shopper's conversation with an agent over WebSockets (service/chat.py, consumers.py):
# waiting for an agent, active with one, then closed, its transcript saved as a ticket.


class ConversationStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for an agent")
    ACTIVE = "active", pgettext_lazy("chat", "In progress")
    CLOSED = "closed", pgettext_lazy("chat", "Ended")


class Conversation(models.Model):
    # A member by account; a guest by the session of their browser.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    session_key = models.CharField(max_length=40, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=40, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=ConversationStatus.choices,
        default=ConversationStatus.WAITING,
    )  # fmt: skip
    queue = models.ForeignKey(
        Queue, on_delete=models.PROTECT, null=True, blank=True, related_name="conversations"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="chat_conversations",
    )  # fmt: skip
    # Where the shopper opened the chat: a product page, or about an order.
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    order = models.ForeignKey(
        "orders.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # The ticket the transcript went to when the conversation ended.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversations"
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("chat conversation")
        verbose_name_plural = _("chat conversations")
        indexes = [
            models.Index(fields=["status", "started_at"], name="conv_status_idx"),
            models.Index(fields=["agent", "status"], name="conv_agent_idx"),
            models.Index(fields=["customer", "status"], name="conv_customer_idx"),
            models.Index(fields=["session_key", "status"], name="conv_session_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | ~Q(session_key=""),
                name="conversation_has_a_shopper",
            ),
            models.CheckConstraint(
                condition=~Q(status="active") | Q(agent__isnull=False),
                name="conversation_active_has_agent",
            ),
        ]

    def __str__(self) -> str:
        return f"chat {self.pk}: {self.status}"


class ChatSide(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("System")


class ChatKind(models.TextChoices):
    TEXT = "text", _("Text")
    PRODUCT = "product", _("Product card")
    ORDER = "order", _("Order card")


class ChatMessage(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    side = models.CharField(
        pgettext_lazy("chat message", "from"), max_length=8, choices=ChatSide.choices
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    kind = models.CharField(max_length=8, choices=ChatKind.choices, default=ChatKind.TEXT)
    body = models.TextField(_("message"))
    # A card's product code or order number, and what it showed when sent (name, price,
    # status, link): the transcript keeps what the shopper saw.
    ref = models.CharField(max_length=40, blank=True)
    card = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        indexes = [models.Index(fields=["conversation", "created_at"], name="chatmsg_conv_idx")]

    def __str__(self) -> str:
        return f"{self.conversation_id}: {self.side} {self.kind}"

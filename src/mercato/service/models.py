"""Customer service tickets (客服工单): one ticket per customer problem, whatever the channel,
its thread of replies and internal notes, image attachments, status history, SLA timers
and the skill queues that route tickets to agents."""

from django.conf import settings
from django.db import models
from django.db.models import Q
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
        indexes = [
            models.Index(fields=["status", "created_at"], name="ticket_status_idx"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_idx"),
            models.Index(fields=["queue", "status"], name="ticket_queue_idx"),
            models.Index(fields=["category", "created_at"], name="ticket_category_idx"),
            models.Index(fields=["priority", "created_at"], name="ticket_priority_idx"),
            models.Index(fields=["first_response_due"], name="ticket_frd_idx"),
            models.Index(fields=["resolution_due"], name="ticket_rd_idx"),
            models.Index(fields=["contact_phone"], name="ticket_phone_idx"),
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

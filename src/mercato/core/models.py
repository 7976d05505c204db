import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .masking import looks_like_mobile, mask_phone


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class User(AbstractUser):
    """Every person who logs in: staff (is_staff, with a StaffProfile) and, later, customers."""

    phone = models.CharField(_("mobile number"), max_length=20, blank=True, db_index=True)
    display_name = models.CharField(_("display name"), max_length=60, blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        permissions = [
            ("view_auditlog", "Can view the audit log"),
            ("view_full_phone", "Can see phone numbers and addresses unmasked"),
        ]

    def __str__(self) -> str:
        # A customer's username is their mobile number: a name shown anywhere (an event's
        # "by", an audit entry, a log line) never carries it in full.
        name = self.display_name or self.get_full_name() or self.username
        return mask_phone(name) if looks_like_mobile(name) else name


class OutboxMessage(models.Model):
    """A task to send to the workers once the transaction that wrote this row commits
    (core.outbox). The row is deleted when the broker has taken the task."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list)
    kwargs = models.JSONField(_("keyword arguments"), default=dict)
    eta = models.DateTimeField(_("run at"), null=True, blank=True)  # a countdown, made absolute
    created_at = models.DateTimeField(_("created at"))
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [models.Index(fields=["next_attempt_at"], name="core_outbox_next_attempt")]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker said it was consuming tasks (core.workers)."""

    hostname = models.CharField(_("worker"), max_length=200, unique=True)
    pid = models.PositiveIntegerField(_("process id"))
    # A process starts (启动); an import begins (开始): the same English, two words.
    started_at = models.DateTimeField(pgettext_lazy("process", "started at"))
    seen_at = models.DateTimeField(_("last seen at"))

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return self.hostname


class RateLimitCount(models.Model):
    """A rate-limit counter kept in the database while the cache is unreachable, for the
    limits that must hold anyway (core.ratelimits). `key` is a hash: no phone numbers."""

    key = models.CharField(max_length=64, primary_key=True)
    count = models.PositiveIntegerField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("rate-limit count")
        verbose_name_plural = _("rate-limit counts")

    def __str__(self) -> str:
        return self.key

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

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

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext_lazy as _

from mercato.core.models import TimeStampedModel


class Department(models.Model):
    """One of the company's seven departments; its Django group carries its permissions."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=30, unique=True)
    name_en = models.CharField(_("English name"), max_length=60)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="department")

    class Meta:
        ordering = ["position"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class StaffProfile(TimeStampedModel):
    """A back-office user's place in the company: one department, optional extra roles."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="staff")
    employee_no = models.CharField(_("employee number"), max_length=20, unique=True)
    title = models.CharField(_("job title"), max_length=60, blank=True)
    roles = models.CharField(
        _("extra roles"),
        max_length=200,
        blank=True,
        help_text=_("Comma-separated role codes, e.g. lead,sysadmin"),
    )

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        permissions = [
            ("manage_staff", "Can create, change and deactivate staff accounts"),
            ("use_admin", "Can use Django's admin at /admin/"),
        ]

    def __str__(self) -> str:
        return f"{self.employee_no} {self.user}"

    @property
    def role_codes(self) -> list[str]:
        return [r for r in self.roles.split(",") if r]


class ApiToken(TimeStampedModel):
    """A staff member's API token. Only a SHA-256 hash is stored; the token is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=60)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

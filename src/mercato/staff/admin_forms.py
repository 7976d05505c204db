"""The log-in form of Django's admin (admin_site.py)."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .admin_site import may_use_admin


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's log-in form refuses staff of other departments with a clear message."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "no_admin": _(
            "Django admin is for the technology department. Use the back office at "
            "/backoffice/ instead."
        ),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not may_use_admin(user):
            raise ValidationError(self.error_messages["no_admin"], code="no_admin")

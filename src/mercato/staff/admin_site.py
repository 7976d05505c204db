"""Django's admin at /admin/ is 技术部's tool: superusers and staff holding
`staff.use_admin` (the 技术部 department's permission, roles.py). Every other staff member
gets 403 there and works in /backoffice/, whose pages mask personal data by role."""

from functools import update_wrapper

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

ADMIN_PERMISSION = "staff.use_admin"


def may_use_admin(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(ADMIN_PERMISSION)
    )


class MercatoAdminSite(AdminSite):
    site_header = _("Mercato administration (technology department)")

    @property
    def login_form(self):
        # Imported late: the admin site is made while apps load, before auth's models.
        from .admin_forms import AdminLoginForm

        return AdminLoginForm

    def has_permission(self, request):
        return may_use_admin(request.user)

    def admin_view(self, view, cacheable=False):
        guarded = super().admin_view(view, cacheable)

        def inner(request, *args, **kwargs):
            # Logged in but not allowed (another department, a customer): 403, not the
            # admin's log-in page, which would invite them to try other passwords.
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            return guarded(request, *args, **kwargs)

        return update_wrapper(inner, guarded)


class MercatoAdminConfig(AdminConfig):
    default_site = "mercato.staff.admin_site.MercatoAdminSite"

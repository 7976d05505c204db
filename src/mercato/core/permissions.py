from django.utils.translation import gettext as _

from .errors import PermissionDeniedError


def require_perm(actor, perm: str) -> None:
    """Raise PermissionDeniedError unless `actor` holds `perm` ("app_label.codename")."""
    if actor is None or not actor.is_authenticated or not actor.has_perm(perm):
        raise PermissionDeniedError(
            _("Permission required: %(perm)s") % {"perm": perm}, code="permission_denied"
        )

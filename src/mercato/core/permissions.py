from .errors import PermissionDeniedError


def require_perm(actor, perm: str) -> None:
    """Raise PermissionDeniedError unless `actor` holds `perm` ("app_label.codename")."""
    if actor is None or not actor.is_authenticated or not actor.has_perm(perm):
        raise PermissionDeniedError(f"Permission required: {perm}", code="permission_denied")

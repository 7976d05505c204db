"""The --user option of the catalogue commands."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def actor_from_option(username: str | None):
    """The user named by --user, or None (the system) when the option is absent."""
    if not username:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"--user: no user named {username!r}")
    return user

import re

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "mercato.service"
    label = "service"
    verbose_name = _("Customer service tickets")

    def ready(self):
        from django.core import checks

        checks.register(check_chat_socket_url)


def check_chat_socket_url(app_configs=None, **kwargs):
    """System check: MERCATO_CHAT_SOCKET_URL, when set, is where a browser can open the
    live chat's sockets (a typo would leave every chat widget reconnecting forever)."""
    from django.conf import settings
    from django.core.checks import Error

    url = settings.CHAT_SOCKET_URL
    if not url or re.fullmatch(r"wss?://[^/?#\s]+", url):
        return []
    return [
        Error(
            f"MERCATO_CHAT_SOCKET_URL is not valid: {url!r}",
            hint="ws:// or wss://, a host and a port, no path: e.g. ws://127.0.0.1:8100.",
            id="service.E001",
        )
    ]

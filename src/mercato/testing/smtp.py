"""A local SMTP server for tests (aiosmtpd): Django's SMTP backend really talks to it, and
the test reads what it received."""

import socket
from contextlib import contextmanager

from aiosmtpd.controller import Controller


class Collect:
    """The server's handler: every message it accepted, as aiosmtpd's envelopes."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook)
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def local_smtp(settings):
    """Start a server on 127.0.0.1 and point Django's SMTP backend at it (pytest-django's
    `settings`); yields the handler with the messages received."""
    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield handler
    finally:
        controller.stop()

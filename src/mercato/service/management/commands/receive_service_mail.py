"""`mercato receive_service_mail < message.eml`: the MTA's pipe-to-command for the service
address (e.g. Postfix: `service: "|/srv/mercato/.venv/bin/mercato receive_service_mail"`).
Exit status 0 when the mail became a ticket or a reply, 65 (EX_DATAERR: the MTA bounces
it) when it cannot be read."""

import sys

from django.core.management.base import BaseCommand

from mercato.core.errors import DomainError
from mercato.service.mail import receive_email


class Command(BaseCommand):
    help = "Read one email (RFC 822) from standard input into the service desk."

    def handle(self, *args, **options):
        raw = sys.stdin.buffer.read()
        try:
            message = receive_email(raw)
        except DomainError as exc:
            self.stderr.write(f"refused: {exc.message}")
            sys.exit(65)
        self.stdout.write(f"{message.ticket.number} message {message.pk}")

"""`mercato poll_service_mailbox`: read the service mailbox's unseen mail over IMAP
(MERCATO_SERVICE_IMAP_URL, or --url) into tickets; run it from cron or a periodic task
where the MTA cannot pipe mail to `receive_service_mail`."""

import imaplib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mercato.service.mail import poll_imap


class Command(BaseCommand):
    help = "Read the service mailbox's unseen mail over IMAP into tickets."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="", help="imap[s]://user:password@host/INBOX")

    def handle(self, *args, url, **options):
        url = url or getattr(settings, "MERCATO_SERVICE_IMAP_URL", "")
        if not url:
            raise CommandError("Set MERCATO_SERVICE_IMAP_URL or pass --url.")
        try:
            result = poll_imap(url)
        except (ValueError, OSError, imaplib.IMAP4.error) as exc:
            raise CommandError(f"--url: {exc}") from exc
        self.stdout.write(f"service mailbox: {result.taken} taken, {result.refused} refused")

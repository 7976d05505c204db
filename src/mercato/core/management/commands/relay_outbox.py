"""`mercato relay_outbox`: send what the outbox holds (core.outbox) to the broker.

Celery beat runs the same every 10 s (relay_outbox_task). Run this by hand after a broker
outage to empty the outbox at once, or with --loop as a service of its own where beat does
not run (docs/operator.md)."""

import time

from django.core.management.base import BaseCommand

from mercato.core.outbox import backlog, relay_outbox


class Command(BaseCommand):
    help = "Send the outbox's waiting messages to the broker."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep relaying")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between runs")
        parser.add_argument(
            "--all", action="store_true", dest="everything",
            help="also messages not due yet (new ones, failed ones backing off)",
        )  # fmt: skip

    def handle(self, *args, loop=False, interval=5.0, everything=False, **options):
        while True:
            sent = relay_outbox(everything=everything)
            waiting, oldest = backlog()
            age = f", the oldest {int(oldest.total_seconds())} s old" if oldest else ""
            self.stdout.write(f"{sent} sent, {waiting} waiting{age}")
            if not loop:
                return
            time.sleep(interval)

"""mercato load_carriers [--file carriers.json]: carriers, rate cards, service levels, boxes
and delivery promises from data (fulfillment/data/carriers.json by default)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mercato.core.errors import ValidationFailed
from mercato.fulfillment.setup import DEFAULT_FILE, load_carriers


class Command(BaseCommand):
    help = "Load carriers, rate cards, service levels, boxes and delivery promises."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(DEFAULT_FILE))

    def handle(self, *args, **options):
        try:
            data = json.loads(Path(options["file"]).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc}") from None
        try:
            counts = load_carriers(data=data)
        except ValidationFailed as exc:
            raise CommandError(
                "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors())
            ) from None
        self.stdout.write(", ".join(f"{n} {what}" for what, n in counts.items()))

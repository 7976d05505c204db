"""`mercato expire_unpaid_orders`: the expiry sweep, for set-ups without celery beat
(cron every minute), or to run it by hand."""

from django.core.management.base import BaseCommand

from mercato.payments.expiry import sweep_expired_orders


class Command(BaseCommand):
    help = (
        "Ask the gateways about unpaid orders past their payment deadline, then cancel "
        "them and release their stock."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        result = sweep_expired_orders(batch_size=batch_size)
        self.stdout.write(f"{result.cancelled} unpaid orders cancelled")

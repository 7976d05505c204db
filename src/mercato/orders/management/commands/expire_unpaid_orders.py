"""`mercato expire_unpaid_orders`: the sweep, for set-ups without celery beat (cron)."""

from django.core.management.base import BaseCommand

from mercato.orders.tasks import sweep_expired_orders_task


class Command(BaseCommand):
    help = "Cancel unpaid orders past their payment deadline and release their stock."

    def handle(self, *args, **options):
        count = sweep_expired_orders_task()
        self.stdout.write(f"{count} unpaid orders cancelled")

"""`mercato check_data`: the checks the fault suite runs after every fault, for operators
after an incident (docs/operator.md, "When things fail"). Exit status 1 when any fails."""

from django.core.management.base import BaseCommand, CommandError

from mercato.inventory.selectors import stock_disagreements
from mercato.orders.selectors import order_problems


class Command(BaseCommand):
    help = (
        "Check that orders have lines, reserved stock equals the active reservations, stock "
        "equals its ledger, and no unpaid order is open long past its deadline."
    )

    def handle(self, *args, **options):
        problems = order_problems() + stock_disagreements()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problems found")
        self.stdout.write("Orders, reservations and the stock ledger agree.")

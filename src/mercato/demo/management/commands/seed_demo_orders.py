"""`mercato seed_demo_orders`: the demo's orders in every state of order processing
(demo/seed_orders.py), then customer service's tickets and live chats in every state
(demo/seed_tickets.py, demo/seed_chats.py), its knowledge base and training
(demo/seed_knowledge.py), its callbacks, QA reviews and KPI history (demo/seed_callbacks.py),
and suppliers and purchase orders in every state (demo/seed_procurement.py), after
`seed_demo`. `make demo` runs both."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from mercato.demo.seed_callbacks import seed_callbacks
from mercato.demo.seed_chats import seed_chats
from mercato.demo.seed_knowledge import seed_knowledge
from mercato.demo.seed_orders import seed_order_processing
from mercato.demo.seed_procurement import seed_procurement
from mercato.demo.seed_sales_history import seed_sales_history
from mercato.demo.seed_tickets import seed_tickets


class Command(BaseCommand):
    help = "Create demo orders in every order-processing state (run seed_demo first)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")

    def handle(self, *args, seed, **options):
        users = _users_named("service", "service01", "hr", "tech")
        buyers = _users_named("procurement", "finance", "hr")
        # Each part all or nothing (a failed run leaves no half-history), each once.
        parts = [
            ("demo orders", lambda: seed_order_processing(seed=seed)),
            ("demo tickets", lambda: seed_tickets(users=users)),
            ("demo chats", lambda: seed_chats(users=users)),
            ("demo knowledge base", seed_knowledge),
            ("demo callbacks and QA", seed_callbacks),
            ("demo procurement", lambda: seed_procurement(users=buyers)),
            # A year of daily sales and a purchase list generated from the forecasts.
            ("demo sales history", lambda: seed_sales_history(users=buyers)),
        ]
        for what, part in parts:
            try:
                with transaction.atomic():
                    seeded = part()
            except RuntimeError as exc:
                raise CommandError(str(exc)) from exc
            if not seeded:
                self.stdout.write(f"{what}: already there, nothing added")
            else:
                self.stdout.write(
                    f"{what}: " + ", ".join(f"{k} {v}" for k, v in sorted(seeded.items()))
                )


def _users_named(*names) -> dict:
    from django.contrib.auth import get_user_model

    return {u.username: u for u in get_user_model().objects.filter(username__in=names)}

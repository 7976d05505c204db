"""`mercato seed_demo_orders`: the demo's orders in every state of order processing
(demo/seed_orders.py), then customer service's tickets and live chats in every state
(demo/seed_tickets.py, demo/seed_chats.py), after `seed_demo`. `make demo` runs both."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from mercato.demo.seed_chats import seed_chats
from mercato.demo.seed_orders import seed_order_processing
from mercato.demo.seed_tickets import seed_tickets


class Command(BaseCommand):
    help = "Create demo orders in every order-processing state (run seed_demo first)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")

    def handle(self, *args, seed, **options):
        try:
            with transaction.atomic():  # all or nothing: a failed run leaves no half-history
                counts = seed_order_processing(seed=seed)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        if not counts:
            self.stdout.write("demo orders: already there, nothing added")
        else:
            self.stdout.write(
                "demo orders: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            )
        users = _users_named("service", "service01", "hr", "tech")
        for name, seed in (("tickets", seed_tickets), ("chats", seed_chats)):
            try:
                with transaction.atomic():
                    made = seed(users=users)
            except RuntimeError as exc:
                raise CommandError(str(exc)) from exc
            if not made:
                self.stdout.write(f"demo {name}: already there, nothing added")
            else:
                self.stdout.write(
                    f"demo {name}: " + ", ".join(f"{k} {v}" for k, v in sorted(made.items()))
                )


def _users_named(*names) -> dict:
    from django.contrib.auth import get_user_model

    return {u.username: u for u in get_user_model().objects.filter(username__in=names)}

from django.core.management.base import BaseCommand, CommandError

from mercato.demo.services import DEFAULT_CUSTOMERS, DEFAULT_PRODUCTS, seed_demo


def _count(value: str) -> int:
    number = int(value)
    if number < 0 or number > 1_000_000:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Load the demo data set: categories, brands, products and SKUs, warehouses, staff of "
        "every department and customers. Deterministic for a --seed; running it again adds "
        "nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--products",
            type=_count,
            default=DEFAULT_PRODUCTS,
            help=f"number of products (SPU), 4 SKUs each on average (default {DEFAULT_PRODUCTS})",
        )
        parser.add_argument(
            "--customers",
            type=_count,
            default=DEFAULT_CUSTOMERS,
            help=f"number of customers (default {DEFAULT_CUSTOMERS})",
        )
        parser.add_argument(
            "--images",
            action="store_true",
            help="also draw a picture per product, with its WebP thumbnails (make demo does)",
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bars")

    def handle(self, *args, seed, products, customers, images, quiet, **options):
        if seed < 0:
            raise CommandError("--seed must be zero or positive")
        report = seed_demo(
            seed=seed, products=products, customers=customers, images=images, quiet=quiet
        )
        created = ", ".join(f"{name} {n}" for name, n in report.created.items())
        self.stdout.write(
            f"Demo data (seed {seed}) ready in {report.total_seconds:.1f} s; created: {created}"
        )

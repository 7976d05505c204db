from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime
from tqdm import tqdm

from mercato.catalog.models import Product, ProductStatus
from mercato.search import services


class Command(BaseCommand):
    help = "Rebuild the product search index, or re-index products changed since a time."

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            help="only products changed at or after this ISO time (e.g. after a bulk import)",
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, since=None, quiet=False, **options):
        if since:
            moment = parse_datetime(since)
            if moment is None:
                raise CommandError(f"--since: not an ISO date-time: {since!r}")
            ids = services.products_changed_since(moment)
            with tqdm(total=len(ids), desc="reindex", unit="product", disable=quiet) as bar:
                written = 0
                for start in range(0, len(ids), 500):
                    chunk = ids[start : start + 500]
                    written += services.reindex_products(product_ids=chunk)
                    bar.update(len(chunk))
            self.stdout.write(f"Re-indexed {len(ids)} changed products, {written} on sale.")
            return
        total = Product.objects.filter(status=ProductStatus.ON_SALE).count()
        with tqdm(total=total, desc="search index", unit="product", disable=quiet) as bar:
            written = services.rebuild_index(progress=bar.update)
        self.stdout.write(f"Indexed {written} products on sale.")

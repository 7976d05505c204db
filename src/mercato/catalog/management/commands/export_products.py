"""mercato export_products FILE: every SKU as one row, in the import's columns."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from mercato.catalog.exporting import FORMATS, count_export_rows, export_products
from mercato.core.errors import DomainError

from ..actor import actor_from_option


class Command(BaseCommand):
    help = (
        "Export products and SKUs to a .csv or .xlsx file that import_products reads back "
        "unchanged (the export-products command)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="where to write the file")
        parser.add_argument("--format", choices=FORMATS, help="csv or xlsx (default: from FILE)")
        parser.add_argument(
            "--user",
            help="export as this staff user: needs catalog.export_products; the cost_price "
            "column only with catalog.view_cost_price",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        fmt = options["format"] or path.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise CommandError(f"--format: choose csv or xlsx (FILE ends in {path.suffix!r})")
        if not path.parent.is_dir():
            raise CommandError(f"file: the folder {str(path.parent)!r} does not exist")
        actor = actor_from_option(options["user"])
        bar = tqdm(total=count_export_rows(), unit="rows", desc=path.name, file=self.stderr._out)
        try:
            with path.open("wb") as fh:
                n = export_products(
                    actor=actor, file=fh, fmt=fmt, progress=lambda done: bar.update(done - bar.n)
                )
        except DomainError as exc:
            path.unlink(missing_ok=True)
            raise CommandError(exc.message) from None
        finally:
            bar.close()
        self.stdout.write(self.style.SUCCESS(f"Exported {n} SKUs to {path}"))

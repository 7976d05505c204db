"""mercato import_products FILE: import products and SKUs from a CSV or XLSX file."""

from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, no_translations
from tqdm import tqdm

from mercato.catalog.importing import create_import_job, describe, job_failure, run_import_job
from mercato.catalog.models import ImportJob
from mercato.core.errors import DomainError

from ..actor import actor_from_option


class Command(BaseCommand):
    help = (
        "Import products and SKUs (one row per SKU) from a .csv or .xlsx file "
        "(the import-products command). Without --dry-run or --all-or-nothing the good rows "
        "are written and the bad ones reported. Exits with status 1 when any row has errors."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .csv or .xlsx file")
        modes = parser.add_mutually_exclusive_group()
        modes.add_argument(
            "--dry-run", action="store_true", help="check and preview; write nothing"
        )
        modes.add_argument(
            "--all-or-nothing",
            action="store_true",
            help="write nothing unless every row is good",
        )
        parser.add_argument(
            "--user", help="import as this staff user (needs catalog.import_products)"
        )
        parser.add_argument(
            "--create-brands", action="store_true", help="create brands the file names"
        )
        parser.add_argument("--max-errors", type=int, default=50, help="errors to list (50)")

    # The command speaks English throughout (its help, counts and the row errors alike).
    @no_translations
    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"file: no such file {str(path)!r}")
        if path.suffix.lower() not in {".csv", ".xlsx"}:
            raise CommandError(f"file: use a .csv or .xlsx file, not {path.name!r}")
        actor = actor_from_option(options["user"])
        mode = ImportJob.Mode.PARTIAL
        if options["dry_run"]:
            mode = ImportJob.Mode.DRY_RUN
        elif options["all_or_nothing"]:
            mode = ImportJob.Mode.ALL_OR_NOTHING
        try:
            with path.open("rb") as fh:
                job = create_import_job(
                    actor=actor,
                    upload=File(fh, name=path.name),
                    mode=mode,
                    create_brands=options["create_brands"],
                )
        except DomainError as exc:
            raise CommandError(_describe(exc)) from None

        bar = tqdm(total=None, unit="rows", desc=path.name, file=self.stderr._out)

        def progress(processed, total):
            if total is not None and bar.total != total:
                bar.total = total
            bar.update(processed - bar.n)

        try:
            job = run_import_job(job_id=job.pk, progress=progress)
        except DomainError as exc:
            raise CommandError(_describe(exc)) from None
        finally:
            bar.close()
        self._report(job, options["max_errors"])

    def _report(self, job: ImportJob, max_errors: int) -> None:
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(job_failure(job))
        s = job.summary
        self.stdout.write(
            f"Rows: {s['rows']}, with errors: {s['rows_failed']}\n"
            f"Products: {s['products_created']} new, {s['products_updated']} changed, "
            f"{s['products_unchanged']} unchanged\n"
            f"SKUs: {s['skus_created']} new, {s['skus_updated']} changed, "
            f"{s['skus_unchanged']} unchanged"
            + (f"\nBrands: {s['brands_created']} new" if s["brands_created"] else "")
        )
        if job.errors:
            width = max(len(e["column"] or "") for e in job.errors[:max_errors])
            self.stdout.write(f"\n{'row':>7}  {'column':<{width}}  problem")
            for e in job.errors[:max_errors]:
                self.stdout.write(f"{e['row']:>7}  {e['column'] or '':<{width}}  {describe(e)}")
            if s["error_count"] > max_errors:
                self.stdout.write(f"... and {s['error_count'] - max_errors} more errors")
        if job.mode == ImportJob.Mode.DRY_RUN:
            self.stdout.write("Dry run: nothing was written.")
        elif s["written"]:
            self.stdout.write(self.style.SUCCESS("Written."))
        else:
            self.stdout.write("Nothing was written.")
        if s["rows_failed"]:
            raise CommandError(f"{s['rows_failed']} rows have errors")


def _describe(exc: DomainError) -> str:
    errors = exc.errors()
    if not errors:
        return exc.message
    return "; ".join(f"{e['field']}: {e['message']}" for e in errors)

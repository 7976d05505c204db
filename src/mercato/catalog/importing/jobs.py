"""Import jobs: an uploaded file, run in the background, with progress and results."""

import logging
import secrets

from django.core.cache import cache
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from mercato.core import outbox
from mercato.core.audit import acting_as, record_event
from mercato.core.errors import DomainError, NotFound, ValidationFailed
from mercato.core.permissions import require_perm

from ..models import ImportJob
from .engine import MAX_ERRORS, MODES, Progress, import_products
from .problems import MESSAGES, Problem, describe
from .reader import detect_format

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
logger = logging.getLogger(__name__)


def progress_cache_key(job_id: int) -> str:
    return f"catalog:import-job:{job_id}:progress"


def job_progress(job: ImportJob) -> tuple[int, int | None]:
    """(processed, total) rows: from the cache while an all-or-nothing run holds its
    transaction open (its row updates are invisible to other connections until commit)."""
    if job.status == ImportJob.Status.RUNNING:
        cached = cache.get(progress_cache_key(job.pk))
        if cached:
            return cached
    return job.processed_rows, job.total_rows


def create_import_job(
    *, actor, upload, mode: str, create_brands: bool = False, filename: str = ""
) -> ImportJob:
    """Store an uploaded file as a pending job. Checks the permission, the mode and the type."""
    if actor is not None:
        require_perm(actor, "catalog.import_products")
    filename = filename or getattr(upload, "name", "") or ""
    errors = {}
    if mode not in MODES:
        errors["mode"] = [Problem("mode_unknown", modes=MODES, value=mode)]
    try:
        detect_format(filename)
    except ValidationFailed as exc:
        errors.update(exc.field_errors)
    if getattr(upload, "size", 0) > MAX_UPLOAD_BYTES:
        errors["file"] = [Problem("file_too_large", megabytes=MAX_UPLOAD_BYTES // 1024 // 1024)]
    if errors:
        raise ValidationFailed(errors)
    job = ImportJob(
        created_by=actor,
        token=secrets.token_hex(8),
        original_name=filename.rsplit("/", 1)[-1][:255],
        mode=mode,
        create_brands=create_brands,
    )
    job.file.save(job.original_name, upload, save=False)
    job.save()
    return job


def start_import(*, actor, upload, mode: str, create_brands: bool = False) -> ImportJob:
    """Create the job and queue it for a worker (run in-process when there is no broker)."""
    from ..tasks import import_products_task

    job = create_import_job(actor=actor, upload=upload, mode=mode, create_brands=create_brands)
    outbox.enqueue(import_products_task, args=[job.pk])  # sent once committed (core.outbox)
    return job


def _report(job: ImportJob, extra: Progress | None) -> Progress:
    key = progress_cache_key(job.pk)

    def report(processed: int, total: int | None) -> None:
        cache.set(key, (processed, total), timeout=3600)
        if not connection.in_atomic_block:
            ImportJob.objects.filter(pk=job.pk).update(processed_rows=processed, total_rows=total)
        if extra:
            extra(processed, total)

    return report


def run_import_job(*, job_id: int, progress: Progress | None = None) -> ImportJob:
    """Run a pending job as the user who uploaded it and store the result on the job.

    Row errors and file errors end as a finished job (DONE with errors, or FAILED with a
    message), not as an exception: the page shows them.
    """
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None:
        raise NotFound(f"Import job {job_id} not found")
    if job.status != ImportJob.Status.PENDING:
        return job  # a redelivered task: the job ran already
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    job.status = ImportJob.Status.RUNNING
    actor = job.created_by
    try:
        with acting_as(actor), job.file.open("rb") as handle:
            result = import_products(
                actor=actor,
                file=handle,
                fmt=detect_format(job.file.name),
                mode=job.mode,
                create_brands=job.create_brands,
                progress=_report(job, progress),
            )
    except Exception as exc:  # noqa: BLE001  the page must show a failure, never spin forever
        if not isinstance(exc, DomainError):
            logger.exception("Import job %s failed", job.pk)
            # Translated where it is shown (job_failure).
            exc = DomainError(MESSAGES["unexpected"])
        job.status = ImportJob.Status.FAILED
        job.errors, job.message = _stored_errors(exc), str(exc.message)
        # In English for logs and the admin; pages and the command show job_failure().
        with translation.override("en"):
            job.message = job_failure(job)
    else:
        job.status = ImportJob.Status.DONE
        job.total_rows = result.processed_rows  # the count up front was an estimate
        job.processed_rows = result.processed_rows
        job.summary = result.summary()
        job.errors = [e.as_dict() for e in result.errors[:MAX_ERRORS]]
        job.preview = result.preview
        if job.mode != ImportJob.Mode.DRY_RUN:
            # One audit entry for the whole import, not one per row.
            record_event(
                actor=actor,
                obj=job,
                # Translated where the log is read (backoffice.audit_readable).
                message=gettext_noop("Products imported")
                if result.written
                else gettext_noop("Import wrote nothing"),
                data={"file": job.original_name, "mode": job.mode, **result.summary()},
            )
    job.finished_at = timezone.now()
    job.save()
    cache.delete(progress_cache_key(job.pk))
    return job


def _stored_errors(exc: DomainError) -> list[dict]:
    """A file-level failure as rows of job.errors (row 1: the header), codes kept."""
    if not isinstance(exc, ValidationFailed):
        return []
    return [
        {"row": 1, "column": field}
        | (msg.as_dict() if isinstance(msg, Problem) else {"message": str(msg)})
        for field, msgs in exc.field_errors.items()
        for msg in msgs
    ]


def job_failure(job: ImportJob) -> str:
    """Why a failed job failed, in the active language."""
    if job.errors:
        return translation.pgettext("between sentences", "; ").join(describe(e) for e in job.errors)
    return translation.gettext(job.message)

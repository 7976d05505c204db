"""Bulk actions that run in the background (fulfillment.bulk): one job's page, with a
progress bar that polls until the job ends, then the result with every failed item named."""

from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mercato.core.errors import PermissionDeniedError
from mercato.fulfillment.bulk import PERMISSION, start_bulk_job
from mercato.fulfillment.models import BulkJob, Wave

from .access import forbidden, staff_view

A = BulkJob.Action
FAILURES_SHOWN = 200
WAVES_SHOWN = 100
BACK = {
    A.APPROVE: ("backoffice:review_queue", gettext_noop("Order review")),
    A.WAVES: ("backoffice:wave_list", gettext_noop("Picking waves")),
    A.SHIP: ("backoffice:wave_list", gettext_noop("Picking waves")),
}


def start_in_background(request, *, action: str, item_ids=(), params: dict | None = None):
    """Start a bulk action as a background job and answer with the job's page (the
    refusal page when the user may not run the action)."""
    try:
        job = start_bulk_job(actor=request.user, action=action, item_ids=item_ids, params=params)
    except PermissionDeniedError:
        return forbidden(request)
    return redirect("backoffice:bulk_job", bulk_job_id=job.pk)


def _job(request, bulk_job_id: int) -> BulkJob | None:
    job = get_object_or_404(BulkJob.objects.select_related("created_by"), pk=bulk_job_id)
    # The same permission as the action itself: a job's page shows its orders' numbers.
    return job if request.user.has_perm(PERMISSION[job.action]) else None


def _context(job: BulkJob) -> dict:
    waves = []
    if job.action == A.WAVES and job.result.get("waves"):
        waves = list(
            Wave.objects.filter(pk__in=job.result["waves"][:WAVES_SHOWN])
            .select_related("warehouse", "carrier")
            .order_by("pk")
        )
    url_name, label = BACK[job.action]
    shown = job.failures[:FAILURES_SHOWN]
    # A wave job's one failure stands for every parcel left waiting: none more to count.
    hidden = 0 if job.action == A.WAVES else max(job.failed - len(shown), 0)
    return {
        "job": job,
        "percent": job.percent,
        "failures": [{**f, "message": _(f["message"])} for f in shown],
        "more_failures": hidden,
        "waves": waves,
        "back_url": url_name,
        "back_label": _(label),
    }


@staff_view(tuple(PERMISSION.values()))
def bulk_job(request, bulk_job_id: int):
    """One bulk action: its progress bar, then its result."""
    job = _job(request, bulk_job_id)
    if job is None:
        return forbidden(request)
    return render(request, "backoffice/bulk/job.html", _context(job))


@staff_view(tuple(PERMISSION.values()))
def bulk_job_progress(request, bulk_job_id: int):
    """The fragment htmx polls every second while the job runs."""
    job = _job(request, bulk_job_id)
    if job is None:
        return forbidden(request)
    return render(request, "backoffice/bulk/_progress.html", _context(job))

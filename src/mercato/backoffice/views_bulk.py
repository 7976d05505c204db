"""Bulk actions that run in the background (fulfillment.bulk): one job's page, with a
progress bar that polls until the job ends, then the result with every failed item named."""

from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mercato.fulfillment.bulk import PERMISSION
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
    return {
        "job": job,
        "percent": job.percent,
        "failures": [{**f, "message": _(f["message"])} for f in job.failures[:FAILURES_SHOWN]],
        "more_failures": max(job.failed - min(len(job.failures), FAILURES_SHOWN), 0)
        if job.action != A.WAVES
        else 0,
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

"""Catalogue import and export pages: upload a file, watch the job, download the catalogue."""

import tempfile

from django import forms
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mercato.catalog.exporting import FORMATS, export_products
from mercato.catalog.importing import job_progress, start_import
from mercato.catalog.importing.columns import COLUMN_LABELS
from mercato.catalog.models import ImportJob
from mercato.core.errors import DomainError, PermissionDeniedError

from .access import forbidden, staff_view
from .messages_i18n import add_errors_to_form

IMPORT, EXPORT = "catalog.import_products", "catalog.export_products"
ERRORS_SHOWN = 200


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (.csv or .xlsx)"))
    mode = forms.ChoiceField(
        label=_("Mode"),
        choices=ImportJob.Mode.choices,
        initial=ImportJob.Mode.DRY_RUN,
        widget=forms.RadioSelect,
    )
    create_brands = forms.BooleanField(label=_("Create brands the file names"), required=False)


def _page(request, form, status=200):
    jobs = ImportJob.objects.select_related("created_by")[:20]
    context = {
        "form": form,
        "jobs": jobs if request.user.has_perm(IMPORT) else [],
        "may_import": request.user.has_perm(IMPORT),
        "may_export": request.user.has_perm(EXPORT),
    }
    return render(request, "backoffice/imports/index.html", context, status=status)


@staff_view((IMPORT, EXPORT))
def imports(request):
    """The import form (upload, mode), recent jobs and the export buttons."""
    if request.method != "POST":
        return _page(request, ImportForm())
    if not request.user.has_perm(IMPORT):
        return forbidden(request)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        job = start_import(
            actor=request.user,
            upload=form.cleaned_data["file"],
            mode=form.cleaned_data["mode"],
            create_brands=form.cleaned_data["create_brands"],
        )
    except PermissionDeniedError:
        return forbidden(request)
    except DomainError as exc:
        add_errors_to_form(form, exc)
        return _page(request, form, status=400)
    return redirect("backoffice:import_job", job_id=job.pk)


def _job_context(job: ImportJob) -> dict:
    processed, total = job_progress(job)
    percent = 100 if job.is_finished else (processed * 100 // total if total else 0)
    summary = job.summary or {}
    return {
        "job": job,
        "processed": processed,
        "total": total,
        "percent": min(percent, 100),
        "summary": summary,
        "errors": [
            {**e, "label": COLUMN_LABELS.get(e["column"], e["column"] or "")}
            for e in job.errors[:ERRORS_SHOWN]
        ],
        "more_errors": max(summary.get("error_count", len(job.errors)) - ERRORS_SHOWN, 0),
    }


@staff_view(IMPORT)
def import_job(request, job_id: int):
    """One job: a progress bar that polls until the job ends, then its result."""
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=job_id)
    return render(request, "backoffice/imports/job.html", _job_context(job))


@staff_view(IMPORT)
def import_job_progress(request, job_id: int):
    """The progress fragment htmx polls (every second while the job runs)."""
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=job_id)
    return render(request, "backoffice/imports/_progress.html", _job_context(job))


@staff_view(EXPORT)
def export(request):
    """Download every SKU as CSV or XLSX (cost prices only for those who may see them)."""
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        raise Http404("Unknown format")
    # A temporary file, not memory: a full catalogue is tens of megabytes.
    out = tempfile.TemporaryFile()
    try:
        export_products(actor=request.user, file=out, fmt=fmt)
    except PermissionDeniedError:
        out.close()
        return forbidden(request)
    out.seek(0)
    name = f"products-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"
    return FileResponse(out, as_attachment=True, filename=name)

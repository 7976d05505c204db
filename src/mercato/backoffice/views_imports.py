"""Catalogue import and export pages: upload a file, watch the job, download the catalogue."""

import tempfile

from django import forms
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mercato.catalog.exporting import FORMATS, export_products
from mercato.catalog.importing import (
    COLUMNS,
    column_label,
    describe,
    job_failure,
    job_progress,
    start_import,
)
from mercato.catalog.models import ImportJob
from mercato.core.errors import DomainError, PermissionDeniedError

from .access import forbidden, staff_view
from .messages_i18n import add_errors_to_form

IMPORT, EXPORT = "catalog.import_products", "catalog.export_products"
ERRORS_SHOWN = 200
# What a file-level error is about, when it is not one column of the file.
FILE_PARTS = {"file": _("File"), "columns": _("Columns"), "mode": _("Mode"), "format": _("Format")}


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
        # Messages are stored as codes and values: translated here, for this reader.
        "errors": [_shown_error(e) for e in job.errors[:ERRORS_SHOWN]],
        "more_errors": max(summary.get("error_count", len(job.errors)) - ERRORS_SHOWN, 0),
        "failure": job_failure(job) if job.status == ImportJob.Status.FAILED else "",
        "preview": [_shown_preview(p) for p in job.preview],
    }


def _shown_error(entry: dict) -> dict:
    column = entry.get("column") or ""
    is_column = column in COLUMNS
    label = column_label(column) if is_column else FILE_PARTS.get(column, column)
    return {
        "row": entry.get("row"),
        "column": column if is_column else "",
        "label": label,
        "message": describe(entry),
    }


def _shown_preview(row: dict) -> dict:
    # Jobs stored before the fix kept an unparsable price as the text "None".
    return {
        k: "" if v is None or (k == "list_price" and v == "None") else v for k, v in row.items()
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

"""The audit log viewer (技术部 and department leads: core.view_auditlog)."""

from django.core.paginator import Paginator
from django.shortcuts import render

from .access import staff_view
from .filters import AuditFilter
from .selectors import audit_entries

PAGE_SIZE = 50


def _changes(entry) -> list[tuple[str, object, object]]:
    # `changes` is JSON {"field": [old, new]}; masked fields arrive masked already.
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    return [
        (field, *(values if isinstance(values, list) and len(values) == 2 else ("", values)))
        for field, values in changes.items()
    ]


@staff_view("core.view_auditlog")
def audit_list(request):
    audit_filter = AuditFilter(request.GET or None, queryset=audit_entries())
    page = Paginator(audit_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(entry, _changes(entry)) for entry in page.object_list]
    context = {"filter": audit_filter, "page": page, "htmx_results": True, "rows": rows}
    if request.htmx and request.htmx.target == "results":
        return render(request, "backoffice/audit/_results.html", context)
    return render(request, "backoffice/audit/list.html", context)

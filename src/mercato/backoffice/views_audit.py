"""The audit timeline (技术部 and department leads: core.view_auditlog): catalogue and staff
changes, order, payment and refund status changes and the stock ledger, in one list
(audit_timeline.py)."""

from auditlog.registry import auditlog
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from .access import staff_view
from .audit_timeline import KINDS, Criteria, Timeline
from .forms_range import DateRangeForm

PAGE_SIZE = 50


def _kind_choices():
    audited = ContentType.objects.get_for_models(*auditlog.get_models()).values()
    models = sorted(((f"ct:{ct.pk}", str(ct.name)) for ct in audited), key=lambda c: c[1])
    return [
        ("", _("Everything")),
        (_("State changes"), [(code, label) for code, label in KINDS]),
        (_("One type of record"), models),
    ]


class AuditFilterForm(DateRangeForm):
    field_order = ["kind", "actor", "reference"]  # then From and Until

    kind = forms.ChoiceField(label=_("What"), required=False)
    actor = forms.CharField(label=_("Actor (username)"), required=False, max_length=150)
    reference = forms.CharField(
        label=_("Order, payment, refund or SKU"),
        required=False,
        max_length=64,
        help_text=_("A number or code, or an object id"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _kind_choices()


class _Filter:
    """What the shared filter-form partial expects: an object with `.form`."""

    def __init__(self, form):
        self.form = form


@staff_view("core.view_auditlog")
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    valid = form.is_valid() if request.GET else True
    criteria = Criteria(**form.cleaned_data) if request.GET and valid else Criteria()
    page = Paginator(Timeline(criteria, request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filter": _Filter(form), "page": page, "htmx_results": True}
    status = 200 if valid else 400
    if request.htmx and request.htmx.target == "results":
        return render(request, "backoffice/audit/_results.html", context, status=status)
    return render(request, "backoffice/audit/list.html", context, status=status)

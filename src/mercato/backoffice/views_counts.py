"""Cycle counts (盘点) in the stock workspace: the list with a new count (by zone or ABC
class), and one count sheet where counts are typed or scanned, the variance shown,
submitted, approved or sent back by a lead, and posted (inventory.counts)."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mercato.core.errors import DomainError
from mercato.inventory import counts
from mercato.inventory.models import CountStatus, CountTask, Warehouse, Zone

from .access import staff_view
from .messages_i18n import act, add_errors_to_form

VIEW = "inventory.view_stock"
COUNT = "inventory.count_stock"
PAGE_SIZE = 50


class CountForm(forms.Form):
    warehouse = forms.ModelChoiceField(
        label=gettext_lazy("Warehouse"), queryset=Warehouse.objects.filter(is_active=True)
    )
    zone = forms.ModelChoiceField(
        label=gettext_lazy("Zone"), required=False,
        queryset=Zone.objects.select_related("warehouse").order_by("warehouse__code", "code"),
        empty_label=gettext_lazy("— or an ABC class —"),
    )  # fmt: skip
    abc_class = forms.ChoiceField(
        label=gettext_lazy("ABC class"), required=False,
        choices=[("", gettext_lazy("— or a zone —")), ("A", "A"), ("B", "B"), ("C", "C")],
        help_text=gettext_lazy("By sales value over 90 days: A the first 80 %, B the next 15 %"),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].label_from_instance = lambda z: (
            f"{z.warehouse.name} · {z.code} {z.name}"
        )


@staff_view(VIEW)
def count_list(request):
    status = request.GET.get("status", "")
    rows = counts.count_tasks(status=status if status in CountStatus.values else "")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    may_count = request.user.has_perm(COUNT)
    form = CountForm(request.POST or None) if may_count else None
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            task = counts.create_count_task(
                actor=request.user, warehouse_id=data["warehouse"].pk,
                zone_id=data["zone"].pk if data["zone"] else None, abc_class=data["abc_class"],
            )  # fmt: skip
        except DomainError as exc:
            add_errors_to_form(form, exc, aliases={"scope": "zone"})
        else:
            messages.success(request, _("Count sheet made."))
            return redirect("backoffice:count_detail", number=task.number)
    context = {"page": page, "status": status, "statuses": CountStatus.choices, "form": form}
    return render(
        request, "backoffice/counts/list.html", context,
        status=400 if form is not None and form.errors else 200,
    )  # fmt: skip


@staff_view(VIEW)
def count_detail(request, number: str):
    task = counts.count_sheet(number=number)
    if task is None:
        raise Http404("No such cycle count")
    value = counts.variance_value(task.sheet)
    context = {
        "task": task,
        "variance_value": value,
        "limit": counts.approval_limit(),
        "may_count": request.user.has_perm(COUNT),
        "may_approve": request.user.has_perm("inventory.approve_count"),
        "counted": sum(1 for line in task.sheet if line.counted is not None),
    }
    return render(request, "backoffice/counts/detail.html", context)


@require_POST
@staff_view(VIEW)
def count_step(request, number: str, step: str):
    """Enter counts, scan, submit, approve, send back or cancel (the service checks the
    permission each needs)."""
    task = CountTask.objects.filter(number=number).first()
    if task is None:
        raise Http404("No such cycle count")
    user, post = request.user, request.POST
    back = redirect("backoffice:count_detail", number=number)
    note = post.get("note", "")
    if step == "record":
        entered = {
            k.removeprefix("counted-"): v for k, v in post.items() if k.startswith("counted-")
        }
        scans = post.get("scans", "").split()
        call = lambda: counts.record_counts(  # noqa: E731
            actor=user, task_id=task.pk, counts=entered, scans=scans
        )
        success = _("Counts saved.")
    elif step == "submit":
        reason = post.get("reason", "")
        call = lambda: counts.submit_count(actor=user, task_id=task.pk, reason=reason)  # noqa: E731
        success = _("Submitted.")
    elif step == "approve":
        call = lambda: counts.approve_count(actor=user, task_id=task.pk, note=note)  # noqa: E731
        success = _("Approved: the stock is adjusted.")
    elif step == "reject":
        call = lambda: counts.reject_count(actor=user, task_id=task.pk, note=note)  # noqa: E731
        success = _("Sent back to be counted again.")
    elif step == "cancel":
        call = lambda: counts.cancel_count(actor=user, task_id=task.pk, note=note)  # noqa: E731
        success = _("Cancelled.")
    else:
        raise Http404("No such step")
    return act(request, call, success, back)

"""Returns and exchanges in the back office: the queue by status, one request with the
step each department takes — customer service decides (and sends an exchange's
replacement), the warehouse receives and inspects, finance refunds."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mercato.aftersales import services
from mercato.aftersales.models import ReturnRequest, ReturnStatus

from .access import act, staff_view

VIEW = "aftersales.view_returnrequest"
PAGE_SIZE = 50


@staff_view(VIEW)
def return_list(request):
    status = request.GET.get("status", "")
    queryset = ReturnRequest.objects.select_related("order").order_by("-created_at", "-id")
    if status in ReturnStatus.values:
        queryset = queryset.filter(status=status)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "statuses": ReturnStatus.choices}
    return render(request, "backoffice/returns/list.html", context)


def _request(number: str) -> ReturnRequest:
    item = (
        ReturnRequest.objects.filter(number=number)
        .select_related("order", "customer", "warehouse")
        .prefetch_related("lines__order_line", "lines__replacement_sku", "events__actor", "photos")
        .first()
    )
    if item is None:
        raise Http404("No such return")
    return item


@staff_view(VIEW)
def return_detail(request, number: str):
    item = _request(number)
    user = request.user
    context = {
        "item": item,
        "may_decide": user.has_perm("aftersales.decide_return"),
        "may_receive": user.has_perm("aftersales.receive_return"),
        "may_refund": user.has_perm("payments.refund_payment"),
    }
    return render(request, "backoffice/returns/detail.html", context)


def _done(request, number, call, success: str):
    return act(request, call, success, redirect("backoffice:return_detail", number=number))


class DecisionForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


@require_POST
@staff_view("aftersales.decide_return")
def return_decide(request, number: str):
    item = _request(number)
    approve = request.POST.get("decision") == "approve"
    note = request.POST.get("note", "")
    return _done(
        request,
        number,
        lambda: services.decide_return(
            actor=request.user, return_id=item.pk, approve=approve, note=note
        ),
        _("Approved.") if approve else _("Rejected."),
    )


@require_POST
@staff_view("aftersales.receive_return")
def return_receive(request, number: str):
    item = _request(number)
    return _done(
        request,
        number,
        lambda: services.receive_return(actor=request.user, return_id=item.pk),
        _("Received."),
    )


@require_POST
@staff_view("aftersales.receive_return")
def return_inspect(request, number: str):
    item = _request(number)
    results = {}
    for line in item.lines.all():
        try:
            good = int(request.POST.get(f"good_{line.pk}", ""))
            bad = int(request.POST.get(f"bad_{line.pk}", ""))
        except ValueError:
            messages.error(request, _("Enter the resaleable and damaged units of every line."))
            return redirect("backoffice:return_detail", number=number)
        results[line.pk] = (good, bad)
    return _done(
        request,
        number,
        lambda: services.inspect_return(
            actor=request.user,
            return_id=item.pk,
            results=results,
            note=request.POST.get("note", ""),
        ),  # fmt: skip
        _("Inspected: resaleable goods are back in stock, damaged ones written off."),
    )


@require_POST
@staff_view("payments.refund_payment")
def return_refund(request, number: str):
    item = _request(number)
    return _done(
        request,
        number,
        lambda: services.refund_return(actor=request.user, return_id=item.pk),
        _("Refund sent."),
    )


@require_POST
@staff_view("aftersales.decide_return")
def return_replace(request, number: str):
    item = _request(number)
    return _done(
        request,
        number,
        lambda: services.ship_replacement(actor=request.user, return_id=item.pk),
        _("Replacement parcel created: it goes through picking and packing."),
    )


@require_POST
@staff_view("payments.refund_payment")
def return_refund_difference(request, number: str):
    item = _request(number)
    return _done(
        request,
        number,
        lambda: services.refund_exchange_difference(actor=request.user, return_id=item.pk),
        _("The price difference is refunded."),
    )

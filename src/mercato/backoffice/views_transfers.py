"""Transfers between warehouses (调拨单) and rebalancing suggestions (调配建议) in the
procurement workspace: the list, a new transfer, one transfer with ship / receive /
cancel, and the suggestions page that turns moves into transfer orders in one click."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from mercato.core.errors import DomainError
from mercato.inventory.models import Warehouse
from mercato.procurement import rebalance, selectors, transfers
from mercato.procurement.models import TransferOrder, TransferStatus

from .access import staff_view
from .messages_i18n import act, add_errors_to_form, refused
from .typed_lines import parse_typed_lines

VIEW = "procurement.view_transferorder"
ADD = "procurement.add_transferorder"
SHIP = "procurement.ship_transferorder"
PAGE_SIZE = 50


def parse_lines(text: str) -> list[dict]:
    """Lines typed one per row as "SKU code, quantity"."""
    return parse_typed_lines(text, usage=_("Write: SKU code, quantity"))


class TransferForm(forms.Form):
    from_warehouse = forms.ModelChoiceField(
        label=gettext_lazy("From warehouse"), queryset=Warehouse.objects.filter(is_active=True)
    )
    to_warehouse = forms.ModelChoiceField(
        label=gettext_lazy("To warehouse"), queryset=Warehouse.objects.filter(is_active=True)
    )
    lines = forms.CharField(
        label=gettext_lazy("Lines"), widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("One per row: SKU code, quantity"),
    )  # fmt: skip
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


@staff_view(VIEW)
def transfer_list(request):
    status = request.GET.get("status", "")
    rows = selectors.transfer_orders(status=status if status in TransferStatus.values else "")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "statuses": TransferStatus.choices,
        "may_add": request.user.has_perm(ADD),
    }
    return render(request, "backoffice/procurement/transfer_list.html", context)


@staff_view(ADD)
def transfer_create(request):
    form = TransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = transfers.create_transfer(
                actor=request.user, from_warehouse_id=data["from_warehouse"].pk,
                to_warehouse_id=data["to_warehouse"].pk, lines=parse_lines(data["lines"]),
                note=data["note"],
            )  # fmt: skip
        except DomainError as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Transfer order created."))
            return redirect("backoffice:transfer_detail", number=order.number)
    return render(
        request, "backoffice/procurement/transfer_form.html", {"form": form},
        status=400 if form.errors else 200,
    )  # fmt: skip


@staff_view(VIEW)
def transfer_detail(request, number: str):
    order = selectors.transfer_order_by_number(number)
    if order is None:
        raise Http404("No such transfer order")
    context = {
        "order": order,
        "may_ship": request.user.has_perm(SHIP),
        "may_change": request.user.has_perm("procurement.change_transferorder"),
    }
    return render(request, "backoffice/procurement/transfer_detail.html", context)


@require_POST
@staff_view(VIEW)
def transfer_step(request, number: str, step: str):
    """Ship, receive or cancel (the service checks the permission each needs)."""
    order = TransferOrder.objects.filter(number=number).first()
    if order is None:
        raise Http404("No such transfer order")
    user, back = request.user, redirect("backoffice:transfer_detail", number=number)
    if step == "ship":
        call = lambda: transfers.ship_transfer(actor=user, order_id=order.pk)  # noqa: E731
        success = _("Shipped: the goods are in transit.")
    elif step == "receive":
        received = {}
        for line in order.lines.all():
            value = request.POST.get(f"received-{line.pk}", "").strip()
            if value:
                received[line.pk] = value
        reason = request.POST.get("reason", "")
        call = lambda: transfers.receive_transfer(  # noqa: E731
            actor=user, order_id=order.pk, received=received, reason=reason
        )
        success = _("Received into the destination warehouse.")
    elif step == "cancel":
        call = lambda: transfers.cancel_transfer(actor=user, order_id=order.pk)  # noqa: E731
        success = _("Cancelled.")
    else:
        raise Http404("No such step")
    return act(request, call, success, back)


@staff_view(VIEW)
def rebalance_page(request):
    plan = rebalance.suggest()
    rows = [
        {
            "s": s,
            "covers": list(zip(plan.warehouses, s.cover_before, s.cover_after, strict=True)),
        }
        for s in plan.suggestions
    ]
    context = {
        "plan": plan,
        "rows": rows,
        "may_add": request.user.has_perm(ADD),
        "penalty": rebalance.shortfall_penalty(),
    }
    return render(request, "backoffice/procurement/rebalance.html", context)


@require_POST
@staff_view(ADD)
def rebalance_create(request):
    back = redirect("backoffice:rebalance")
    sku_ids = None
    if request.POST.get("scope") != "all":
        try:
            sku_ids = [int(v) for v in request.POST.getlist("sku")]
        except ValueError:
            sku_ids = []
        if not sku_ids:
            messages.error(request, _("Tick the SKUs to move, or create all."))
            return back
    try:
        created = rebalance.create_transfers(actor=request.user, sku_ids=sku_ids)
    except DomainError as exc:
        return refused(request, exc, back)
    if not created:
        messages.info(request, _("Nothing to move: the suggestions have changed."))
        return back
    messages.success(
        request,
        ngettext(
            "%(n)s draft transfer order created.", "%(n)s draft transfer orders created.",
            len(created),
        ) % {"n": len(created)},
    )  # fmt: skip
    return redirect(reverse("backoffice:transfer_list") + "?status=draft")

"""Purchase orders in the procurement workspace (采购单): the list by status, a new order,
one order with its next step (submit, approve or send back, send, PDF, close, cancel,
change the lines), and the receiving screen (入库: scan, quality check, put away)."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mercato.core.errors import DomainError
from mercato.inventory.models import Warehouse
from mercato.procurement import orders, receiving, selectors
from mercato.procurement.models import POStatus, PurchaseOrder, Supplier
from mercato.procurement.pdf import purchase_order_pdf

from .access import staff_view
from .messages_i18n import act, add_errors_to_form, refused
from .typed_lines import parse_typed_lines

VIEW = "procurement.view_purchaseorder"
CHANGE = "procurement.change_purchaseorder"
RECEIVE = "procurement.receive_goods"
PAGE_SIZE = 50
S = POStatus


def parse_lines(text: str) -> list[dict]:
    """Lines typed one per row as "SKU code, quantity[, unit price]" (comma, tab or space)."""
    return parse_typed_lines(text, usage=_("Write: SKU code, quantity, unit price"), price=True)


def lines_text(order: PurchaseOrder) -> str:
    return "\n".join(f"{ln.sku.code}, {ln.quantity}, {ln.unit_price}" for ln in order.lines.all())


class OrderForm(forms.Form):
    supplier = forms.ModelChoiceField(
        label=gettext_lazy("Supplier"), queryset=Supplier.objects.filter(is_active=True)
    )
    warehouse = forms.ModelChoiceField(
        label=gettext_lazy("Deliver to"), queryset=Warehouse.objects.filter(is_active=True)
    )
    promised_date = forms.DateField(
        label=gettext_lazy("Promised delivery date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    lines = forms.CharField(
        label=gettext_lazy("Lines"), widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "One per row: SKU code, quantity, unit price (empty: the price list's price)"
        ),
    )  # fmt: skip
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


@staff_view(VIEW)
def order_list(request):
    status = request.GET.get("status", "")
    rows = selectors.order_rows(status=status if status in S.values else "")
    # The home page's tiles link here: orders this user may approve, deliveries due.
    show = request.GET.get("show", "")
    if show == "to_approve":
        rows = rows & selectors.awaiting_approval(request.user)
    elif show == "due":
        rows = rows & selectors.deliveries_due()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "show": show if show in ("to_approve", "due") else "",
        "statuses": S.choices,
        "may_add": request.user.has_perm("procurement.add_purchaseorder"),
        "awaiting": selectors.awaiting_approval(request.user).count(),
    }
    return render(request, "backoffice/procurement/order_list.html", context)


@staff_view("procurement.add_purchaseorder")
def order_create(request):
    form = OrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = orders.create_purchase_order(
                actor=request.user, supplier_id=data["supplier"].pk,
                warehouse_id=data["warehouse"].pk, promised_date=data["promised_date"],
                lines=parse_lines(data["lines"]), note=data["note"],
            )  # fmt: skip
        except DomainError as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Purchase order created."))
            return redirect("backoffice:po_detail", po_number=order.number)
    return render(
        request, "backoffice/procurement/order_form.html", {"form": form},
        status=400 if form.errors else 200,
    )  # fmt: skip


def _order(number: str) -> PurchaseOrder:
    order = selectors.order_detail(number=number)
    if order is None:
        raise Http404("No such purchase order")
    return order


@staff_view(VIEW)
def order_detail(request, po_number: str):
    order = _order(po_number)
    user = request.user
    context = {
        "order": order,
        "lines_text": lines_text(order),
        "editable": order.status in orders.EDITABLE and user.has_perm(CHANGE),
        "may_change": user.has_perm(CHANGE),
        "may_approve": (
            order.status == S.PENDING_LEAD and user.has_perm("procurement.approve_purchaseorder")
        )
        or (
            order.status == S.PENDING_FINANCE
            and user.has_perm("procurement.approve_large_purchaseorder")
        ),
        "may_receive": order.status in orders.OPEN and user.has_perm(RECEIVE),
        "lead_limit": orders.lead_limit(),
        "finance_limit": orders.finance_limit(),
    }
    return render(request, "backoffice/procurement/order_detail.html", context)


def _step(request, number: str, call, success: str):
    order = PurchaseOrder.objects.filter(number=number).first()
    if order is None:
        raise Http404("No such purchase order")
    back = redirect("backoffice:po_detail", po_number=number)
    return act(request, lambda: call(order.pk), success, back)


@require_POST
@staff_view(VIEW)
def order_step(request, po_number: str, step: str):
    """One button of the order page: submit, approve, reject, send, close or cancel (the
    service checks the permission each needs)."""
    user, note = request.user, request.POST.get("note", "")
    calls = {
        "submit": (lambda pk: orders.submit_purchase_order(actor=user, order_id=pk),
                   _("Submitted.")),
        "approve": (lambda pk: orders.approve_purchase_order(actor=user, order_id=pk, note=note),
                    _("Approved.")),
        "reject": (lambda pk: orders.reject_purchase_order(actor=user, order_id=pk, note=note),
                   _("Sent back to draft.")),
        "send": (lambda pk: orders.send_purchase_order(actor=user, order_id=pk),
                 _("Marked as sent to the supplier.")),
        "close": (lambda pk: orders.close_purchase_order(actor=user, order_id=pk, note=note),
                  _("Closed.")),
        "cancel": (lambda pk: orders.cancel_purchase_order(actor=user, order_id=pk, note=note),
                   _("Cancelled.")),
    }  # fmt: skip
    if step not in calls:
        raise Http404("No such step")
    call, success = calls[step]
    return _step(request, po_number, call, success)


@require_POST
@staff_view(CHANGE)
def order_lines(request, po_number: str):
    order = PurchaseOrder.objects.filter(number=po_number).first()
    if order is None:
        raise Http404("No such purchase order")
    back = redirect("backoffice:po_detail", po_number=po_number)
    try:
        lines = parse_lines(request.POST.get("lines", ""))
    except DomainError as exc:
        return refused(request, exc, back)
    return act(
        request,
        lambda: orders.change_lines(actor=request.user, order_id=order.pk, lines=lines),
        _("Lines changed."),
        back,
    )


@staff_view(VIEW)
def order_pdf(request, po_number: str):
    order = _order(po_number)
    response = HttpResponse(purchase_order_pdf(order=order), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{order.number}.pdf"'
    return response


def _tally_key(order) -> str:
    return f"po-scan-{order.pk}"


@staff_view(RECEIVE)
def order_receive(request, po_number: str):
    """The receiving screen: each scan adds units to the count kept in the session; the
    receipt form records counts, rejects with their reason, and bins."""
    order = _order(po_number)
    key = _tally_key(order)
    tally = {int(k): v for k, v in request.session.get(key, {}).items()}
    back = redirect("backoffice:po_receive", po_number=po_number)
    if request.method == "POST" and request.POST.get("action") == "scan":
        try:
            line = receiving.check_scan(
                actor=request.user, order_id=order.pk, code=request.POST.get("code", ""),
                counted=tally, quantity=request.POST.get("quantity") or 1,
            )  # fmt: skip
        except DomainError as exc:
            return refused(request, exc, back)
        tally[line.pk] = tally.get(line.pk, 0) + int(request.POST.get("quantity") or 1)
        request.session[key] = {str(k): v for k, v in tally.items()}
        messages.success(
            request, _("%(sku)s: %(n)s counted") % {"sku": line.sku.code, "n": tally[line.pk]}
        )
        return back
    if request.method == "POST" and request.POST.get("action") == "reset":
        request.session.pop(key, None)
        return back
    if request.method == "POST":
        return _record_receipt(request, order, back)
    rows = [
        {
            "line": line,
            "counted": tally.get(line.pk, 0),
            "max": receiving.max_receivable(line),
        }
        for line in order.lines.all()
    ]
    context = {
        "order": order,
        "rows": rows,
        "receivable": order.status in orders.OPEN,
        "bins": order.warehouse.bins.order_by("walk_order", "code")[:500],
        "today": timezone.localdate(),
    }
    return render(request, "backoffice/procurement/receive.html", context)


def _whole(value) -> int | None:
    text = str(value or "").strip()
    if text.lstrip("-").isdigit():
        return int(text)
    return None if text else 0


def _record_receipt(request, order, back):
    post = request.POST
    lines = []
    for line in order.lines.all():
        received = _whole(post.get(f"received_{line.pk}"))
        if received == 0:
            continue
        lines.append(
            {
                "line_id": line.pk,
                "received": received,
                "rejected": _whole(post.get(f"rejected_{line.pk}")),
                "reason": post.get(f"reason_{line.pk}", ""),
                "bin": post.get(f"bin_{line.pk}", ""),
            }
        )
    try:
        receipt = receiving.receive_goods(actor=request.user, order_id=order.pk, lines=lines)
    except DomainError as exc:
        return refused(request, exc, back)
    request.session.pop(_tally_key(order), None)
    messages.success(request, _("Receipt %(n)s recorded.") % {"n": receipt.number})
    return redirect("backoffice:po_detail", po_number=order.number)


@staff_view(RECEIVE)
def receiving_queue(request):
    """Orders whose goods are expected, oldest promise first; a PO number opens one."""
    number = request.GET.get("number", "").strip()
    if number:
        if PurchaseOrder.objects.filter(number=number).exists():
            return redirect("backoffice:po_receive", po_number=number)
        messages.error(request, _("No purchase order %(n)s.") % {"n": number})
    rows = selectors.order_rows().filter(status__in=orders.OPEN).order_by("promised_date", "id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "backoffice/procurement/receiving.html", {"page": page})

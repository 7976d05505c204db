"""The order console (订单管理) for customer service, order processing and finance: search
and filters, the order page, its actions, and the CSV/XLSX export.

Reads go through fulfillment.console; every action through a service that checks the
permission again (a refused action answers 403 and changes nothing). Phone numbers,
names and street addresses are masked for staff without `core.view_full_phone`.
"""

import tempfile

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mercato.aftersales.selectors import returns_for_order
from mercato.core.errors import DomainError
from mercato.core.pagination import CappedPaginator
from mercato.customers.selectors import region_tree
from mercato.customers.sms import SmsDeliveryFailed
from mercato.fulfillment import console, exports
from mercato.orders import actions
from mercato.orders.links import guest_link_token
from mercato.orders.models import Order
from mercato.orders.services import DeliveryAddress, cancel_order
from mercato.orders.status import BEFORE_SHIPMENT, can_cancel

from .access import forbidden, staff_view
from .messages_i18n import add_errors_to_form, message_of

VIEW = "orders.view_order"


@staff_view(VIEW)
def order_list(request):
    order_filter = console.console_orders(request.GET)
    page = CappedPaginator(order_filter.qs, console.PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter": order_filter,
        "page": page,
        "htmx_results": True,
        "may_export": request.user.has_perm("orders.export_orders"),
        "query": request.GET.urlencode(),
    }
    if request.htmx and request.htmx.target == "results":
        return render(request, "backoffice/orders/_results.html", context)
    return render(request, "backoffice/orders/list.html", context)


@staff_view("orders.export_orders")
def order_export(request):
    """The filtered list as CSV or XLSX (masked as the page is)."""
    fmt = request.GET.get("format", "csv")
    if fmt not in exports.FORMATS:
        raise Http404("Unknown format")
    order_filter = console.console_orders(request.GET)
    if not order_filter.is_valid():
        messages.error(request, _("Correct the filters before exporting."))
        return redirect(f"{reverse('backoffice:order_list')}?{request.GET.urlencode()}")
    out = tempfile.TemporaryFile()
    try:
        exports.export_orders(actor=request.user, queryset=order_filter.qs, file=out, fmt=fmt)
    except DomainError as exc:
        out.close()
        if exc.status == 403:
            return forbidden(request)
        messages.error(request, message_of(exc))
        return redirect(f"{reverse('backoffice:order_list')}?{request.GET.urlencode()}")
    out.seek(0)
    name = f"orders-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"
    return FileResponse(out, as_attachment=True, filename=name)


# The order page -----------------------------------------------------------------------------
class CancelForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


class HoldForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


class NoteForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Note"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class AddressForm(forms.Form):
    recipient = forms.CharField(label=gettext_lazy("Recipient"), max_length=40)
    mobile = forms.CharField(label=gettext_lazy("Mobile number"), max_length=20)
    province = forms.CharField(label=gettext_lazy("Province"), max_length=20)
    city = forms.CharField(label=gettext_lazy("City"), max_length=30)
    district = forms.CharField(label=gettext_lazy("District"), max_length=30)
    detail = forms.CharField(label=gettext_lazy("Street address"), max_length=200)
    confirmation = forms.CharField(
        label=gettext_lazy("How the customer confirmed"),
        max_length=200,
        help_text=gettext_lazy("E.g. “called 14:05, the customer confirmed the new address”."),
    )

    def address(self) -> DeliveryAddress:
        data = self.cleaned_data
        return DeliveryAddress(**{k: data[k] for k in actions.ADDRESS_FIELDS})


def _page_context(request, number: str, **forms_):
    page = console.order_page(number=number)
    order = page.order
    user = request.user
    full = user.has_perm("core.view_full_phone")
    if "address_form" not in forms_ and full:
        forms_["address_form"] = AddressForm(
            initial={k: getattr(order, k) for k in actions.ADDRESS_FIELDS}
        )
    return {
        "page": page,
        "order": order,
        "returns": returns_for_order(order=order),
        "full": full,
        "may_cancel": user.has_perm("orders.cancel_order") and can_cancel(order),
        "may_change": full
        and user.has_perm("orders.change_delivery")
        and order.status in BEFORE_SHIPMENT,
        "may_hold": user.has_perm("orders.hold_order") and order.status in BEFORE_SHIPMENT,
        "may_link": user.has_perm("orders.send_payment_link") and order.status == "pending_payment",
        "may_review": user.has_perm("fulfillment.review_order") and order.status == "under_review",
        "cancel_form": forms_.get("cancel_form") or CancelForm(),
        "hold_form": forms_.get("hold_form") or HoldForm(),
        "note_form": forms_.get("note_form") or NoteForm(),
        "address_form": forms_.get("address_form"),
        "regions": region_tree() if full else {},
    }


@staff_view(VIEW)
def order_detail(request, number: str):
    try:
        context = _page_context(request, number)
    except DomainError:
        raise Http404("No such order") from None
    return render(request, "backoffice/orders/detail.html", context)


def _order_or_404(number: str) -> Order:
    order = Order.objects.filter(number=number).only("pk", "number").first()
    if order is None:
        raise Http404("No such order")
    return order


def _act(request, number: str, form, run, *, form_name: str, done: str):
    """Validate `form`, call `run(order, data)`; on a refusal show the page again with
    the error on the form (400), on success go back to the order page."""
    order = _order_or_404(number)
    if form.is_valid():
        try:
            run(order, form.cleaned_data)
        except DomainError as exc:
            if exc.status == 403:
                return forbidden(request)
            add_errors_to_form(form, exc)
            messages.error(request, message_of(exc))
        else:
            messages.success(request, done)
            return redirect("backoffice:order_detail", number=number)
    context = _page_context(request, number, **{form_name: form})
    return render(request, "backoffice/orders/detail.html", context, status=400)


@require_POST
@staff_view("orders.cancel_order")
def order_cancel(request, number: str):
    return _act(
        request,
        number,
        CancelForm(request.POST),
        lambda order, data: cancel_order(
            order_id=order.pk, actor=request.user, reason=data["reason"], by_customer=False
        ),
        form_name="cancel_form",
        done=_("The order is cancelled."),
    )


@require_POST
@staff_view(("orders.change_delivery",))
def order_address(request, number: str):
    if not request.user.has_perm("core.view_full_phone"):
        return forbidden(request)
    return _act(
        request,
        number,
        AddressForm(request.POST),
        lambda order, data: actions.change_delivery(
            order_id=order.pk,
            actor=request.user,
            address=DeliveryAddress(**{k: data[k] for k in actions.ADDRESS_FIELDS}),
            confirmation=data["confirmation"],
        ),
        form_name="address_form",
        done=_("The delivery address is changed."),
    )


@require_POST
@staff_view("orders.hold_order")
def order_hold(request, number: str):
    return _act(
        request,
        number,
        HoldForm(request.POST),
        lambda order, data: actions.hold_order(
            order_id=order.pk, actor=request.user, reason=data["reason"]
        ),
        form_name="hold_form",
        done=_("The order is on hold."),
    )


@require_POST
@staff_view("orders.hold_order")
def order_release(request, number: str):
    order = _order_or_404(number)
    try:
        actions.release_hold(order_id=order.pk, actor=request.user)
    except DomainError as exc:
        messages.error(request, message_of(exc))
    else:
        messages.success(request, _("The hold is released."))
    return redirect("backoffice:order_detail", number=number)


@require_POST
@staff_view(VIEW)
def order_note(request, number: str):
    return _act(
        request,
        number,
        NoteForm(request.POST),
        lambda order, data: actions.add_note(
            order_id=order.pk, actor=request.user, text=data["text"]
        ),
        form_name="note_form",
        done=_("Note added."),
    )


def payment_link(request, order: Order) -> str:
    """The page where the customer pays: the member's order page, or the guest's signed link."""
    if order.customer_id:
        path = reverse("storefront:order_pay", args=[order.number])
    else:
        token = guest_link_token(number=order.number, guest_token=order.guest_token)
        path = reverse("storefront:guest_order_pay", args=[token])
    return request.build_absolute_uri(path)


@require_POST
@staff_view("orders.send_payment_link")
def order_payment_link(request, number: str):
    order = Order.objects.filter(number=number).first()
    if order is None:
        raise Http404("No such order")
    try:
        actions.send_payment_link(
            order_id=order.pk, actor=request.user, link=payment_link(request, order)
        )
    except SmsDeliveryFailed:
        messages.error(request, _("The SMS could not be sent; try again later."))
    except DomainError as exc:
        messages.error(request, message_of(exc))
    else:
        messages.success(request, _("The payment link was sent to the customer again."))
    return redirect("backoffice:order_detail", number=number)

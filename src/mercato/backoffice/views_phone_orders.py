"""Phone orders (电话下单) for customer service: find or create the caller's account, put
SKUs in the phone order's cart, choose the address and payment, place it through
checkout (checkout.phone → checkout.placement.place_order)."""

import uuid

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mercato.cart.selectors import cart_summary
from mercato.checkout import phone
from mercato.core.errors import DomainError
from mercato.customers.selectors import addresses_of
from mercato.inventory.allocation import OutOfStock
from mercato.orders.services import DeliveryAddress
from mercato.payments.gateways import enabled_methods

from .access import forbidden, staff_view
from .messages_i18n import add_errors_to_form, message_of
from .views_orders import AddressForm

PERM = "orders.place_phone_order"


class StartForm(forms.Form):
    mobile = forms.CharField(label=gettext_lazy("Customer's mobile number"), max_length=20)
    name = forms.CharField(
        label=gettext_lazy("Name (for a new customer)"), max_length=40, required=False
    )


class LineForm(forms.Form):
    sku_code = forms.CharField(label=gettext_lazy("SKU code or barcode"), max_length=40)
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), min_value=1, initial=1)


class PlaceForm(AddressForm):
    address_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    payment_method = forms.ChoiceField(label=gettext_lazy("Payment method"))
    note = forms.CharField(label=gettext_lazy("Order note"), max_length=200, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payment_method"].choices = [(m.code, m.label) for m in enabled_methods()]
        self.fields["confirmation"].required = False
        self.fields["confirmation"].widget = forms.HiddenInput()


@staff_view(PERM)
def phone_order_start(request):
    form = StartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cart = phone.start_phone_order(
                actor=request.user,
                mobile=form.cleaned_data["mobile"],
                name=form.cleaned_data["name"],
            )
        except DomainError as exc:
            if exc.status == 403:
                return forbidden(request)
            add_errors_to_form(form, exc)
        else:
            return redirect("backoffice:phone_order", cart_id=cart.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "backoffice/orders/phone_start.html", {"form": form}, status=status)


def _page(request, cart, *, line_form=None, place_form=None, status=200):
    customer = cart.customer
    addresses = list(addresses_of(customer=customer))
    if place_form is None:
        default = addresses[0] if addresses else None
        initial = {"idempotency_key": uuid.uuid4().hex, "payment_method": "cod"}
        if default is not None:
            initial.update(
                {
                    k: getattr(default, k)
                    for k in ("recipient", "mobile", "province", "city", "district", "detail")
                }  # fmt: skip
            )
        else:
            initial.update({"mobile": customer.mobile, "recipient": customer.name})
        place_form = PlaceForm(initial=initial)
    context = {
        "cart": cart,
        "customer": customer,
        "summary": cart_summary(cart=cart),
        "addresses": addresses,
        "line_form": line_form or LineForm(),
        "place_form": place_form,
    }
    return render(request, "backoffice/orders/phone_order.html", context, status=status)


def _cart(request, cart_id):
    return phone.phone_cart(actor=request.user, cart_id=cart_id)


@staff_view(PERM)
def phone_order(request, cart_id: int):
    try:
        cart = _cart(request, cart_id)
    except DomainError:
        raise Http404("No such phone order (placed or discarded)") from None
    return _page(request, cart)


@require_POST
@staff_view(PERM)
def phone_order_add(request, cart_id: int):
    cart = _cart(request, cart_id)
    form = LineForm(request.POST)
    if form.is_valid():
        try:
            phone.add_phone_order_line(
                actor=request.user,
                cart_id=cart.pk,
                sku_code=form.cleaned_data["sku_code"],
                quantity=form.cleaned_data["quantity"],
            )
        except DomainError as exc:
            add_errors_to_form(form, exc, {"sku_id": "sku_code"})
        else:
            return redirect("backoffice:phone_order", cart_id=cart.pk)
    return _page(request, cart, line_form=form, status=400)


@require_POST
@staff_view(PERM)
def phone_order_remove(request, cart_id: int, line_id: int):
    try:
        phone.remove_phone_order_line(actor=request.user, cart_id=cart_id, line_id=line_id)
    except DomainError as exc:
        messages.error(request, message_of(exc))
    return redirect("backoffice:phone_order", cart_id=cart_id)


@require_POST
@staff_view(PERM)
def phone_order_place(request, cart_id: int):
    cart = _cart(request, cart_id)
    form = PlaceForm(request.POST)
    if not form.is_valid():
        return _page(request, cart, place_form=form, status=400)
    data = form.cleaned_data
    try:
        placement = phone.place_phone_order(
            actor=request.user,
            cart_id=cart.pk,
            address=DeliveryAddress(
                **{
                    k: data[k]
                    for k in ("recipient", "mobile", "province", "city", "district", "detail")
                }  # fmt: skip
            ),
            payment_method=data["payment_method"],
            idempotency_key=data["idempotency_key"],
            note=data["note"],
        )
    except OutOfStock as exc:
        messages.error(request, message_of(exc))
        return _page(request, cart, place_form=form, status=409)
    except DomainError as exc:
        if exc.status == 403:
            return forbidden(request)
        add_errors_to_form(form, exc, {"address.mobile": "mobile", "lines": None, "cart": None})
        messages.error(request, message_of(exc))
        return _page(request, cart, place_form=form, status=400)
    messages.success(request, _("Order %(number)s placed.") % {"number": placement.order.number})
    return redirect("backoffice:order_detail", number=placement.order.number)


@require_POST
@staff_view(PERM)
def phone_order_cancel(request, cart_id: int):
    try:
        phone.cancel_phone_order(actor=request.user, cart_id=cart_id)
    except DomainError as exc:
        messages.error(request, message_of(exc))
    return redirect("backoffice:order_list")

"""Returns and exchanges for customers (退换货): the request from a delivered order's page
(lines, reason, photos; for an exchange the SKU wanted), the request's own page with its
status, the form to say the goods are on their way back, and withdrawing it."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mercato.aftersales import services
from mercato.aftersales.models import ReturnKind, ReturnReason, ReturnRequest
from mercato.catalog.models import ProductStatus, Sku
from mercato.core.errors import DomainError
from mercato.orders import selectors
from mercato.orders.models import OrderLine

from .views_account import customer_required


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(PhotosField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class ReturnForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What would you like?"),
        choices=ReturnKind.choices,
        widget=forms.RadioSelect,
        initial=ReturnKind.RETURN,
    )
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), choices=ReturnReason.choices)
    description = forms.CharField(
        label=gettext_lazy("Describe the problem"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photos = PhotosField(label=gettext_lazy("Photos (up to 6)"), required=False)

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.order_lines = list(lines)
        for line in self.order_lines:
            self.fields[f"qty_{line.pk}"] = forms.IntegerField(
                label=f"{line.product_name} ({line.sku_code})",
                min_value=0,
                max_value=line.quantity,
                initial=0,
                required=False,
            )
            choices = [("", _("The same item"))] + [
                (sku.pk, " ".join(str(v) for v in sku.specs.values()) or sku.code)
                for sku in line.alternatives
            ]
            self.fields[f"swap_{line.pk}"] = forms.ChoiceField(
                label=_("Exchange for"), choices=choices, required=False
            )

    def line_rows(self):
        return [
            (line, self[f"qty_{line.pk}"], self[f"swap_{line.pk}"]) for line in self.order_lines
        ]

    def wanted(self) -> list[services.LineRequest]:
        rows = []
        for line in self.order_lines:
            quantity = self.cleaned_data.get(f"qty_{line.pk}") or 0
            if quantity:
                swap = self.cleaned_data.get(f"swap_{line.pk}")
                rows.append(services.LineRequest(line.pk, quantity, int(swap) if swap else None))
        return rows


def _lines_with_alternatives(order) -> list[OrderLine]:
    lines = list(order.lines.all())
    skus = {
        sku.pk: sku
        for sku in Sku.objects.filter(
            product_id__in={ln.product_id for ln in lines},
            is_active=True,
            product__status=ProductStatus.ON_SALE,
        )
    }
    for line in lines:
        line.alternatives = [s for s in skus.values() if s.product_id == line.product_id]
    return lines


def _order(request, number):
    try:
        return selectors.order_for_customer(customer=request.customer, number=number)
    except DomainError:
        raise Http404(_("No such order.")) from None


@customer_required
def order_return(request, number: str):
    order = _order(request, number)
    lines = _lines_with_alternatives(order)
    form = ReturnForm(request.POST or None, request.FILES or None, lines=lines)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                created = services.request_return(
                    customer=request.customer,
                    order_number=order.number,
                    kind=form.cleaned_data["kind"],
                    reason=form.cleaned_data["reason"],
                    description=form.cleaned_data["description"],
                    lines=form.wanted(),
                    photos=form.cleaned_data["photos"],
                )
            except DomainError as exc:
                for error in exc.errors() or [{"field": None, "message": exc.message}]:
                    form.add_error(None, _(str(error["message"])))
                status = 409 if exc.status == 409 else 400
            else:
                messages.success(request, _("Your request %(n)s is sent.") % {"n": created.number})
                return redirect("storefront:return_detail", number=created.number)
    return render(
        request, "storefront/orders/return_form.html", {"order": order, "form": form}, status=status
    )


def _own_return(request, number) -> ReturnRequest:
    request_ = (
        ReturnRequest.objects.filter(number=number, customer=request.customer)
        .select_related("order")
        .prefetch_related("lines__order_line", "lines__replacement_sku", "events", "photos")
        .first()
    )
    if request_ is None:
        raise Http404(_("No such return."))
    return request_


class ParcelBackForm(forms.Form):
    carrier = forms.CharField(label=gettext_lazy("Carrier"), max_length=40)
    waybill_no = forms.CharField(label=gettext_lazy("Waybill number"), max_length=30)


@customer_required
def return_detail(request, number: str, form=None, status=200):
    item = _own_return(request, number)
    context = {"item": item, "form": form or ParcelBackForm()}
    return render(request, "storefront/orders/return_detail.html", context, status=status)


@require_POST
@customer_required
def return_parcel(request, number: str):
    item = _own_return(request, number)
    form = ParcelBackForm(request.POST)
    if form.is_valid():
        try:
            services.record_return_parcel(
                customer=request.customer,
                return_id=item.pk,
                carrier=form.cleaned_data["carrier"],
                waybill_no=form.cleaned_data["waybill_no"],
            )
        except DomainError as exc:
            form.add_error(
                None, _(str(exc.errors()[0]["message"] if exc.errors() else exc.message))
            )
        else:
            messages.success(request, _("Thank you: we will check the goods when they arrive."))
            return redirect("storefront:return_detail", number=number)
    return return_detail.__wrapped__(request, number, form=form, status=400)


@require_POST
@customer_required
def return_cancel(request, number: str):
    item = _own_return(request, number)
    try:
        services.cancel_return(customer=request.customer, return_id=item.pk)
    except DomainError as exc:
        messages.error(request, _(exc.message))
    else:
        messages.success(request, _("Your request is withdrawn."))
    return redirect("storefront:return_detail", number=number)

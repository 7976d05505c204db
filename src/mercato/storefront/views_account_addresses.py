"""The customer's address book: list, add (with paste-to-fill), edit, default, delete, and
the region selects that follow the chosen province and city (htmx)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mercato.core.errors import ValidationFailed
from mercato.customers import selectors, services
from mercato.customers.models import Address

from . import forms_account as forms
from .views_account import customer_required

PASTE_MAX_CHARS = 300


# Address book --------------------------------------------------------------------------
@customer_required
def addresses(request):
    context = {"addresses": selectors.addresses_of(customer=request.customer)}
    return render(request, "storefront/account/addresses.html", context)


def _address_of(request, address_id: int) -> Address:
    try:
        return request.customer.addresses.get(pk=address_id)
    except Address.DoesNotExist:
        raise Http404(_("No such address.")) from None


def _clean_paste(text: str) -> str:
    # Drop control characters and keep it short: cpca gets what a person would paste.
    return "".join(ch if ch.isprintable() else " " for ch in text)[:PASTE_MAX_CHARS]


def _parsed_form(pasted: str) -> tuple[forms.AddressForm, list[str]]:
    """An unbound form filled from a pasted address, and the names of the parts not found."""
    parsed = services.parse_address(_clean_paste(pasted))
    initial = {
        "recipient": parsed.recipient,
        "mobile": parsed.mobile,
        "province": parsed.province,
        "city": parsed.city,
        "district": parsed.district,
        "detail": parsed.detail,
        "postcode": parsed.postcode,
    }
    form = forms.AddressForm(initial=initial)
    labels = {"recipient": _("recipient"), "mobile": _("mobile number"),
              "province": _("province"), "city": _("city"),
              "district": _("district"), "detail": _("street address")}  # fmt: skip
    missing = [str(label) for name, label in labels.items() if not initial[name]]
    return form, missing


def _address_page(request, *, address: Address | None):
    """New or edit: the paste box, the form, and saving through the customers services."""
    initial = {}
    if address is not None:
        initial = {f: getattr(address, f) for f in ("recipient", "mobile", "province", "city",
                   "district", "detail", "postcode", "is_default")}  # fmt: skip
    form, status, parsed_missing, pasted = forms.AddressForm(initial=initial), 200, None, ""
    if request.method == "POST" and request.POST.get("action") == "parse":
        pasted = request.POST.get("pasted", "")
        form, parsed_missing = _parsed_form(pasted)
        if request.htmx:
            context = {"form": form, "parsed_missing": parsed_missing, "parsed": True}
            return render(request, "storefront/account/_address_fields.html", context)
    elif request.method == "POST":
        form = forms.AddressForm(request.POST)
        if form.is_valid():
            try:
                if address is None:
                    services.add_address(
                        actor=request.user, customer_id=request.customer.pk, **form.cleaned_data
                    )
                else:
                    services.update_address(
                        actor=request.user, customer_id=request.customer.pk,
                        address_id=address.pk, **form.cleaned_data,
                    )  # fmt: skip
            except ValidationFailed as exc:
                forms.add_service_errors(form, exc)
            else:
                messages.success(request, _("The address was saved."))
                return redirect("storefront:addresses")
        status = 400
    context = {
        "form": form,
        "address": address,
        "parsed_missing": parsed_missing,
        "parsed": parsed_missing is not None,
        "pasted": pasted,
    }
    return render(request, "storefront/account/address_form.html", context, status=status)


@customer_required
@require_http_methods(["GET", "POST"])
def address_new(request):
    return _address_page(request, address=None)


@customer_required
@require_http_methods(["GET", "POST"])
def address_edit(request, address_id: int):
    return _address_page(request, address=_address_of(request, address_id))


@customer_required
@require_POST
def address_delete(request, address_id: int):
    address = _address_of(request, address_id)
    services.delete_address(
        actor=request.user, customer_id=request.customer.pk, address_id=address.pk
    )
    messages.success(request, _("The address was deleted."))
    return redirect("storefront:addresses")


@customer_required
@require_POST
def address_default(request, address_id: int):
    address = _address_of(request, address_id)
    services.set_default_address(
        actor=request.user, customer_id=request.customer.pk, address_id=address.pk
    )
    return redirect("storefront:addresses")


@customer_required
@require_GET
def address_regions(request):
    """The province, city and district selects for the chosen province and city (htmx)."""
    data = {k: request.GET.get(k, "")[:30] for k in ("province", "city", "district")}
    if data["city"] not in selectors.cities_of(data["province"]):
        data["city"] = data["district"] = ""
    form = forms.AddressForm(initial=data)
    return render(request, "storefront/account/_region_fields.html", {"form": form})

"""The checkout page: delivery address, the parcels and totals before paying, invoice,
payment method, note; and placing the order.

Placement is protected twice: a hidden idempotency key made when the page renders (a double
click or a retried POST answers with the order the first POST placed), and the total the
customer saw (expected_total), which checkout.placement compares with the total now.
"""

import dataclasses

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mercato.cart.models import CartLine
from mercato.checkout.placement import place_order, quote_checkout
from mercato.checkout.services import free_shipping_threshold
from mercato.core.errors import DomainError, ValidationFailed
from mercato.customers import selectors as customer_selectors
from mercato.customers import services as customer_services
from mercato.customers.models import Address
from mercato.inventory.allocation import OutOfStock
from mercato.orders.links import GUEST_LINKS_SESSION_KEY, guest_link_token
from mercato.orders.models import OrderStatus
from mercato.orders.selectors import order_for_idempotency_key
from mercato.orders.services import DeliveryAddress
from mercato.payments.gateways import enabled_methods
from mercato.promotions.selectors import usable_coupons

from . import forms_checkout as forms
from .cartctx import cart_for_request, request_customer
from .forms_checkout import ADDRESS_FIELDS
from .views import _province
from .views_account_addresses import _parsed_form

GUEST_LINKS_KEY = GUEST_LINKS_SESSION_KEY
GUEST_LINKS_KEPT = 20


# Where an order lives ------------------------------------------------------------------
def order_url(order) -> str:
    """The order's page: in the account for members, behind the signed link for guests."""
    if order.customer_id:
        return reverse("storefront:order_detail", args=[order.number])
    token = guest_link_token(number=order.number, guest_token=order.guest_token)
    return reverse("storefront:guest_order", args=[token])


def pay_url(order) -> str:
    if order.customer_id:
        return reverse("storefront:order_pay", args=[order.number])
    token = guest_link_token(number=order.number, guest_token=order.guest_token)
    return reverse("storefront:guest_order_pay", args=[token])


def guest_links(request) -> dict[str, str]:
    """The guest orders of this session: order number → signed link token."""
    links = request.session.get(GUEST_LINKS_KEY)
    return links if isinstance(links, dict) else {}


def remember_guest_order(request, order) -> None:
    """Keep the guest's signed link in the session so they can come back to the order.

    One per order: a link token carries the time it was signed, so two tokens of the same
    order differ (both valid); the first one kept is the one shown again.
    """
    links = guest_links(request)
    if order.number in links:
        return
    token = guest_link_token(number=order.number, guest_token=order.guest_token)
    kept = list(links.items())[-(GUEST_LINKS_KEPT - 1) :]
    request.session[GUEST_LINKS_KEY] = dict([*kept, (order.number, token)])


def _after_placement(order):
    """COD orders wait for review and need no payment step; the others go to pay."""
    if order.status == OrderStatus.PENDING_PAYMENT:
        return redirect(pay_url(order))
    return redirect(order_url(order))


# The address chosen ----------------------------------------------------------------------
def _address_choice(data, addresses: list[Address]) -> str:
    """The book address id chosen, or NEW_ADDRESS; members start on their default one."""
    choice = data.get("address_id") or ""
    ids = {str(a.pk) for a in addresses}
    if choice in ids or choice == forms.NEW_ADDRESS:
        return choice
    if choice:
        # Another customer's address id, or a deleted one: never theirs to ship to.
        raise Http404(_("No such address."))
    default = next((a for a in addresses if a.is_default), addresses[0] if addresses else None)
    return str(default.pk) if default else forms.NEW_ADDRESS


def _book_address(addresses: list[Address], choice: str) -> Address | None:
    return next((a for a in addresses if str(a.pk) == choice), None)


def _address_form(request, data, *, bound: bool) -> forms.CheckoutAddressForm:
    if bound:
        return forms.CheckoutAddressForm(data)
    initial = {k: data.get(k, "") for k in ADDRESS_FIELDS}
    initial["province"] = initial["province"] or _province(request)
    return forms.CheckoutAddressForm(initial=initial)


def _quote_province(book_address: Address | None, address_form) -> str:
    if book_address is not None:
        return book_address.province
    if address_form.is_bound:
        return address_form.data.get("province", "")
    return address_form.initial.get("province", "")


# The quote (lines, parcels, fee, totals) -------------------------------------------------
def coupon_code_of(data) -> str:
    """The coupon asked for: a code typed in, else one of the member's chosen."""
    return (data.get("coupon_code") or "").strip()[:20] or (data.get("coupon") or "")[:20]


def points_of(data) -> str:
    """The points the member asked to use (积分抵现); checked by checkout."""
    return (data.get("points") or "").strip()[:9]


def quote_context(cart, province: str, coupon_code: str = "", points: str = "") -> dict:
    """The quote for `province` (with the coupon asked for), or the message saying why
    there is none yet."""
    if not province:
        return {"quote": None, "quote_message": _("Choose a province to see shipping and parcels.")}
    try:
        quote = quote_checkout(cart=cart, province=province, coupon_code=coupon_code, points=points)
    except DomainError as exc:  # sold out, no shipping to this province, unknown province
        return {"quote": None, "quote_message": exc.message, "quote_error": True}
    names = {line.sku_id: line for line in quote.lines}
    parcels = [
        {
            "warehouse": parcel.warehouse,
            "lines": [(names.get(sku_id), quantity) for sku_id, quantity in parcel.lines],
        }
        for parcel in quote.parcels
    ]
    warehouses = "、".join(p.warehouse.name for p in quote.parcels)
    return {
        "quote": quote,
        "quote_lines": list(zip(quote.lines, quote.totals.lines, strict=True)),
        "parcels": parcels,
        "parcel_summary": _("This order ships in %(count)d parcels, from %(warehouses)s.")
        % {"count": len(parcels), "warehouses": warehouses}
        if len(parcels) > 1
        else _("This order ships in one parcel, from %(warehouse)s.") % {"warehouse": warehouses},
        "free_shipping_threshold": free_shipping_threshold(),
    }


def _nothing_selected(cart) -> bool:
    return cart is None or not CartLine.objects.filter(cart=cart, selected=True).exists()


def _to_cart(request):
    messages.info(request, _("Select the items you want to buy in your cart first."))
    return redirect("storefront:cart")


def _page(request, *, cart, data=None, form=None, address_form=None, status=200, notice=""):
    """The checkout page for the data given (GET parameters, or a POST that failed)."""
    data = data if data is not None else {}
    customer = request_customer(request)
    addresses = list(customer_selectors.addresses_of(customer=customer)) if customer else []
    choice = _address_choice(data, addresses)
    book_address = _book_address(addresses, choice)
    if address_form is None:
        address_form = _address_form(request, data, bound=False)
    methods = enabled_methods()
    if form is None:
        initial = {
            "idempotency_key": forms.posted_key(data),
            "payment_method": methods[0].code if methods else "",
        }
        form = forms.CheckoutForm(initial=initial, methods=methods)
    province = _quote_province(book_address, address_form)
    coupon_code = coupon_code_of(data)
    context = {
        "coupon_code": (data.get("coupon_code") or "").strip()[:20],
        "coupon_choice": data.get("coupon") or "",
        "my_coupons": list(usable_coupons(customer_id=customer.pk)) if customer else [],
        "form": form,
        "address_form": address_form,
        "addresses": addresses,
        "address_choice": choice,
        "customer": customer,
        "notice": notice,
        "next": reverse("storefront:checkout"),
        "points": points_of(data),
        **quote_context(cart, province, coupon_code, points_of(data)),
    }
    return render(request, "storefront/checkout/checkout.html", context, status=status)


# Views -------------------------------------------------------------------------------------
@require_GET
def checkout(request):
    cart = cart_for_request(request)
    if _nothing_selected(cart):
        return _to_cart(request)
    return _page(request, cart=cart, data=request.GET)


@require_GET
def checkout_quote(request):
    """The quote panel for the address chosen now (htmx, on every address change)."""
    cart = cart_for_request(request)
    if _nothing_selected(cart):
        return render(request, "storefront/checkout/_quote.html", {"quote": None})
    customer = request_customer(request)
    addresses = list(customer_selectors.addresses_of(customer=customer)) if customer else []
    book_address = _book_address(addresses, _address_choice(request.GET, addresses))
    province = book_address.province if book_address else request.GET.get("province", "")[:20]
    context = quote_context(cart, province, coupon_code_of(request.GET), points_of(request.GET))
    return render(request, "storefront/checkout/_quote.html", context)


@require_GET
def checkout_regions(request):
    """The province, city and district selects for the chosen province and city (htmx);
    guests need them too, so this is not the address book's account-only endpoint."""
    data = {k: request.GET.get(k, "")[:30] for k in ("province", "city", "district")}
    if data["city"] not in customer_selectors.cities_of(data["province"]):
        data["city"] = data["district"] = ""
    form = forms.CheckoutAddressForm(initial=data)
    customer = request_customer(request)
    addresses = list(customer_selectors.addresses_of(customer=customer)) if customer else []
    context = {"address_form": form, "addresses": addresses}
    response = render(request, "storefront/checkout/_regions_answer.html", context)
    if addresses:
        # The choice moved to the new address after the quote for this change was asked
        # for: ask again once the swap is in.
        response["HX-Trigger-After-Settle"] = "addressChanged"
    return response


@require_POST
def checkout_parse(request):
    """Fill the address fields from a pasted address (htmx; the page works without it)."""
    pasted = request.POST.get("pasted", "")
    parsed, missing = _parsed_form(pasted)
    address_form = forms.CheckoutAddressForm(initial=parsed.initial)
    if not request.htmx:  # without JavaScript: the whole page, with the fields filled
        cart = cart_for_request(request)
        if _nothing_selected(cart):
            return _to_cart(request)
        data = {"address_id": forms.NEW_ADDRESS, **address_form.initial}
        return _page(request, cart=cart, data=data, address_form=address_form)
    customer = request_customer(request)
    context = {
        "address_form": address_form,
        "parsed_missing": missing,
        "parsed": True,
        "customer": customer,
        "addresses": list(customer_selectors.addresses_of(customer=customer)) if customer else [],
    }
    response = render(request, "storefront/checkout/_parsed.html", context)
    # The swap fires no change event: once the new fields are in, tell the quote panel.
    response["HX-Trigger-After-Settle"] = "addressChanged"
    return response


@require_http_methods(["POST"])
def checkout_place(request):
    customer = request_customer(request)
    key = (request.POST.get("idempotency_key") or "").strip()
    # The second POST of a double click finds the cart emptied by the first: answer it with
    # the order the first one placed before looking at the cart.
    if forms.KEY_PATTERN.match(key) and (
        placed := order_for_idempotency_key(
            customer=customer, key=key, session_key=request.session.session_key or ""
        )
    ):
        return _after_placement(placed)
    cart = cart_for_request(request)
    if _nothing_selected(cart):
        return _to_cart(request)

    data = request.POST
    addresses = list(customer_selectors.addresses_of(customer=customer)) if customer else []
    choice = _address_choice(data, addresses)
    book_address = _book_address(addresses, choice)
    address_form = _address_form(request, data, bound=book_address is None)
    form = forms.CheckoutForm(data, methods=enabled_methods())
    # `&`, not `and`: both forms are validated so every error shows at once.
    valid = form.is_valid() & (book_address is not None or address_form.is_valid())

    def again(status, notice=""):
        return _page(
            request, cart=cart, data=data, form=form, address_form=address_form,
            status=status, notice=notice,
        )  # fmt: skip

    if not valid:
        return again(400)
    if book_address is not None:
        address = DeliveryAddress(**{k: getattr(book_address, k) for k in ADDRESS_FIELDS})
    else:
        address = address_form.delivery_address()
    try:
        placement = place_order(
            cart=cart,
            customer=customer,
            address=address,
            payment_method=form.cleaned_data["payment_method"],
            idempotency_key=form.cleaned_data["idempotency_key"],
            invoice=form.invoice(),
            note=form.cleaned_data["note"].strip(),
            expected_total=form.cleaned_data["expected_total"],
            actor=request.user if customer else None,
            client_ip=request.META.get("REMOTE_ADDR", ""),
            coupon_code=coupon_code_of(data),
            points=points_of(data),
        )
    except OutOfStock as exc:
        return again(409, exc.message)
    except ValidationFailed as exc:
        if "expected_total" in exc.field_errors:
            # The page shows the new totals (and carries the new expected_total with them);
            # the customer confirms by placing again.
            return again(409, _("The price has changed; please check the new total and confirm."))
        # Each error goes to the form that has its field; the rest show above the form.
        for field, errors in exc.field_errors.items():
            on_address = address_form.is_bound and field in address_form.fields
            target = address_form if on_address else form
            for message in errors:
                target.add_error(field if field in target.fields else None, str(message))
        return again(400)
    except DomainError as exc:
        return again(exc.status, exc.message)

    order = placement.order
    if placement.created:
        _keep_address(request, customer, address_form, address)
        if order.customer_id is None:
            remember_guest_order(request, order)
        if order.status == OrderStatus.COD_CONFIRMED:
            messages.success(request, _("Cash on delivery: your order awaits review."))
    response = _after_placement(order)
    if request.headers.get("X-Requested-With") == "fetch":
        # The checkout page's script goes there itself: a redirect that fetch followed would
        # render the page once unseen and spend the flash message on it.
        return JsonResponse({"location": response.url})
    return response


def _keep_address(request, customer, address_form, address: DeliveryAddress) -> None:
    """Save a new address to the member's book when asked; the order is placed either way."""
    if customer is None or not address_form.is_bound:
        return
    if not address_form.cleaned_data.get("save_address"):
        return
    try:
        customer_services.add_address(
            actor=request.user, customer_id=customer.pk, **dataclasses.asdict(address)
        )
    except ValidationFailed:
        messages.warning(request, _("The order was placed, but the address could not be saved."))

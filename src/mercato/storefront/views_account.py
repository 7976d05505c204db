"""Customer account pages: sign-up, log-in, password reset, profile and address book.

Sending a code is a second submit button on the same form (name="action" value="send"), so
the pages work without JavaScript; htmx only refreshes the region selects and fills the
address form from a pasted address.
"""

import logging
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from mercato.core.errors import ValidationFailed
from mercato.customers import accounts, selectors, services
from mercato.customers.models import Address, CodePurpose
from mercato.customers.sms import SmsDeliveryFailed

from . import forms_account as forms

logger = logging.getLogger(__name__)
User = get_user_model()
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
PASTE_MAX_CHARS = 300


# Helpers -------------------------------------------------------------------------------
def customer_required(view):
    """Only a logged-in user with a Customer profile; staff without one are sent to log in."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        customer = None
        if request.user.is_authenticated:
            try:
                customer = request.user.customer
            except ObjectDoesNotExist:
                messages.error(request, _("This account has no customer profile."))
        if customer is None:
            return redirect_to_login(request.get_full_path(), reverse("storefront:login"))
        request.customer = customer
        return view(request, *args, **kwargs)

    return wrapper


def _rate_limited(request, *, action: str, subject: str) -> str:
    """'' when allowed, else the message to show. Counts this request against the rates per
    IP address and per number (or email address) for the action ("code" or "login")."""
    rates = settings.MERCATO_ACCOUNT_RATE_LIMITS
    by_subject = is_ratelimited(
        request,
        group=f"account-{action}-subject",
        key=lambda _group, _request: subject,
        rate=rates[f"{action}_per_number"],
        increment=True,
    )
    by_ip = is_ratelimited(
        request,
        group=f"account-{action}-ip",
        key="ip",
        rate=rates[f"{action}_per_ip"],
        increment=True,
    )
    if by_subject:
        return (
            _("Too many codes were requested for this number. Please try again later.")
            if action == "code"
            else _("Too many log-in attempts for this account. Please try again later.")
        )
    if by_ip:
        return _("Too many requests from your network. Please try again later.")
    return ""


def _send_code(request, form, *, purpose: str) -> int:
    """Handle the "send code" button of a form with a mobile field; returns the HTTP status."""
    mobile = form.cleaned_data.get("mobile") if "mobile" in form.cleaned_data else None
    if not mobile:
        return 400
    limited = _rate_limited(request, action="code", subject=mobile)
    if limited:
        form.add_error(None, limited)
        return 429
    try:
        accounts.send_sms_code(mobile=mobile, purpose=purpose)
    except ValidationFailed as exc:
        forms.add_service_errors(form, exc)
        return 400
    except SmsDeliveryFailed:
        logger.exception("SMS delivery failed")
        form.add_error(None, _("The SMS could not be sent. Please try again later."))
        return 503
    form.code_sent = True
    return 200


def _bound_fields_without(form_class, data, *, optional: tuple[str, ...]):
    """The form, validated; the named fields only matter for the final submit."""
    form = form_class(data)
    form.is_valid()
    for name in optional:
        form.errors.pop(name, None)
    return form


def _next_url(request, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _log_in(request, user) -> HttpResponseRedirect:
    login(request, user, backend=getattr(user, "backend", MODEL_BACKEND))
    return redirect(_next_url(request, reverse("storefront:account")))


def _require(form, name: str, message: str) -> bool:
    if not form.cleaned_data.get(name):
        form.add_error(name, message)
        return False
    return True


# Sign-up -------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def signup(request):
    """Sign up with a mobile number proven by an SMS code, and an optional password."""
    form, status = forms.MobileSignUpForm(), 200
    if request.method == "POST":
        form = forms.MobileSignUpForm(request.POST)
        if form.is_valid():
            if request.POST.get("action") == "send":
                status = _send_code(request, form, purpose=CodePurpose.SIGNUP)
            elif _require(form, "code", _("Enter the 6-digit code from the SMS.")):
                try:
                    customer = accounts.sign_up_by_mobile(
                        mobile=form.cleaned_data["mobile"],
                        code=form.cleaned_data["code"],
                        password=form.cleaned_data["password"],
                        name=form.cleaned_data["name"],
                    )
                except ValidationFailed as exc:
                    forms.add_service_errors(form, exc)
                else:
                    messages.success(request, _("Welcome! Your account is ready."))
                    return _log_in(request, customer.user)
        status = status if status != 200 or not form.errors else 400
    return render(request, "storefront/account/signup.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def signup_email(request):
    form, status = forms.EmailSignUpForm(), 200
    if request.method == "POST":
        form = forms.EmailSignUpForm(request.POST)
        if form.is_valid():
            try:
                customer = accounts.sign_up_by_email(**form.cleaned_data)
            except ValidationFailed as exc:
                forms.add_service_errors(form, exc)
            else:
                messages.success(request, _("Welcome! Your account is ready."))
                return _log_in(request, customer.user)
        status = 400
    return render(request, "storefront/account/signup_email.html", {"form": form}, status=status)


# Log-in --------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def login_view(request):
    """Log in with a mobile number or email address and a password."""
    form, status = forms.PasswordLogInForm(), 200
    if request.method == "POST":
        form = forms.PasswordLogInForm(request.POST)
        if form.is_valid():
            login_name = form.cleaned_data["login"].strip().lower()
            limited = _rate_limited(request, action="login", subject=login_name)
            if limited:
                form.add_error(None, limited)
                status = 429
            else:
                try:
                    user = accounts.log_in_by_password(
                        request=request, login=login_name, password=form.cleaned_data["password"]
                    )
                except ValidationFailed as exc:
                    forms.add_service_errors(form, exc)
                else:
                    return _log_in(request, user)
        status = status if status != 200 else 400
    context = {"form": form, "next": _next_url(request, "")}
    return render(request, "storefront/account/login.html", context, status=status)


@require_http_methods(["GET", "POST"])
def login_code(request):
    """Log in with a mobile number and an SMS code."""
    form, status = forms.CodeLogInForm(), 200
    if request.method == "POST":
        form = forms.CodeLogInForm(request.POST)
        if form.is_valid():
            mobile = form.cleaned_data["mobile"]
            if request.POST.get("action") == "send":
                status = _send_code(request, form, purpose=CodePurpose.LOGIN)
            elif _require(form, "code", _("Enter the 6-digit code from the SMS.")):
                limited = _rate_limited(request, action="login", subject=mobile)
                if limited:
                    form.add_error(None, limited)
                    status = 429
                else:
                    try:
                        user = accounts.log_in_by_code(
                            mobile=mobile, code=form.cleaned_data["code"]
                        )
                    except ValidationFailed as exc:
                        forms.add_service_errors(form, exc)
                    else:
                        return _log_in(request, user)
        status = status if status != 200 or not form.errors else 400
    context = {"form": form, "next": _next_url(request, "")}
    return render(request, "storefront/account/login_code.html", context, status=status)


@require_POST
def logout_view(request):
    logout(request)
    return redirect("storefront:home")


# Password reset ------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def reset(request):
    """Reset the password with an SMS code sent to the account's mobile number."""
    form, status = forms.CodeResetForm(), 200
    if request.method == "POST":
        form = forms.CodeResetForm(request.POST)
        if form.is_valid():
            if request.POST.get("action") == "send":
                status = _send_code(request, form, purpose=CodePurpose.RESET)
            elif _require(form, "code", _("Enter the 6-digit code from the SMS.")) and _require(
                form, "password", _("Choose a new password.")
            ):
                mobile = form.cleaned_data["mobile"]
                limited = _rate_limited(request, action="login", subject=mobile)
                if limited:
                    form.add_error(None, limited)
                    status = 429
                else:
                    try:
                        accounts.reset_password_by_code(
                            mobile=mobile,
                            code=form.cleaned_data["code"],
                            password=form.cleaned_data["password"],
                        )
                    except ValidationFailed as exc:
                        forms.add_service_errors(form, exc)
                    else:
                        messages.success(request, _("Your password was changed. Log in."))
                        return redirect("storefront:login")
        status = status if status != 200 or not form.errors else 400
    return render(request, "storefront/account/reset.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def reset_email(request):
    """Send a reset link by email; the answer is the same whether the address has an account."""
    form, status = forms.EmailResetForm(), 200
    if request.method == "POST":
        form = forms.EmailResetForm(request.POST)
        if form.is_valid():
            email = form.cleaned_data["email"].lower()
            limited = _rate_limited(request, action="code", subject=email)
            if limited:
                form.add_error(None, limited)
                status = 429
            else:

                def reset_url(uidb64: str, token: str) -> str:
                    path = reverse("storefront:reset_confirm", args=[uidb64, token])
                    return request.build_absolute_uri(path)

                accounts.send_password_reset_email(email=email, reset_url=reset_url)
                messages.success(
                    request,
                    _("If an account uses this address, a reset link is on its way."),
                )
                return redirect("storefront:login")
        else:
            status = 400
    return render(request, "storefront/account/reset_email.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def reset_confirm(request, uidb64: str, token: str):
    try:
        user = User.objects.get(pk=int(urlsafe_base64_decode(uidb64).decode()))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        user = None
    valid = user is not None and default_token_generator.check_token(user, token)
    form, status = forms.SetPasswordForm(), 200 if valid else 400
    if valid and request.method == "POST":
        form = forms.SetPasswordForm(request.POST)
        if form.is_valid():
            try:
                accounts.set_password(user=user, password=form.cleaned_data["password"])
            except ValidationFailed as exc:
                forms.add_service_errors(form, exc)
            else:
                messages.success(request, _("Your password was changed. Log in."))
                return redirect("storefront:login")
        status = 400
    context = {"form": form, "valid": valid}
    return render(request, "storefront/account/reset_confirm.html", context, status=status)


# Account, profile ----------------------------------------------------------------------
@customer_required
def account(request):
    customer = request.customer
    context = {
        "customer": customer,
        "addresses": list(selectors.addresses_of(customer=customer)[:3]),
    }
    return render(request, "storefront/account/account.html", context)


@customer_required
@require_http_methods(["GET", "POST"])
def profile(request):
    customer = request.customer
    initial = {
        "name": customer.name,
        "gender": customer.gender,
        "birthday": customer.birthday,
        "email": customer.email or "",
    }
    form, status = forms.ProfileForm(initial=initial), 200
    if request.method == "POST":
        form = forms.ProfileForm(request.POST)
        if form.is_valid():
            try:
                services.update_profile(
                    actor=request.user, customer_id=customer.pk, **form.cleaned_data
                )
            except ValidationFailed as exc:
                forms.add_service_errors(form, exc)
            else:
                messages.success(request, _("Your profile was saved."))
                return redirect("storefront:account")
        status = 400
    return render(request, "storefront/account/profile.html", {"form": form}, status=status)


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

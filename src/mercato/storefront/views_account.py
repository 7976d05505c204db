"""Customer account pages: sign-up, log-in, password reset, profile and address book.

Sending a code is a second submit button on the same form (name="action" value="send"), so
the pages work without JavaScript; htmx only refreshes the region selects and fills the
address form from a pasted address.
"""

import logging
from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from mercato.core import ratelimit
from mercato.core.errors import ValidationFailed
from mercato.customers import accounts, selectors, services
from mercato.customers.models import CodePurpose
from mercato.customers.sms import SmsDeliveryFailed

from . import cartctx
from . import forms_account as forms

logger = logging.getLogger(__name__)
User = get_user_model()
MODEL_BACKEND = "mercato.customers.backends.ModelBackend"


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
    number (or email address) and per client IP for the action ("code" or "login")."""
    limited = ratelimit.check(request, action=action, subject=subject)
    if limited is ratelimit.Limited.SUBJECT:
        return (
            _("Too many codes were requested for this number. Please try again later.")
            if action == "code"
            else _("Too many log-in attempts for this account. Please try again later.")
        )
    if limited is ratelimit.Limited.IP:
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


def _next_url(request, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _log_in(request, user) -> HttpResponseRedirect:
    # Read before login(), which gives the session a new key the guest cart is not under.
    guest_cart = cartctx.guest_cart_before_login(request)
    login(request, user, backend=getattr(user, "backend", MODEL_BACKEND))
    cartctx.merge_guest_cart(guest_cart=guest_cart, user=user)
    return redirect(_next_url(request, reverse("storefront:account")))


def _require(form, name: str, message: str) -> bool:
    if not form.cleaned_data.get(name):
        form.add_error(name, message)
        return False
    return True


def _form_page(
    request, *, form_class, template: str, submit, purpose: str = "",
    required: tuple[tuple[str, str], ...] = (), limit: tuple[str, str] | None = None,
):  # fmt: skip
    """The shape shared by sign-up, log-in and reset pages.

    GET shows the form. The "send" button sends an SMS code for `purpose`. Otherwise the
    `required` fields (name, message) must be filled, the rate `limit` (action, field whose
    value is the subject) is counted, and `submit(form)` returns the response, or raises
    ValidationFailed whose errors go back on the form's fields.
    """
    form, status = form_class(), 200
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            if purpose and request.POST.get("action") == "send":
                status = _send_code(request, form, purpose=purpose)
            elif all([_require(form, name, message) for name, message in required]):
                limited = ""
                if limit:
                    action, field = limit
                    subject = form.cleaned_data[field].strip().lower()
                    limited = _rate_limited(request, action=action, subject=subject)
                if limited:
                    form.add_error(None, limited)
                    status = 429
                else:
                    try:
                        return submit(form)
                    except ValidationFailed as exc:
                        forms.add_service_errors(form, exc)
        if status == 200 and form.errors:
            status = 400
    context = {"form": form, "next": _next_url(request, "")}
    return render(request, template, context, status=status)


CODE_REQUIRED = ("code", gettext_lazy("Enter the 6-digit code from the SMS."))


# Sign-up -------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def signup(request):
    """Sign up with a mobile number proven by an SMS code, and an optional password."""

    def submit(form):
        customer = accounts.sign_up_by_mobile(**form.cleaned_data)
        messages.success(request, _("Welcome! Your account is ready."))
        return _log_in(request, customer.user)

    return _form_page(
        request, form_class=forms.MobileSignUpForm, template="storefront/account/signup.html",
        submit=submit, purpose=CodePurpose.SIGNUP, required=(CODE_REQUIRED,),
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
def signup_email(request):
    def submit(form):
        customer = accounts.sign_up_by_email(**form.cleaned_data)
        messages.success(request, _("Welcome! Your account is ready."))
        return _log_in(request, customer.user)

    return _form_page(
        request, form_class=forms.EmailSignUpForm,
        template="storefront/account/signup_email.html", submit=submit,
    )  # fmt: skip


# Log-in --------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def login_view(request):
    """Log in with a mobile number or email address and a password."""

    def submit(form):
        user = accounts.log_in_by_password(
            request=request,
            login=form.cleaned_data["login"].strip(),
            password=form.cleaned_data["password"],
        )
        return _log_in(request, user)

    return _form_page(
        request, form_class=forms.PasswordLogInForm, template="storefront/account/login.html",
        submit=submit, limit=("login", "login"),
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
def login_code(request):
    """Log in with a mobile number and an SMS code."""

    def submit(form):
        user = accounts.log_in_by_code(**form.cleaned_data)
        return _log_in(request, user)

    return _form_page(
        request, form_class=forms.CodeLogInForm, template="storefront/account/login_code.html",
        submit=submit, purpose=CodePurpose.LOGIN, required=(CODE_REQUIRED,),
        limit=("login", "mobile"),
    )  # fmt: skip


@require_POST
def logout_view(request):
    logout(request)
    return redirect("storefront:home")


# Password reset ------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def reset(request):
    """Reset the password with an SMS code sent to the account's mobile number."""

    def submit(form):
        accounts.reset_password_by_code(**form.cleaned_data)
        messages.success(request, _("Your password was changed. Log in."))
        return redirect("storefront:login")

    return _form_page(
        request, form_class=forms.CodeResetForm, template="storefront/account/reset.html",
        submit=submit, purpose=CodePurpose.RESET, limit=("login", "mobile"),
        required=(CODE_REQUIRED, ("password", gettext_lazy("Choose a new password."))),
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
def reset_email(request):
    """Send a reset link by email; the answer is the same whether the address has an account."""

    def submit(form):
        def reset_url(uidb64: str, token: str) -> str:
            path = reverse("storefront:reset_confirm", args=[uidb64, token])
            return request.build_absolute_uri(path)

        accounts.send_password_reset_email(email=form.cleaned_data["email"], reset_url=reset_url)
        messages.success(request, _("If an account uses this address, a reset link is on its way."))
        return redirect("storefront:login")

    return _form_page(
        request, form_class=forms.EmailResetForm, template="storefront/account/reset_email.html",
        submit=submit, limit=("code", "email"),
    )  # fmt: skip


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

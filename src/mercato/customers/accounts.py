"""Sign-up, log-in and password reset for customers: by mobile number (password or SMS code)
and by email address. Views call these; HTTP concerns (sessions, rate limits) stay there."""

import logging
from collections.abc import Callable

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from mercato.core.errors import ValidationFailed

from . import sms
from .codes import code_ttl, issue_code, verify_code
from .models import CodePurpose, Customer
from .services import _check_password, create_customer, normalize_email, validate_cn_mobile

logger = logging.getLogger(__name__)
User = get_user_model()


def customer_for_login(login: str) -> Customer | None:
    """The customer whose mobile number or email address this is; None otherwise.

    Staff users have no Customer row, so they can never log into the shop this way.
    """
    login = (login or "").strip()
    if "@" in login:
        lookup = {"email": login.lower()}
    else:
        try:
            lookup = {"mobile": validate_cn_mobile(login, field="login")}
        except ValidationFailed:
            return None
    return Customer.objects.select_related("user").filter(**lookup).first()


def send_sms_code(*, mobile: str, purpose: str) -> bool:
    """Send a code for sign-up, log-in or reset. Returns whether one was sent: for log-in and
    reset, no code goes to a number without an account (the caller answers the same either
    way, so the form does not reveal who has an account)."""
    mobile = validate_cn_mobile(mobile)
    exists = Customer.objects.filter(mobile=mobile).exists()
    if purpose == CodePurpose.SIGNUP and exists:
        raise ValidationFailed(
            {"mobile": [_("An account with this mobile number exists; log in instead.")]}
        )
    if purpose != CodePurpose.SIGNUP and not exists:
        return False
    code = issue_code(mobile=mobile, purpose=purpose)
    sms.send_code(
        mobile=mobile, purpose=purpose, code=code, minutes=int(code_ttl().total_seconds() // 60)
    )
    return True


def sign_up_by_mobile(*, mobile: str, code: str, password: str = "", name: str = "") -> Customer:
    """A new customer whose number is proven by an SMS code; the password is optional (without
    one, the customer logs in by code)."""
    mobile = validate_cn_mobile(mobile)
    if Customer.objects.filter(mobile=mobile).exists():
        raise ValidationFailed(
            {"mobile": [_("An account with this mobile number exists; log in instead.")]}
        )
    if password:
        _check_password(password, User(username=mobile))
    verify_code(mobile=mobile, purpose=CodePurpose.SIGNUP, code=code)
    return create_customer(mobile=mobile, name=name, password=password or None)


def sign_up_by_email(*, email: str, password: str, name: str = "") -> Customer:
    if not password:
        raise ValidationFailed({"password": [_("Choose a password.")]})
    return create_customer(email=normalize_email(email), name=name, password=password)


def log_in_by_password(*, request, login: str, password: str):
    """The customer's user for a mobile number or email address and password."""
    customer = customer_for_login(login)
    user = None
    if customer is not None and customer.user.is_active:
        user = authenticate(request, username=customer.user.username, password=password)
    if user is None:
        raise ValidationFailed(
            {"password": [_("The mobile number, email address or password is wrong.")]}
        )
    return user


def log_in_by_code(*, mobile: str, code: str):
    mobile = validate_cn_mobile(mobile)
    customer = Customer.objects.select_related("user").filter(mobile=mobile).first()
    # Verify first: a guess against a number without an account looks the same.
    verify_code(mobile=mobile, purpose=CodePurpose.LOGIN, code=code)
    if customer is None or not customer.user.is_active:
        raise ValidationFailed({"mobile": [_("No active account uses this mobile number.")]})
    return customer.user


def reset_password_by_code(*, mobile: str, code: str, password: str):
    mobile = validate_cn_mobile(mobile)
    customer = Customer.objects.select_related("user").filter(mobile=mobile).first()
    _check_password(password, customer.user if customer else None)
    verify_code(mobile=mobile, purpose=CodePurpose.RESET, code=code)
    if customer is None:
        raise ValidationFailed({"mobile": [_("No account uses this mobile number.")]})
    return set_password(user=customer.user, password=password)


@transaction.atomic
def set_password(*, user, password: str):
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def send_password_reset_email(*, email: str, reset_url: Callable[[str, str], str]) -> bool:
    """Email a one-use link (Django's token generator) to the customer with this address;
    `reset_url(uidb64, token)` builds the absolute link. Returns whether a mail was sent."""
    email = normalize_email(email)
    customer = Customer.objects.select_related("user").filter(email=email).first()
    if customer is None or not customer.user.is_active:
        return False
    user = customer.user
    link = reset_url(
        urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)
    )
    body = render_to_string(
        "customers/email/password_reset.txt", {"customer": customer, "link": link}
    )
    send_mail(_("Reset your Mercato password"), body, None, [email])
    logger.info("Password reset email sent to customer #%s", customer.pk)
    return True

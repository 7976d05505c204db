"""Translating the messages that services raise.

Services speak English (they are shared with the API). The back office shows their
messages through gettext, so the fixed ones below get a Chinese translation; messages
built with values (a SKU code, a number) fall back to English.
"""

from django.contrib import messages
from django.utils.translation import gettext, gettext_noop

from mercato.core.errors import DomainError, ValidationFailed

from .access import forbidden

KNOWN = [
    gettext_noop("A product needs at least one active SKU with a price to go on sale"),
    gettext_noop("A product with this code exists"),
    gettext_noop("Unknown category"),
    gettext_noop("Unknown brand"),
    gettext_noop("An EAN-13 barcode has exactly 13 digits"),
    gettext_noop("The EAN-13 check digit is wrong"),
    gettext_noop("An amount must be between 0 and 9,999,999,999.99"),
    gettext_noop("An amount has at most two decimal places"),
    gettext_noop("A percentage change must be between -99 and 1000"),
    gettext_noop("Choose at least one SKU"),
    gettext_noop("The new price would not be above zero"),
    gettext_noop("A category needs a name"),
    gettext_noop("A brand needs a name"),
    gettext_noop("A brand with this name exists"),
    gettext_noop("A category cannot move into its own subtree"),
    gettext_noop("An image may be at most 8 MB"),
    gettext_noop("Not a readable image file"),
    gettext_noop("This username is taken"),
    gettext_noop("This employee number is taken"),
    gettext_noop("Give the token a name of 1 to 60 characters"),
    gettext_noop("More than 500 combinations; split the product"),
    gettext_noop("Product not found"),
    gettext_noop("Token not found"),
    gettext_noop("Staff member not found"),
    gettext_noop("Invalid input"),
    # Labels the back office shows from other apps that have no Chinese catalogue yet.
    gettext_noop("Draft"),
    gettext_noop("On sale"),
    gettext_noop("Off shelf"),
    gettext_noop("create"),
    gettext_noop("update"),
    gettext_noop("delete"),
    gettext_noop("access"),
    gettext_noop("product"),
    gettext_noop("SKU"),
    gettext_noop("category"),
    gettext_noop("brand"),
    gettext_noop("product image"),
    gettext_noop("spec"),
    gettext_noop("staff member"),
    gettext_noop("API token"),
    gettext_noop("user"),
]


def message_of(exc: DomainError) -> str:
    """One line for a flash message: the field errors, else the error's message."""
    if isinstance(exc, ValidationFailed):
        return "; ".join(
            gettext(str(m)) for msgs in exc.field_errors.values() for m in msgs
        ) or gettext(exc.message)
    return gettext(exc.message)


def add_errors_to_form(form, exc: DomainError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's errors on the form fields they name (unknown fields: form-wide)."""
    aliases = aliases or {}
    if isinstance(exc, ValidationFailed):
        pairs = [(f, m) for f, msgs in exc.field_errors.items() for m in msgs]
    else:
        pairs = [(exc.field, exc.message)]
    for field, msg in pairs:
        field = aliases.get(field, field)
        form.add_error(field if field in form.fields else None, gettext(str(msg)))


def refused(request, exc: DomainError, back):
    """The answer to a change a service refused: the forbidden page for a 403, else its
    message shown and `back` (the redirect to the page the form was on)."""
    if exc.status == 403:
        return forbidden(request)
    messages.error(request, message_of(exc))
    return back


def act(request, call, success: str, back):
    """Run `call`, the change a POSTed form asks a service for: refused, see `refused`;
    done, `success` shown and `back`."""
    try:
        call()
    except DomainError as exc:
        return refused(request, exc, back)
    messages.success(request, success)
    return back

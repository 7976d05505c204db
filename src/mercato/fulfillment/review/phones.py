"""The recipient's phone: a number phonenumbers accepts, and a mainland mobile (the courier
calls and texts it; landlines and foreign numbers are held)."""

from functools import lru_cache

import phonenumbers
from django.utils.translation import gettext_noop

from mercato.customers.phones import MOBILE_TYPES

from .findings import Finding

INVALID = gettext_noop("The phone number is not a valid number.")
NOT_MOBILE = gettext_noop("The phone number is not a mainland China mobile number.")
MISSING = gettext_noop("The phone number is missing.")


@lru_cache(maxsize=20_000)
def check_phone(text: str) -> tuple[Finding, ...]:
    text = (text or "").strip()
    if not text:
        return (
            Finding("phone_invalid", "phone", MISSING),
            Finding("info_missing", "incomplete", MISSING),
        )
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return (Finding("phone_invalid", "phone", INVALID),)
    if not phonenumbers.is_valid_number(number):
        return (Finding("phone_invalid", "phone", INVALID),)
    if number.country_code != 86 or phonenumbers.number_type(number) not in MOBILE_TYPES:
        return (Finding("phone_not_mobile", "phone", NOT_MOBILE),)
    return ()


def national_mobile(text: str) -> str:
    """The 11-digit form of a valid mainland mobile, else the text as given (for counting
    and blacklist look-ups)."""
    try:
        number = phonenumbers.parse((text or "").strip(), "CN")
    except phonenumbers.NumberParseException:
        return (text or "").strip()
    if number.country_code == 86 and phonenumbers.is_valid_number(number):
        return str(number.national_number)
    return (text or "").strip()

"""Mainland China mobile numbers, checked with phonenumbers (Google's libphonenumber data)."""

from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


# Remembered per process: placement checks the same number twice (the address, then the
# order's field) and a member's number again at every order; parsing costs ~0.2 ms.
@lru_cache(maxsize=4096)
def normalize_cn_mobile(value: str) -> str | None:
    """'+86 138-1234-5678' → '13812345678'; None when it is not a valid CN mobile number."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        return None
    return str(number.national_number)


def cn_mobile_validator(value: str) -> None:
    """Model-field validator: the stored value is the 11-digit national number."""
    if normalize_cn_mobile(value) != value:
        raise ValidationError(
            _("Enter a valid mainland China mobile number, e.g. 13812345678"), code="invalid"
        )

"""The recipient's phone: a number phonenumbers accepts, and a mainland mobile (the courier
calls and texts it; landlines and foreign numbers are held)."""

import re
from functools import lru_cache

import phonenumbers
from django.utils.translation import gettext_noop

from mercato.customers.phones import MOBILE_TYPES

from .findings import Finding

INVALID = gettext_noop("The phone number is not a valid number.")
NOT_MOBILE = gettext_noop("The phone number is not a mainland China mobile number.")
MISSING = gettext_noop("The phone number is missing.")


@lru_cache(maxsize=1)
def _mainland_mobile_patterns() -> tuple[re.Pattern, list[re.Pattern]]:
    """phonenumbers' own patterns for China: its mobile numbers, and every other kind of
    number (premium, toll-free, VoIP ...). Read from the library's metadata, not written
    here, so they follow its updates."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    others = [
        desc.national_number_pattern
        for desc in (
            meta.premium_rate,
            meta.toll_free,
            meta.shared_cost,
            meta.voip,
            meta.personal_number,
            meta.pager,
            meta.uan,
            meta.voicemail,
        )  # fmt: skip
        if desc is not None and desc.national_number_pattern
    ]
    mobile = re.compile(f"(?:{meta.mobile.national_number_pattern})")
    return mobile, [re.compile(f"(?:{pattern})") for pattern in others]


def _is_plain_mobile(text: str) -> bool:
    """An 11-digit mainland mobile as most orders carry it, judged by phonenumbers' mobile
    pattern directly: the same answer as parse + is_valid_number + number_type for these
    strings, at a hundredth of the cost (the review runs it for every order)."""
    if len(text) != 11 or not text.isdigit() or text[0] != "1":
        return False
    mobile, others = _mainland_mobile_patterns()
    return bool(mobile.fullmatch(text)) and not any(p.fullmatch(text) for p in others)


@lru_cache(maxsize=20_000)
def check_phone(text: str) -> tuple[Finding, ...]:
    text = (text or "").strip()
    if _is_plain_mobile(text):
        return ()
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


@lru_cache(maxsize=20_000)
def national_mobile(text: str) -> str:
    """The 11-digit form of a valid mainland mobile, else the text as given (for counting
    and blacklist look-ups)."""
    if _is_plain_mobile((text or "").strip()):
        return text.strip()
    try:
        number = phonenumbers.parse((text or "").strip(), "CN")
    except phonenumbers.NumberParseException:
        return (text or "").strip()
    if number.country_code == 86 and phonenumbers.is_valid_number(number):
        return str(number.national_number)
    return (text or "").strip()

"""Masking of personal data for staff without the permission to see it in full.

Who sees what: `core.view_full_phone` (customer service and the order-processing role,
docs/roles.md) shows phone numbers and street addresses as they are; everyone else sees
138****5678 and 世纪大道**********. Every page, export and API answer that shows a
customer's phone or address goes through `phone_for` / `address_for` / `name_for` (or the
`personal` template filters), and free text that may carry a number (an audit entry, a
reason typed by a colleague) through `mask_phones_in`. The role walk test
(backoffice/tests/test_role_walk.py) reads every back-office page and API answer for a
number in full.
"""

import re

_DIGITS = re.compile(r"\d")
# A mainland mobile number inside other text: 11 digits starting 13-19, not part of a
# longer run of digits (order numbers, barcodes), optionally written +86 / with spaces or -.
_MOBILE_IN_TEXT = re.compile(r"(?<![\d])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?![\d])")

FULL_PERSONAL_DATA = "core.view_full_phone"


def mask_phone(phone: str) -> str:
    """138****5678: keep the first three and last four digits of a mobile number."""
    digits = "".join(_DIGITS.findall(phone or ""))
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_text(value: str, keep: int = 2) -> str:
    """Keep the first `keep` characters of a name or address line, star the rest."""
    value = value or ""
    return value[:keep] + "*" * max(len(value) - keep, 0)


def mask_phones_in(text: str) -> str:
    """Every mobile number in free text masked, the rest unchanged."""
    if not text:
        return text
    # The last 11 digits: "+86 138-1234-5678" is masked as 138****5678.
    return _MOBILE_IN_TEXT.sub(
        lambda m: mask_phone("".join(_DIGITS.findall(m[0]))[-11:]), str(text)
    )


def looks_like_mobile(value: str) -> bool:
    return bool(value) and _MOBILE_IN_TEXT.fullmatch(str(value).strip()) is not None


def may_see_personal_data(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_perm(FULL_PERSONAL_DATA))


def phone_for(user, phone: str) -> str:
    return phone if may_see_personal_data(user) else mask_phone(phone)


def address_for(user, detail: str) -> str:
    """The street-address line (house, building, room) for `user`; province, city and
    district are not masked: they are what a colleague needs to route a parcel."""
    return detail if may_see_personal_data(user) else mask_text(detail, keep=4)


def name_for(user, name: str) -> str:
    """A recipient's or customer's name: 张** for staff without the permission."""
    return name if may_see_personal_data(user) else mask_text(name, keep=1)


def text_for(user, text: str) -> str:
    """Free text that may carry a phone number (a reason, a note, an audit value)."""
    return text if may_see_personal_data(user) else mask_phones_in(text)

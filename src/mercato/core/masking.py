"""Masking of personal data for staff without the permission to see it in full."""

import re

_DIGITS = re.compile(r"\d")


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


def phone_for(user, phone: str) -> str:
    return phone if user.has_perm("core.view_full_phone") else mask_phone(phone)

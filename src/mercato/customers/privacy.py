"""Keeping customers' personal data out of logs."""

import re

from mercato.core.masking import mask_phone, mask_text

_PHONE = re.compile(r"^\+?[\d\s-]{7,}$")


def mask_login(value: str) -> str:
    """A log-in name as logs may show it: 138****5678, zh***@example.com; others unchanged."""
    value = str(value or "")
    if _PHONE.match(value):
        return mask_phone(value)
    if "@" in value:
        local, _at, domain = value.partition("@")
        return f"{mask_text(local)}@{domain}"
    return value


def axes_client_str(username, ip_address, user_agent, path_info, request) -> str:
    """django-axes' description of a client in its log lines, with the log-in name masked
    (customers log in with their mobile number or email address)."""
    name = mask_login(username)
    return f"{{username: {name!r}, ip_address: {ip_address!r}, path_info: {path_info!r}}}"

"""Signed links for guests: the only way to reach an order without an account."""

import secrets

from django.core import signing

SALT = "mercato.orders.guest-link"


def new_guest_token() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits: not guessable, not enumerable


def guest_link_token(*, number: str, guest_token: str) -> str:
    """The opaque string the storefront puts in a guest's order URL."""
    return signing.dumps({"n": number, "t": guest_token}, salt=SALT)


def read_guest_link_token(token: str) -> tuple[str, str] | None:
    """(number, guest_token) from a link token, or None when forged or mangled."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str):
        return None
    if not isinstance(data.get("t"), str):
        return None
    return data["n"], data["t"]

"""Signed links for guests: the only way to reach an order without an account.

A link carries the order number and the order's random guest token, signed with the
site's key and the time it was made; it works for MERCATO_GUEST_LINK_DAYS (default 60)
and then reads as no link at all. A browser that placed (or opened) a guest order keeps
its link in the session (GUEST_LINKS_SESSION_KEY), so pages reached from elsewhere (the
payment return page a gateway sends the buyer back to) need no token in their URL: a
link must never travel to a third party.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing

SALT = "mercato.orders.guest-link"
GUEST_LINKS_SESSION_KEY = "guest_order_links"  # order number → link token


def new_guest_token() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits: not guessable, not enumerable


def guest_link_lifetime() -> timedelta:
    return timedelta(days=int(getattr(settings, "MERCATO_GUEST_LINK_DAYS", 60)))


def guest_link_token(*, number: str, guest_token: str) -> str:
    """The opaque string the storefront puts in a guest's order URL."""
    return signing.dumps({"n": number, "t": guest_token}, salt=SALT)


def read_guest_link_token(token: str) -> tuple[str, str] | None:
    """(number, guest_token) from a link token, or None when forged, mangled or older
    than the links' lifetime."""
    try:
        data = signing.loads(token, salt=SALT, max_age=guest_link_lifetime())
    except signing.BadSignature:  # SignatureExpired is one too
        return None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str):
        return None
    if not isinstance(data.get("t"), str):
        return None
    return data["n"], data["t"]


def session_holds_guest_order(session, *, number: str, guest_token: str) -> bool:
    """True when this browser's session keeps a live link to the guest order `number`."""
    links = session.get(GUEST_LINKS_SESSION_KEY) if session is not None else None
    token = links.get(number) if isinstance(links, dict) else None
    read = read_guest_link_token(token) if isinstance(token, str) else None
    return (
        read is not None
        and bool(guest_token)
        and read[0] == number
        and secrets.compare_digest(read[1], guest_token)
    )

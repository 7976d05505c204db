"""Rate limits of log-in and SMS codes: who is counted, under which key (django-ratelimit).

Every limited action is counted twice, and either count can refuse it:
- per subject — the mobile number, email address or staff account being tried — so one
  number cannot be brute-forced from many addresses;
- per client IP (mercato.core.http.client_ip, through the trusted proxies) — so one address
  cannot try many numbers, and behind nginx each customer has a count of their own instead
  of the whole shop sharing nginx's.

Rates are `settings.MERCATO_ACCOUNT_RATE_LIMITS["<action>_per_number"/"<action>_per_ip"]`
(django-ratelimit rates such as "10/h"); counts live in the default cache, and in the
database while the cache is unreachable (core.ratelimits). The subject is
lower-cased and never appears in a cache key as it is (django-ratelimit hashes its keys).
"""

from enum import StrEnum

from django.conf import settings

from .http import client_ip
from .ratelimits import OnOutage, over_limit


class Limited(StrEnum):
    """Which count refused the request ("" — nothing — when it is allowed)."""

    NONE = ""
    SUBJECT = "subject"
    IP = "ip"


def _ip_key(_group, request) -> str:
    return client_ip(request)


def _over(request, *, group: str, key, rate: str, increment: bool) -> bool:
    # Counting this request: it may be the limit-th. Only asking (increment=False, before a
    # try that counts only if it fails): the limit-th failure has already happened.
    # While the cache is unreachable these limits count in the database (core.ratelimits):
    # a password or a code is never open to unlimited guessing, and log-in still works.
    return over_limit(
        request, group=group, key=key, rate=rate, increment=increment,
        on_outage=OnOutage.DATABASE,
    )  # fmt: skip


def check(request, *, action: str, subject: str, increment: bool = True) -> Limited:
    """Count this request against `action`'s two rates (when `increment`) and say whether
    it is over either of them. `action` is "code", "login" or "staff_login".

    With `increment=False` it only asks whether the limit is used up, for actions that
    count only when they fail (staff log-in)."""
    rates = settings.MERCATO_ACCOUNT_RATE_LIMITS
    normalised = (subject or "").strip().lower()
    by_subject = _over(
        request,
        group=f"account-{action}-subject",
        key=lambda _group, _request: normalised,
        rate=rates[f"{action}_per_number"],
        increment=increment,
    )
    by_ip = _over(
        request,
        group=f"account-{action}-ip",
        key=_ip_key,
        rate=rates[f"{action}_per_ip"],
        increment=increment,
    )
    if by_subject:
        return Limited.SUBJECT
    if by_ip:
        return Limited.IP
    return Limited.NONE

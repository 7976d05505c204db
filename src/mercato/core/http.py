"""The client's IP address: one answer for rate limits, django-axes, the audit log, payments
(WeChat Pay's payer_client_ip) and log lines.

Behind nginx every request arrives from nginx's address, and `X-Forwarded-For` names the
client; but anyone can send that header. So it is believed only for requests that came
through the proxies in `TRUSTED_PROXIES`: one entry per proxy the request passes, the one
nearest Mercato last (an address or a network such as `10.0.0.0/8`). The socket's peer
(REMOTE_ADDR) is the nearest proxy, so it is checked as the chain's last hop: a client that
reaches gunicorn directly with a forged header is judged by its own address. Parsing the
header and matching the proxies is python-ipware's (the engine of django-ipware): a plain
`ipware.get_client_ip(request)` would check the proxies named in the header but not the
socket's peer, which is the one proxy an attacker cannot forge.

Without `TRUSTED_PROXIES` (the embedded default, runserver) the header is never read.
"""

from functools import lru_cache

from django.conf import settings
from python_ipware import IpWare

_CACHED = "_mercato_client_ip"


@lru_cache(maxsize=4)
def _resolver(proxies: tuple[str, ...]) -> IpWare:
    # Built once per proxy list: IpWare compiles the networks when it is made.
    return IpWare(precedence=("HTTP_X_FORWARDED_FOR",), proxy_list=list(proxies))


def client_ip(request) -> str:
    """The address of the client that sent `request` ("" when the server gives none).

    Computed once per request, on first use: requests that never need it pay nothing.
    """
    cached = getattr(request, _CACHED, None)
    if cached is not None:
        return cached
    meta = request.META
    peer = meta.get("REMOTE_ADDR") or ""
    ip = peer
    proxies = tuple(getattr(settings, "TRUSTED_PROXIES", ()))
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded and peer:
        found, trusted_route = _resolver(proxies).get_client_ip(
            {"HTTP_X_FORWARDED_FOR": f"{forwarded}, {peer}"}, strict=False
        )
        if found is not None and trusted_route:
            ip = str(found)
    setattr(request, _CACHED, ip)
    return ip


def check_trusted_proxies(app_configs=None, **kwargs):
    """System check: every TRUSTED_PROXIES entry is an address, a network or a prefix
    (a typo would otherwise fail every request, or trust nothing)."""
    from django.core.checks import Error

    proxies = getattr(settings, "TRUSTED_PROXIES", ())
    if isinstance(proxies, str):
        return [Error("TRUSTED_PROXIES must be a list", id="mercato.E001")]
    try:
        _resolver(tuple(proxies))
    except ValueError as exc:
        return [
            Error(
                f"TRUSTED_PROXIES is not valid: {exc}",
                hint="One address or network (10.0.0.0/8) per proxy hop, nearest last.",
                id="mercato.E001",
            )
        ]
    return []

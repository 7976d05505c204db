"""Gateway settings: each name is read from settings.MERCATO_PAYMENTS, else the environment.

Read when a gateway is built, never at import time, so tests and deployments can change
them. Every name is listed in docs/payments.md.
"""

import os
from pathlib import Path

from django.conf import settings

from .base import GatewayNotConfigured


def setting(name: str, default: str = "") -> str:
    configured = getattr(settings, "MERCATO_PAYMENTS", {}) or {}
    if name in configured:
        return str(configured[name])
    return os.environ.get(name, default)


def required(name: str) -> str:
    value = setting(name)
    if not value:
        raise GatewayNotConfigured(f"{name} is not set", field=name)
    return value


def pem(name: str, *, required_: bool = True) -> str:
    """A key or certificate: the PEM text in NAME, or the path of a file in NAME_FILE."""
    text = setting(name)
    if text:
        return text
    path = setting(f"{name}_FILE")
    if path:
        return Path(path).read_text()
    if required_:
        raise GatewayNotConfigured(f"{name} or {name}_FILE is not set", field=name)
    return ""


def site_notify_url(gateway: str) -> str:
    """https://<MERCATO_SITE_URL>/payments/notify/<gateway>/, or "" without the setting:
    where refund notices go when no URL of their own is set (a refund is sent from a
    task or the back office, with no request to take the shop's address from)."""
    site = setting("MERCATO_SITE_URL").rstrip("/")
    if not site:
        return ""
    from django.urls import reverse

    return site + reverse("payments:notify", args=[gateway])

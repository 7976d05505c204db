"""The client's IP address behind the proxies (core/http.py), and everything that uses it:
django-axes, the audit log, log lines."""

import json
import logging

import pytest
from auditlog.models import LogEntry
from django.core.checks import run_checks
from django.test import RequestFactory

from mercato.core.http import client_ip
from mercato.core.logging import JsonFormatter, RequestIdFilter

NGINX = "10.0.0.5"
LB = "172.16.0.9"
SHOPPER = "203.0.113.7"
OTHER_SHOPPER = "198.51.100.23"


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    """The embedded default trusts no proxy: a forged X-Forwarded-For changes nothing."""
    settings.TRUSTED_PROXIES = []
    assert client_ip(_request(SHOPPER, "1.2.3.4")) == SHOPPER


def test_a_spoofed_header_from_an_untrusted_peer_is_ignored(settings):
    """A client reaching the app directly, not through nginx, is judged by its own address,
    whatever X-Forwarded-For it sends — even one naming the trusted proxy."""
    settings.TRUSTED_PROXIES = [NGINX]
    assert client_ip(_request(SHOPPER, "1.2.3.4")) == SHOPPER
    assert client_ip(_request(SHOPPER, f"1.2.3.4, {NGINX}")) == SHOPPER


def test_through_the_trusted_proxy_the_real_client_ip_is_used(settings):
    """nginx appends the address it saw; that one is the client, not nginx's own."""
    settings.TRUSTED_PROXIES = [NGINX]
    assert client_ip(_request(NGINX, SHOPPER)) == SHOPPER
    # A header the client forged before nginx appended the real address: the forged
    # entries are to the left and are not believed.
    assert client_ip(_request(NGINX, f"1.2.3.4, 5.6.7.8, {SHOPPER}")) == SHOPPER
    # A trusted proxy without the header: its own address is all there is.
    assert client_ip(_request(NGINX)) == NGINX


def test_two_hops_each_named_in_order(settings):
    """A load balancer in front of nginx: one entry per hop, networks allowed, nearest last."""
    settings.TRUSTED_PROXIES = ["172.16.0.0/12", "10.0.0.0/8"]
    assert client_ip(_request(NGINX, f"1.2.3.4, {SHOPPER}, {LB}")) == SHOPPER
    # Skipping the load balancer (straight to nginx) leaves the hop unproven: nginx's
    # peer is then the client.
    assert client_ip(_request(NGINX, f"{SHOPPER}")) == NGINX


def test_ipv6_clients_and_garbage_in_the_header(settings):
    settings.TRUSTED_PROXIES = [NGINX]
    assert client_ip(_request(NGINX, "2001:db8::1")) == "2001:db8::1"
    assert client_ip(_request(NGINX, f"unknown, not-an-ip, {SHOPPER}")) == SHOPPER
    assert client_ip(_request(NGINX, "not-an-ip")) == NGINX


def test_a_bad_trusted_proxies_setting_stops_the_start(settings):
    """A typo in TRUSTED_PROXIES is a system-check error, not a 500 on every request."""
    settings.TRUSTED_PROXIES = ["10.0.0.0/33"]
    assert [e.id for e in run_checks() if e.id == "mercato.E001"] == ["mercato.E001"]
    settings.TRUSTED_PROXIES = [NGINX, "10.0.0.0/8"]
    assert not [e for e in run_checks() if e.id == "mercato.E001"]


@pytest.mark.django_db
def test_the_audit_log_records_the_client_ip_not_the_proxy(client, settings, make_staff):
    """An edit made through nginx is logged with the shopper's address; a forged header
    from outside the proxy is not believed."""
    settings.TRUSTED_PROXIES = [NGINX]
    user = make_staff("marketing")
    client.force_login(user)
    client.post(
        "/backoffice/me/tokens/",
        {"name": "报表"},
        REMOTE_ADDR=NGINX,
        HTTP_X_FORWARDED_FOR=f"9.9.9.9, {SHOPPER}",
    )
    token = user.api_tokens.get()
    entry = LogEntry.objects.get_for_object(token).get()
    assert entry.remote_addr == SHOPPER
    client.post(
        f"/backoffice/me/tokens/{token.pk}/revoke/",
        REMOTE_ADDR=OTHER_SHOPPER,
        HTTP_X_FORWARDED_FOR="9.9.9.9",
    )
    entry = LogEntry.objects.get_for_object(token).latest("id")
    assert entry.changes_dict.get("revoked_at") and entry.remote_addr == OTHER_SHOPPER


@pytest.mark.django_db
def test_axes_locks_out_the_client_not_everyone_behind_nginx(client, settings, make_staff):
    """django-axes counts failed staff log-ins by the client's address: a locked-out
    attacker behind nginx does not lock out a colleague logging in through the same nginx."""
    from axes.models import AccessAttempt

    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXIES = [NGINX]
    make_staff("service", username="kefu", password="right-pass-1234")
    for _ in range(3):
        client.post(
            "/backoffice/login/",
            {"username": "kefu", "password": "wrong"},
            REMOTE_ADDR=NGINX,
            HTTP_X_FORWARDED_FOR=SHOPPER,
        )
    locked = client.post(
        "/backoffice/login/",
        {"username": "kefu", "password": "right-pass-1234"},
        REMOTE_ADDR=NGINX,
        HTTP_X_FORWARDED_FOR=SHOPPER,
    )
    assert locked.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {SHOPPER}
    colleague = client.post(
        "/backoffice/login/",
        {"username": "kefu", "password": "right-pass-1234"},
        REMOTE_ADDR=NGINX,
        HTTP_X_FORWARDED_FOR=OTHER_SHOPPER,
    )
    assert colleague.status_code == 302


def test_log_lines_name_the_client_ip(settings):
    """A line logged while serving a request carries the client's address (JSON and text)."""
    from mercato.core.logging import request_var

    settings.TRUSTED_PROXIES = [NGINX]
    token = request_var.set(_request(NGINX, SHOPPER))
    try:
        record = logging.LogRecord("mercato", logging.WARNING, __file__, 1, "slow", (), None)
        RequestIdFilter().filter(record)
    finally:
        request_var.reset(token)
    assert json.loads(JsonFormatter().format(record))["client_ip"] == SHOPPER
    outside = logging.LogRecord("mercato", logging.INFO, __file__, 1, "beat", (), None)
    RequestIdFilter().filter(outside)
    assert outside.client_ip == "-"

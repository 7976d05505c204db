"""Issue 10 item 1: the sandbox gateway (approve your own order, no money moves) is off
unless switched on, and a process without DEBUG refuses it unless told it is unsafe."""

import json

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from mercato.core.errors import NotFound
from mercato.orders.models import Order
from mercato.payments.checks import check_payment_settings, refuse_to_serve_if_misconfigured
from mercato.payments.gateways import enabled_methods
from mercato.payments.models import PaymentNotice
from mercato.payments.services import handle_notice
from mercato.testing.buying import CHENGDU, cart_with, new_key, stock
from mercato.testing.payments import make_payment

pytestmark = pytest.mark.django_db
ADDRESS = {k: getattr(CHENGDU, k) for k in ("recipient", "mobile", "province", "city",
           "district", "detail")}  # fmt: skip


@pytest.fixture
def shipped_defaults(settings, monkeypatch):
    """Mercato as installed: no MERCATO_PAYMENTS, no MERCATO_PAYMENT_METHODS in the
    environment (the test conftest switches the sandbox on; this switches it back off)."""
    del settings.MERCATO_PAYMENTS
    monkeypatch.delenv("MERCATO_PAYMENT_METHODS", raising=False)
    monkeypatch.delenv("MERCATO_UNSAFE_ALLOW_SANDBOX", raising=False)


@pytest.fixture
def member_with_cart(client, customer, make_sku, chengdu, rates):
    sku = make_sku(price="59.00")
    stock(sku, chengdu, 5)
    cart_with(customer, (sku, 1))
    client.force_login(customer.user)
    return customer


def test_by_default_only_cash_on_delivery_is_offered(shipped_defaults):
    assert [method.code for method in enabled_methods()] == ["cod"]


def test_the_checkout_page_neither_offers_nor_accepts_the_sandbox(
    client, shipped_defaults, member_with_cart
):
    """The page lists no sandbox; posting it anyway is refused naming payment_method, and
    no order is placed."""
    page = client.get("/checkout/")
    html = page.content.decode()
    assert 'value="cod"' in html and 'value="sandbox"' not in html
    key = html.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]
    data = {"idempotency_key": key, "payment_method": "sandbox", "invoice_kind": "", "note": ""}
    response = client.post("/checkout/place/", data | {"address_id": "new", **ADDRESS})
    assert response.status_code == 400
    assert response.context["form"].errors["payment_method"]
    assert 'class="field-error"' in response.content.decode()
    assert not Order.objects.exists()


def test_the_api_refuses_the_sandbox_naming_payment_method(
    client, shipped_defaults, member_with_cart
):
    payload = {"address": ADDRESS, "payment_method": "sandbox", "idempotency_key": new_key()}
    response = client.post("/api/orders", json.dumps(payload), content_type="application/json")
    assert response.status_code == 422, response.content
    assert "payment_method" in response.content.decode()
    assert not Order.objects.exists()


def test_the_sandbox_cashier_and_its_notices_are_gone_by_default(client, shipped_defaults):
    """The approve page is 404, and a notice signed with the sandbox secret is refused
    like a notice for a gateway we do not have: an order started through the sandbox while
    it was on cannot be paid through it once it is off."""
    assert client.get("/payments/sandbox/pay/").status_code == 404
    payment = make_payment(method="sandbox")
    from mercato.payments.gateways.sandbox import SandboxGateway

    body = SandboxGateway.from_settings().sign_notice(
        out_trade_no=payment.number, amount=payment.amount
    )
    response = client.post(
        "/payments/notify/sandbox/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 404
    payment.refresh_from_db()
    assert payment.status == "pending"
    with pytest.raises(NotFound):
        handle_notice(gateway="sandbox", headers={}, body=body)
    assert not PaymentNotice.objects.filter(action="paid").exists()


def errors(settings):
    return [m.id for m in check_payment_settings() if m.level >= checks.ERROR]


def test_the_system_check_refuses_the_sandbox_without_debug(settings):
    """DEBUG off and the sandbox offered: payments.E001, and the web entry points refuse
    to start; DEBUG on, or the loudly named setting, lets it through."""
    settings.DEBUG = False
    settings.MERCATO_PAYMENTS = {"MERCATO_PAYMENT_METHODS": "cod,sandbox"}
    assert errors(settings) == ["payments.E001"]
    with pytest.raises(ImproperlyConfigured, match="MERCATO_UNSAFE_ALLOW_SANDBOX"):
        refuse_to_serve_if_misconfigured()
    settings.MERCATO_PAYMENTS = {
        "MERCATO_PAYMENT_METHODS": "cod,sandbox",
        "MERCATO_UNSAFE_ALLOW_SANDBOX": "1",
    }
    assert errors(settings) == []
    settings.MERCATO_PAYMENTS = {"MERCATO_PAYMENT_METHODS": "cod,sandbox"}
    settings.DEBUG = True
    assert errors(settings) == []
    refuse_to_serve_if_misconfigured()


def test_the_check_runs_with_djangos_checks(settings):
    """`mercato check` (any management command) reports it too."""
    settings.DEBUG = False
    settings.MERCATO_PAYMENTS = {"MERCATO_PAYMENT_METHODS": "sandbox"}
    found = [m.id for m in checks.run_checks(tags=["payments"])]
    assert "payments.E001" in found


def test_unknown_methods_and_unionpay_without_a_refund_back_url_are_errors(settings, monkeypatch):
    monkeypatch.delenv("MERCATO_SITE_URL", raising=False)
    monkeypatch.delenv("UNIONPAY_BACK_URL", raising=False)
    monkeypatch.delenv("UNIONPAY_REFUND_BACK_URL", raising=False)
    settings.MERCATO_PAYMENTS = {"MERCATO_PAYMENT_METHODS": "cod,bitcoin"}
    assert errors(settings) == ["payments.E002"]
    settings.MERCATO_PAYMENTS = {"MERCATO_PAYMENT_METHODS": "cod,unionpay_pc"}
    assert errors(settings) == ["payments.E003"]
    settings.MERCATO_PAYMENTS = {
        "MERCATO_PAYMENT_METHODS": "cod,unionpay_pc",
        "UNIONPAY_REFUND_BACK_URL": "https://shop.example.com/payments/notify/unionpay/",
    }
    assert errors(settings) == []


def test_a_web_process_with_the_sandbox_and_debug_off_does_not_start(tmp_path):
    """What gunicorn does, in a process of its own: importing mercato.wsgi with the
    sandbox offered and DEBUG off fails naming payments.E001 and the setting that would
    allow it; with MERCATO_UNSAFE_ALLOW_SANDBOX=1 as well, it loads."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("MERCATO_", "DATABASE_URL"))}
    env |= {
        "DEBUG": "0",
        "MERCATO_PAYMENT_METHODS": "cod,sandbox",
        "MERCATO_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "mercato.settings",
    }
    code = "import mercato.wsgi; print('serving')"
    refused = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert refused.returncode != 0 and "serving" not in refused.stdout
    assert "payments.E001" in refused.stderr and "MERCATO_UNSAFE_ALLOW_SANDBOX" in refused.stderr
    allowed = subprocess.run(
        [sys.executable, "-c", code],
        env=env | {"MERCATO_UNSAFE_ALLOW_SANDBOX": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert allowed.returncode == 0, allowed.stderr[-2000:]
    assert allowed.stdout.strip() == "serving"

"""System checks for the payment settings. `mercato check` runs them, as does every
management command; the web entry points (wsgi.py, asgi.py) run them before serving, so a
production process with the sandbox switched on refuses to start."""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from .gateways import conf, enabled_methods, sandbox_enabled
from .gateways.base import GatewayNotConfigured

# Loud on purpose: whoever sets it reads that shoppers can pay without paying.
UNSAFE_SANDBOX = "MERCATO_UNSAFE_ALLOW_SANDBOX"
TAG = "payments"


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


@checks.register(TAG, checks.Tags.security)
def check_payment_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """payments.E001: the sandbox is offered while DEBUG is off and nobody said it may be.
    payments.E002: MERCATO_PAYMENT_METHODS names a method that does not exist.
    payments.E003: UnionPay is offered but refunds would carry no backUrl."""
    try:
        methods = enabled_methods()
    except GatewayNotConfigured as error:
        return [checks.Error(str(error.message), id="payments.E002")]
    problems: list[checks.CheckMessage] = []
    if sandbox_enabled() and not settings.DEBUG and not _truthy(conf.setting(UNSAFE_SANDBOX)):
        problems.append(
            checks.Error(
                "The sandbox payment method is offered with DEBUG off: any shopper could "
                "approve their own order without paying.",
                hint=(
                    "Remove 'sandbox' from MERCATO_PAYMENT_METHODS. Only a demo or a test "
                    f"site may keep it, by also setting {UNSAFE_SANDBOX}=1."
                ),
                id="payments.E001",
            )
        )
    gateways = {method.gateway for method in methods}
    if "unionpay" in gateways and not (
        conf.setting("UNIONPAY_REFUND_BACK_URL")
        or conf.setting("UNIONPAY_BACK_URL")
        or conf.setting("MERCATO_SITE_URL")
    ):
        problems.append(
            checks.Error(
                "UnionPay is offered but its refunds would have no backUrl (required).",
                hint="Set UNIONPAY_REFUND_BACK_URL (or UNIONPAY_BACK_URL, or MERCATO_SITE_URL).",
                id="payments.E003",
            )
        )
    return problems


def refuse_to_serve_if_misconfigured() -> None:
    """Raise ImproperlyConfigured naming every payment error: the web entry points call it
    once at start, since gunicorn does not run Django's system checks itself."""
    errors = [m for m in check_payment_settings() if m.level >= checks.ERROR]
    if errors:
        raise ImproperlyConfigured(
            "; ".join(f"{m.id}: {m.msg} {m.hint or ''}".strip() for m in errors)
        )

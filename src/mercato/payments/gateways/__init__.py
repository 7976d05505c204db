"""Payment gateways, registered by name; payment methods map to a gateway and a channel.

Plain imports and a written-out table: grep finds every gateway (no dynamic loading).
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import alipay, cod, conf, sandbox, unionpay, wechatpay
from .base import Gateway, GatewayNotConfigured

GATEWAYS: dict[str, type[Gateway]] = {
    "alipay": alipay.AlipayGateway,
    "wechatpay": wechatpay.WechatPayGateway,
    "unionpay": unionpay.UnionPayGateway,
    "cod": cod.CodGateway,
    "sandbox": sandbox.SandboxGateway,
}


@dataclass(frozen=True)
class PaymentMethod:
    code: str  # what the checkout form and the payment model store
    gateway: str
    channel: str  # passed as PaymentRequest.channel
    label: str | Promise


METHODS = {
    method.code: method
    for method in (
        PaymentMethod("alipay_page", "alipay", "page", _("Alipay")),
        PaymentMethod("alipay_wap", "alipay", "wap", _("Alipay (mobile)")),
        PaymentMethod("wechat_native", "wechatpay", "native", _("WeChat Pay (scan a QR code)")),
        PaymentMethod("wechat_h5", "wechatpay", "h5", _("WeChat Pay (mobile browser)")),
        PaymentMethod("unionpay_pc", "unionpay", "pc", _("UnionPay online")),
        PaymentMethod("unionpay_mobile", "unionpay", "mobile", _("UnionPay online (mobile)")),
        PaymentMethod("cod", "cod", "", _("Cash on delivery")),
        PaymentMethod("sandbox", "sandbox", "", _("Sandbox (test payments, no money moves)")),
    )
}
# The sandbox approves payments where no money moves: never on unless switched on
# (`make demo` and the tests do), and checks.py refuses it without DEBUG unless
# MERCATO_UNSAFE_ALLOW_SANDBOX says so as well.
DEFAULT_METHODS = "cod"
SANDBOX = "sandbox"


def get_gateway(name: str) -> Gateway:
    """The gateway `name`, configured from settings/environment (docs/payments.md).

    WeChat Pay also gets the platform certificates downloaded into the database
    (payments.certificates), and a loader that fetches a serial it does not hold yet."""
    if name not in GATEWAYS:
        raise GatewayNotConfigured(f"unknown payment gateway {name!r}", field="gateway")
    if name == "wechatpay":
        from dataclasses import replace

        from ..certificates import keys_after_refresh, stored_platform_keys

        config = wechatpay.WechatPayConfig.from_settings()
        keys = {**stored_platform_keys(), **config.platform_keys}
        return wechatpay.WechatPayGateway(
            replace(config, platform_keys=keys, key_loader=keys_after_refresh)
        )
    return GATEWAYS[name].from_settings()


def enabled_methods() -> list[PaymentMethod]:
    """The methods offered at checkout, in the order of MERCATO_PAYMENT_METHODS."""
    codes = [c.strip() for c in conf.setting("MERCATO_PAYMENT_METHODS", DEFAULT_METHODS).split(",")]
    unknown = [code for code in codes if code and code not in METHODS]
    if unknown:
        raise GatewayNotConfigured(
            f"unknown payment methods in MERCATO_PAYMENT_METHODS: {', '.join(unknown)}",
            field="MERCATO_PAYMENT_METHODS",
        )
    return [METHODS[code] for code in codes if code]


def sandbox_enabled() -> bool:
    """True when the sandbox is among MERCATO_PAYMENT_METHODS (so it can be chosen)."""
    return any(method.gateway == SANDBOX for method in enabled_methods())

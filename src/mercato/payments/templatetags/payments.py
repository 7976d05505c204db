"""Template helpers for payment pages: the WeChat Native QR code, the return URL, and the
names people read for the codes a payment stores (method, gateway, how a notice came)."""

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..gateways import METHODS
from ..gateways.qr import qr_svg as make_qr_svg
from ..services import return_path

register = template.Library()


@register.filter
def qr_svg(payload: str) -> str:
    """The payload (WeChat's code_url) as an inline SVG; the qrcode library escapes it."""
    return mark_safe(make_qr_svg(payload)) if payload else ""  # noqa: S308


@register.simple_tag
def payment_return_url(payment) -> str:
    return return_path(payment)


GATEWAY_LABELS = {
    "alipay": _("Alipay"),
    "wechatpay": _("WeChat Pay"),
    "unionpay": _("UnionPay online"),
    "cod": _("Cash on delivery"),
    "sandbox": pgettext_lazy("payment gateway", "Sandbox"),
}
VIA_LABELS = {
    "notify": pgettext_lazy("gateway message", "Notice"),
    "return": pgettext_lazy("gateway message", "Return to the shop"),
    "query": pgettext_lazy("gateway message", "Trade query"),
}


@register.filter
def method_label(code: str) -> str:
    """A payment method's name (支付宝, 货到付款) for the code a payment stores."""
    method = METHODS.get(code)
    return str(method.label) if method else code


@register.filter
def gateway_label(code: str) -> str:
    return str(GATEWAY_LABELS.get(code, code))


@register.filter
def via_label(code: str) -> str:
    """How a gateway message came: its notice, the shopper's return, our trade query."""
    return str(VIA_LABELS.get(code, code))

"""Template helpers for payment pages: the WeChat Native QR code and the return URL."""

from django import template
from django.utils.safestring import mark_safe

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

"""QR codes for WeChat Pay Native's code_url, with the `qrcode` library."""

import io

import qrcode
import qrcode.image.svg


def qr_svg(payload: str) -> str:
    """An SVG QR code to inline in the checkout page (no image request, CSP friendly)."""
    image = qrcode.make(payload, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    return image.to_string(encoding="unicode")


def qr_png(payload: str) -> bytes:
    buffer = io.BytesIO()
    qrcode.make(payload, box_size=8, border=2).save(buffer, format="PNG")
    return buffer.getvalue()

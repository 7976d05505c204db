"""The purchase order as a PDF for the supplier (reportlab; Chinese in the built-in CID
font STSong-Light, as fulfillment's documents)."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from .models import PurchaseOrder

FONT = "STSong-Light"


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _fit(text: str, width: float, size: float) -> str:
    text = str(text or "")
    while text and pdfmetrics.stringWidth(text, FONT, size) > width:
        text = text[:-1]
    return text


def purchase_order_pdf(*, order: PurchaseOrder) -> bytes:
    """One A4 document (more pages when the lines need them): supplier, delivery address,
    promised date, the lines and the total."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=0)
    title = _("Purchase order")
    pdf.setTitle(f"{title} {order.number}")
    font = _font()
    width, height = A4
    warehouse = order.warehouse
    supplier = order.supplier

    def header() -> float:
        pdf.setFont(font, 16)
        pdf.drawString(15 * mm, height - 20 * mm, f"{title} {order.number}")
        pdf.setFont(font, 10)
        where = f"{warehouse.province}{warehouse.city}{warehouse.district}{warehouse.address}"
        lines = [
            _("Supplier: %(name)s (%(uscc)s)") % {"name": supplier.name, "uscc": supplier.uscc},
            _("Deliver to: %(warehouse)s %(address)s")
            % {"warehouse": warehouse.name, "address": where},
            # No "·" here: the CID font has no glyph for it.
            _("Promised delivery date: %(date)s; issued on %(today)s")
            % {
                "date": f"{order.promised_date:%Y-%m-%d}",
                "today": f"{timezone.localdate():%Y-%m-%d}",
            },
        ]
        y = height - 30 * mm
        for text in lines:
            pdf.drawString(15 * mm, y, _fit(text, width - 30 * mm, 10))
            y -= 6 * mm
        y -= 4 * mm
        for x, heading in ((15, _("SKU code")), (50, _("Item")), (130, _("Quantity")),
                         (152, _("Unit price")), (175, _("Amount"))):  # fmt: skip
            pdf.drawString(x * mm, y, heading)
        pdf.line(15 * mm, y - 2 * mm, width - 15 * mm, y - 2 * mm)
        return y - 7 * mm

    y = header()
    for line in order.lines.select_related("sku__product"):
        if y < 30 * mm:
            pdf.showPage()
            y = header()
        pdf.setFont(font, 9)
        name = f"{line.sku.product.name} {line.sku.spec_label}"
        pdf.drawString(15 * mm, y, _fit(line.sku.code, 34 * mm, 9))
        pdf.drawString(50 * mm, y, _fit(name, 78 * mm, 9))
        pdf.drawRightString(145 * mm, y, str(line.quantity))
        pdf.drawRightString(170 * mm, y, f"¥{line.unit_price}")
        pdf.drawRightString(195 * mm, y, f"¥{line.amount:.2f}")
        y -= 6 * mm
    pdf.line(15 * mm, y + 2 * mm, width - 15 * mm, y + 2 * mm)
    pdf.setFont(font, 11)
    pdf.drawRightString(195 * mm, y - 4 * mm, _("Total: ¥%(total)s") % {"total": order.total})
    if order.note:
        pdf.setFont(font, 9)
        note = _("Note: %(note)s") % {"note": order.note}
        pdf.drawString(15 * mm, y - 12 * mm, _fit(note, 180 * mm, 9))
    pdf.showPage()
    pdf.save()
    return out.getvalue()

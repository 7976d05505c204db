"""Printed documents (reportlab, pure Python): the pick list of a wave, the packing slip
and the waybill (面单) of a parcel.

Chinese text uses reportlab's built-in CID font STSong-Light (no font file needed: PDF
readers supply it). On the waybill the recipient's phone is masked as GB/T 41833-2022
asks — the middle digits hidden (138****5678) — and the name shows the surname only; the
address stays whole, the courier needs it.
"""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.graphics.barcode import code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from mercato.core.masking import mask_phone, mask_text
from mercato.core.regions import area_text

from .models import Shipment, Wave
from .waves import pick_list

FONT = "STSong-Light"
LABEL = (100 * mm, 150 * mm)  # the common thermal waybill size


def _font():
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _fit(text: str, width: float, size: float) -> str:
    """Cut text to fit `width` at `size` points."""
    text = str(text or "")
    while text and pdfmetrics.stringWidth(text, FONT, size) > width:
        text = text[:-1]
    return text


def pick_list_pdf(*, wave: Wave) -> bytes:
    rows = pick_list(wave=wave)
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=0)
    pdf.setTitle(f"{_('Pick list')} {wave.number}")
    font = _font()
    width, height = A4

    def header():
        pdf.setFont(font, 14)
        pdf.drawString(15 * mm, height - 18 * mm, f"{_('Pick list')} {wave.number}")
        pdf.setFont(font, 9)
        cutoff = f"{timezone.localtime(wave.cutoff):%Y-%m-%d %H:%M}"
        pdf.drawString(
            15 * mm,
            height - 24 * mm,
            f"{wave.warehouse} · {wave.carrier or ''} · {_('cut-off')} {cutoff} · "
            f"{wave.parcel_count} {_('parcels')}",
        )
        code128.Code128(wave.number, barHeight=10 * mm).drawOn(
            pdf, width - 80 * mm, height - 26 * mm
        )
        pdf.setFont(font, 9)
        y = height - 34 * mm
        for x, title in ((15, _("Bin")), (35, _("SKU code")), (70, _("Item")), (150, _("Qty")),
                         (163, _("Parcels"))):  # fmt: skip
            pdf.drawString(x * mm, y, title)
        pdf.line(15 * mm, y - 2 * mm, width - 15 * mm, y - 2 * mm)
        return y - 7 * mm

    y = header()
    for row in rows:
        parcels = ", ".join(f"{n.rsplit('-', 2)[-2][-4:]}-{n.rsplit('-', 1)[-1]}×{q}"
                            for n, q in row.parcels)  # fmt: skip
        pdf.setFont(font, 10)
        pdf.drawString(15 * mm, y, row.bin or "—")
        pdf.drawString(35 * mm, y, _fit(row.sku_code, 33 * mm, 10))
        pdf.drawString(70 * mm, y, _fit(f"{row.name} {row.specs}", 78 * mm, 10))
        pdf.drawRightString(158 * mm, y, str(row.quantity))
        pdf.setFont(font, 7)
        pdf.drawString(163 * mm, y, _fit(parcels, 33 * mm, 7))
        y -= 7 * mm
        if y < 20 * mm:
            pdf.showPage()
            y = header()
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def packing_slip_pdf(*, shipment: Shipment) -> bytes:
    """The slip that goes into the box: order, parcel, what is in it."""
    order = shipment.order
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=0)
    pdf.setTitle(f"{_('Packing slip')} {shipment.number}")
    font = _font()
    width, height = A4
    pdf.setFont(font, 16)
    pdf.drawString(15 * mm, height - 20 * mm, _("Packing slip"))
    pdf.setFont(font, 10)
    pdf.drawString(
        15 * mm, height - 28 * mm, f"{_('Order')} {order.number} · {_('Parcel')} {shipment.number}"
    )
    pdf.drawString(
        15 * mm,
        height - 34 * mm,
        f"{_('Placed at')} {timezone.localtime(order.placed_at):%Y-%m-%d %H:%M}",
    )
    pdf.drawString(
        15 * mm, height - 40 * mm, f"{_('Recipient')} {mask_text(order.recipient, keep=1)}"
    )
    code128.Code128(shipment.number, barHeight=10 * mm).drawOn(
        pdf, width - 85 * mm, height - 32 * mm
    )
    y = height - 52 * mm
    for x, title in ((15, _("SKU code")), (55, _("Item")), (170, _("Qty"))):
        pdf.drawString(x * mm, y, title)
    pdf.line(15 * mm, y - 2 * mm, width - 15 * mm, y - 2 * mm)
    y -= 8 * mm
    for line in shipment.lines.select_related("sku__product").order_by("id"):
        specs = " ".join(str(v) for v in line.sku.specs.values())
        pdf.drawString(15 * mm, y, _fit(line.sku.code, 38 * mm, 10))
        pdf.drawString(55 * mm, y, _fit(f"{line.sku.product.name} {specs}", 110 * mm, 10))
        pdf.drawRightString(180 * mm, y, str(line.quantity))
        y -= 7 * mm
        if y < 20 * mm:
            pdf.showPage()
            pdf.setFont(font, 10)
            y = height - 20 * mm
    pdf.setFont(font, 9)
    pdf.drawString(
        15 * mm,
        15 * mm,
        _("Thank you for your order. Returns within the return window: see your account page."),
    )
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def waybill_lines(shipment: Shipment) -> dict:
    """What the waybill prints, personal data masked (tested without a PDF reader)."""
    order = shipment.order
    return {
        "carrier": shipment.carrier.name if shipment.carrier else "",
        "waybill_no": shipment.waybill_no or "",
        "recipient": mask_text(order.recipient, keep=1),
        "phone": mask_phone(order.mobile),
        "address": area_text(order.province, order.city, order.district) + order.detail,
        "sender": f"{shipment.warehouse.name} {shipment.warehouse.phone}".strip(),
        "sender_address": area_text(
            shipment.warehouse.province, shipment.warehouse.city, shipment.warehouse.district
        )
        + shipment.warehouse.address,  # fmt: skip
        "cod": str(shipment.cod_amount) if shipment.cod_amount else "",
        "weight": f"{shipment.weight_g / 1000:.2f} kg" if shipment.weight_g else "",
        "parcel": shipment.number,
    }


def waybills_pdf(*, shipments) -> bytes:
    """One 100 × 150 mm label per parcel (each must have its waybill number)."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=LABEL, pageCompression=0)
    pdf.setTitle(_("Waybills"))
    font = _font()
    width, height = LABEL
    for shipment in shipments:
        data = waybill_lines(shipment)
        pdf.setFont(font, 14)
        pdf.drawString(5 * mm, height - 10 * mm, data["carrier"])
        if data["cod"]:
            pdf.setFont(font, 12)
            pdf.drawRightString(width - 5 * mm, height - 10 * mm, f"{_('COD')} ¥{data['cod']}")
        barcode = code128.Code128(data["waybill_no"], barHeight=18 * mm, barWidth=0.35 * mm)
        barcode.drawOn(pdf, (width - barcode.width) / 2, height - 33 * mm)
        pdf.setFont(font, 11)
        pdf.drawCentredString(width / 2, height - 38 * mm, data["waybill_no"])
        pdf.line(3 * mm, height - 41 * mm, width - 3 * mm, height - 41 * mm)
        pdf.setFont(font, 9)
        pdf.drawString(5 * mm, height - 47 * mm, _("To"))
        pdf.setFont(font, 12)
        pdf.drawString(14 * mm, height - 47 * mm, f"{data['recipient']}  {data['phone']}")
        pdf.setFont(font, 10)
        address, y = data["address"], height - 54 * mm
        while address and y > height - 78 * mm:
            chunk = _fit(address, width - 19 * mm, 10)
            pdf.drawString(14 * mm, y, chunk)
            address, y = address[len(chunk) :], y - 5 * mm
        pdf.line(3 * mm, height - 82 * mm, width - 3 * mm, height - 82 * mm)
        pdf.setFont(font, 8)
        pdf.drawString(5 * mm, height - 88 * mm, f"{_('From')} {data['sender']}")
        pdf.drawString(5 * mm, height - 93 * mm, _fit(data["sender_address"], width - 10 * mm, 8))
        pdf.drawString(
            5 * mm, height - 100 * mm, f"{_('Parcel')} {data['parcel']}  {data['weight']}"
        )
        small = code128.Code128(data["parcel"], barHeight=10 * mm, barWidth=0.3 * mm)
        small.drawOn(pdf, 5 * mm, 12 * mm)
        pdf.showPage()
    pdf.save()
    return out.getvalue()

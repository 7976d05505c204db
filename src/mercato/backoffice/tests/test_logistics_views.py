"""Picking, packing and shipping pages: waves, pick lists, the packing station's scan
cues, printed documents (the waybill's phone masked), shipping, tracking upload."""

import io

import pytest
from django.urls import reverse

from mercato.fulfillment.allocation import allocate_approved_orders
from mercato.fulfillment.models import Shipment, ShipmentStatus, Wave
from mercato.fulfillment.pdfs import waybill_lines
from mercato.fulfillment.review.services import review_paid_orders
from mercato.orders.models import Order, OrderStatus
from mercato.testing.fulfillment import (
    ADDRESS,
    carriers,
    make_customer,
    make_shop,
    make_sku,
    packed,
    place,
    stock,
    to_picking,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    warehouses = make_shop()
    carriers()
    a, b = make_sku(), make_sku()
    stock(a, warehouses["四川省"], 30, "A-05")
    stock(b, warehouses["四川省"], 30, "A-01")
    return {"a": a, "b": b}


@pytest.fixture
def worker(client, make_staff):
    user = make_staff("procurement", roles=["order_processing"])
    client.force_login(user)
    return user


def pdf_text_forms(text: str) -> list[bytes]:
    """How ASCII text sits in our PDFs (uncompressed pages): plain, or in the CID font's
    two-byte form that reportlab writes with octal escapes (\\000S\\000F...)."""
    return [text.encode(), "".join(f"\\000{ch}" for ch in text).encode()]


def test_create_waves_then_print_the_pick_list(client, worker, shop):
    orders = [place(make_customer(), (shop["a"], 1), (shop["b"], 2)) for _ in range(2)]
    review_paid_orders()
    allocate_approved_orders()
    response = client.post(reverse("backoffice:wave_list"), {"max_parcels": 200})
    assert response.status_code == 302
    wave = Wave.objects.get()
    page = client.get(reverse("backoffice:wave_detail", args=[wave.pk]))
    rows = page.context["rows"]
    assert [(r.bin, r.quantity) for r in rows] == [("A-01", 4), ("A-05", 2)]
    pdf = client.get(reverse("backoffice:wave_pick_list_pdf", args=[wave.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert {o.status for o in Order.objects.filter(pk__in=[o.pk for o in orders])} == {"picking"}


def test_bad_wave_form_is_named(client, worker, shop):
    response = client.post(reverse("backoffice:wave_list"), {"max_parcels": 0})
    assert response.status_code == 400 and "max_parcels" in response.context["form"].errors


def test_packing_station_scans_with_cues(client, worker, shop):
    mine, other = place(make_customer(), (shop["a"], 1)), place(make_customer(), (shop["b"], 1))
    [[parcel], _other] = to_picking(mine, other)
    url = reverse("backoffice:pack_scan", args=[parcel.pk])
    wrong = client.post(url, {"code": shop["b"].barcode}, headers={"HX-Request": "true"})
    assert wrong.status_code == 409
    html = wrong.content.decode()
    assert 'data-cue="error"' in html and parcel.number.rsplit("-", 1)[0] not in html
    right = client.post(url, {"code": shop["a"].barcode}, headers={"HX-Request": "true"})
    assert right.status_code == 200 and 'data-cue="ok"' in right.content.decode()
    assert 'id="all-scanned"' in right.content.decode()
    finish = client.post(reverse("backoffice:pack_finish", args=[parcel.pk]),
                         {"weight_g": "650", "box": ""})  # fmt: skip
    assert finish.status_code == 302
    parcel.refresh_from_db()
    assert parcel.status == ShipmentStatus.PACKED and parcel.waybill_no and parcel.box


def test_closing_before_every_item_is_scanned_is_refused(client, worker, shop):
    order = place(make_customer(), (shop["a"], 2))
    [[parcel]] = to_picking(order)
    response = client.post(reverse("backoffice:pack_finish", args=[parcel.pk]), {"weight_g": "650"})
    assert response.status_code == 400
    parcel.refresh_from_db()
    assert parcel.status == ShipmentStatus.PICKING


def test_waybill_masks_the_phone_and_the_name(client, worker, shop):
    order = place(make_customer(), (shop["a"], 1))
    [[parcel]] = to_picking(order)
    parcel = packed(parcel, worker)
    lines = waybill_lines(
        Shipment.objects.select_related("order", "carrier", "warehouse").get(pk=parcel.pk)
    )
    assert lines["phone"] == "138****8000" and lines["recipient"] == "张*"
    assert lines["address"] == "四川省成都市武侯区" + ADDRESS.detail
    pdf = client.get(reverse("backoffice:parcel_waybill_pdf", args=[parcel.pk])).content
    assert pdf.startswith(b"%PDF")
    assert not any(form in pdf for form in pdf_text_forms(ADDRESS.mobile))
    assert any(form in pdf for form in pdf_text_forms(parcel.waybill_no))
    assert any(form in pdf for form in pdf_text_forms("138****8000"))
    slip = client.get(reverse("backoffice:parcel_slip_pdf", args=[parcel.pk]))
    assert slip.content.startswith(b"%PDF")


def test_ship_the_ticked_parcels(client, worker, shop):
    order = place(make_customer(), (shop["a"], 1))
    [[parcel]] = to_picking(order)
    packed(parcel, worker)
    response = client.post(reverse("backoffice:ship"), {"parcel": [parcel.pk]})
    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED


def test_tracking_upload_reports_row_errors(client, worker, make_staff, shop):
    client.force_login(make_staff("procurement"))
    file = io.BytesIO(b"waybill_no,code,occurred_at\nNOPE,delivered,2026-01-01T10:00:00+08:00\n")
    file.name = "t.csv"
    response = client.post(reverse("backoffice:tracking_upload"), {"carrier": 1, "file": file})
    assert response.status_code == 400


def test_buyers_cannot_pack_or_ship(client, make_staff, shop):
    order = place(make_customer(), (shop["a"], 1))
    [[parcel]] = to_picking(order)
    client.force_login(make_staff("procurement"))
    assert client.get(reverse("backoffice:pack_parcel", args=[parcel.pk])).status_code == 403
    client.post(reverse("backoffice:pack_scan", args=[parcel.pk]), {"code": shop["a"].barcode})
    assert parcel.lines.get().packed == 0

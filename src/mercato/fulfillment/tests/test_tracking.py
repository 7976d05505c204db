"""Carrier tracking: the signed webhook (signature, clock skew, replay), events out of
order or duplicated, unknown waybills, the CSV upload, polls of a carrier's API (a fake
carrier server on 127.0.0.1), and the order following its parcels."""

import io
import json
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from mercato.core.errors import ValidationFailed
from mercato.fulfillment import shipping, tracking
from mercato.fulfillment.models import (
    Carrier,
    Shipment,
    ShipmentStatus,
    TrackingEvent,
    WebhookNonce,
)
from mercato.orders.models import Order, OrderStatus
from mercato.testing.fulfillment import (
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
URL = "/api/carriers/{code}/tracking"


@pytest.fixture
def shipped(db, make_staff):
    """Two shipped parcels of two orders (both with the carrier the rules chose)."""
    warehouses = make_shop()
    carriers()
    sku = make_sku()
    stock(sku, warehouses["四川省"], 20, "A-01")
    packer = make_staff("procurement", roles=["order_processing"])
    orders = [place(make_customer(), (sku, 1)) for _ in range(2)]
    parcels = [p for [p] in to_picking(*orders)]
    for parcel in parcels:
        packed(parcel, packer)
    shipping.ship_parcels(actor=packer, shipment_ids=[p.pk for p in parcels])
    parcels = [Shipment.objects.select_related("carrier").get(pk=p.pk) for p in parcels]
    return {"orders": orders, "parcels": parcels, "carrier": parcels[0].carrier, "packer": packer}


def event(parcel, code, minutes_ago=10, **kw):
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return {"event_id": kw.pop("event_id", uuid.uuid4().hex), "waybill_no": parcel.waybill_no,
            "code": code, "occurred_at": at.isoformat(), "location": "成都", **kw}  # fmt: skip


def post(client, carrier, events, *, secret=None, timestamp=None, nonce=None, body=None):
    body = body if body is not None else json.dumps({"events": events}).encode()
    timestamp = str(timestamp if timestamp is not None else int(time.time()))
    nonce = nonce or uuid.uuid4().hex
    signature = tracking.sign(secret or carrier.webhook_secret, timestamp=timestamp,
                              nonce=nonce, body=body)  # fmt: skip
    return client.post(
        URL.format(code=carrier.code), body, content_type="application/json",
        headers={"X-Mercato-Timestamp": timestamp, "X-Mercato-Nonce": nonce,
                 "X-Mercato-Signature": signature},
    )  # fmt: skip


def status_of(obj) -> str:
    return type(obj).objects.values_list("status", flat=True).get(pk=obj.pk)


def test_delivered_events_deliver_the_parcel_and_the_order(client, shipped):
    parcel, order = shipped["parcels"][0], shipped["orders"][0]
    response = post(client, shipped["carrier"], [event(parcel, "in_transit", 60),
                                                  event(parcel, "delivered", 5)])  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["applied"] == 2
    parcel.refresh_from_db()
    assert parcel.status == ShipmentStatus.DELIVERED and parcel.delivered_at is not None
    assert status_of(order) == OrderStatus.DELIVERED


def test_a_bad_signature_a_stale_timestamp_and_a_replay_are_refused(client, shipped):
    carrier, parcel = shipped["carrier"], shipped["parcels"][0]
    events = [event(parcel, "delivered")]
    assert post(client, carrier, events, secret="wrong").status_code == 401
    assert post(client, carrier, events, timestamp=int(time.time()) - 600).status_code == 401
    assert post(client, carrier, events, nonce="short").status_code == 401
    assert status_of(parcel) == ShipmentStatus.SHIPPED
    nonce = uuid.uuid4().hex
    assert post(client, carrier, events, nonce=nonce).status_code == 200
    again = post(client, carrier, [event(parcel, "lost")], nonce=nonce)
    assert again.status_code == 409
    assert status_of(parcel) == ShipmentStatus.DELIVERED
    other = Carrier.objects.exclude(pk=carrier.pk).first()
    # Another carrier's secret does not sign for this one.
    assert post(client, carrier, events, secret=other.webhook_secret).status_code == 401


def test_duplicated_events_change_nothing_twice(client, shipped):
    carrier, parcel = shipped["carrier"], shipped["parcels"][0]
    same = event(parcel, "damaged", event_id="EV-1")
    first = post(client, carrier, [same]).json()
    second = post(client, carrier, [same, same]).json()
    assert (first["applied"], second["applied"], second["duplicates"]) == (1, 0, 2)
    assert TrackingEvent.objects.filter(shipment=parcel).count() == 1
    parcel.refresh_from_db()
    assert parcel.status == ShipmentStatus.EXCEPTION and parcel.damaged
    assert status_of(shipped["orders"][0]) == OrderStatus.EXCEPTION


def test_an_older_event_arriving_late_is_kept_but_does_not_move_back(client, shipped):
    carrier, parcel = shipped["carrier"], shipped["parcels"][0]
    post(client, carrier, [event(parcel, "delivered", 5)])
    late = post(client, carrier, [event(parcel, "delayed", 120)]).json()
    assert (late["applied"], late["kept"]) == (0, 1)
    assert status_of(parcel) == ShipmentStatus.DELIVERED
    assert TrackingEvent.objects.filter(shipment=parcel, applied=False).count() == 1


def test_events_in_one_request_are_applied_in_time_order(client, shipped):
    carrier, parcel = shipped["carrier"], shipped["parcels"][0]
    body = post(client, carrier, [event(parcel, "delivered", 5), event(parcel, "delayed", 60),
                                  event(parcel, "in_transit", 30)]).json()  # fmt: skip
    assert body["applied"] == 3
    assert status_of(parcel) == ShipmentStatus.DELIVERED


def test_unknown_waybill_or_code_rejects_the_whole_request(client, shipped):
    carrier, parcel = shipped["carrier"], shipped["parcels"][0]
    bad = {**event(parcel, "delivered"), "waybill_no": "NOPE123456"}
    response = post(client, carrier, [event(parcel, "delivered"), bad,
                                      {**event(parcel, "teleported")}])  # fmt: skip
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"events.1.waybill_no", "events.2.code"}
    assert status_of(parcel) == ShipmentStatus.SHIPPED
    assert not TrackingEvent.objects.exists()
    assert not WebhookNonce.objects.exists()  # rolled back: the carrier may resend fixed
    assert post(client, carrier, [], body=b"not json").status_code == 422


def test_refused_then_returned_closes_the_order(client, shipped):
    carrier, parcel, order = shipped["carrier"], shipped["parcels"][0], shipped["orders"][0]
    post(client, carrier, [event(parcel, "refused", 30), event(parcel, "returned", 10)])
    assert status_of(parcel) == ShipmentStatus.REFUSED
    assert status_of(order) == OrderStatus.EXCEPTION
    shipping.receive_refused_parcel(actor=shipped["packer"], shipment_id=parcel.pk)
    assert status_of(order) == OrderStatus.CLOSED


def test_csv_upload_applies_all_rows_or_none(shipped, make_staff):
    carrier, (one, two) = shipped["carrier"], shipped["parcels"]
    clerk = make_staff("procurement")
    at = (timezone.now() - timedelta(minutes=3)).isoformat()
    bad = "\n".join(
        ["waybill_no,code,occurred_at", f"{one.waybill_no},delivered,{at}",
         f"XX1,delivered,{at}", f"{two.waybill_no},delivered,yesterday", ""]
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as exc:
        tracking.upload_tracking_csv(actor=clerk, carrier_code=carrier.code,
                                     file=io.BytesIO(bad.encode()))  # fmt: skip
    assert set(exc.value.field_errors) == {"row 3.waybill_no", "row 4.occurred_at"}
    assert status_of(one) == ShipmentStatus.SHIPPED
    good = "\n".join(
        ["waybill_no,code,occurred_at,location", f"{one.waybill_no},delivered,{at},成都",
         f"{two.waybill_no},lost,{at},", ""]
    )  # fmt: skip
    result = tracking.upload_tracking_csv(actor=clerk, carrier_code=carrier.code,
                                          file=io.BytesIO(good.encode()))  # fmt: skip
    assert result.applied == 2
    assert (status_of(one), status_of(two)) == (ShipmentStatus.DELIVERED, ShipmentStatus.LOST)
    # The same file again: recognised, nothing changes.
    again = tracking.upload_tracking_csv(actor=clerk, carrier_code=carrier.code,
                                         file=io.BytesIO(good.encode()))  # fmt: skip
    assert (again.applied, again.duplicates) == (0, 2)


def test_csv_needs_its_columns(shipped, make_staff):
    with pytest.raises(ValidationFailed) as exc:
        tracking.upload_tracking_csv(actor=make_staff("procurement"),
                                     carrier_code=shipped["carrier"].code,
                                     file=io.BytesIO(b"waybill,status\nA,B\n"))  # fmt: skip
    assert "file" in exc.value.field_errors


class FakeCarrier(BaseHTTPRequestHandler):
    """A carrier's tracking API on 127.0.0.1: answers delivered for every waybill asked,
    after checking the signature the way the carrier would."""

    secret = ""
    seen = []

    def do_GET(self):  # noqa: N802 - http.server's name
        parsed = urlparse(self.path)
        waybills = parse_qs(parsed.query)["waybills"][0].split(",")
        body = parsed.query.encode()
        expected = tracking.sign(self.secret, timestamp=self.headers["X-Mercato-Timestamp"],
                                 nonce=self.headers["X-Mercato-Nonce"], body=body)  # fmt: skip
        ok = expected == self.headers["X-Mercato-Signature"]
        FakeCarrier.seen.append((waybills, ok))
        at = (timezone.now() - timedelta(minutes=1)).isoformat()
        answer = {"events": [{"event_id": f"P-{w}", "waybill_no": w, "code": "delivered",
                              "occurred_at": at} for w in waybills]} if ok else {}  # fmt: skip
        data = json.dumps(answer).encode()
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_poll_asks_the_carriers_api_and_applies_the_answer(shipped):
    carrier = shipped["carrier"]
    server = HTTPServer(("127.0.0.1", 0), FakeCarrier)
    FakeCarrier.secret, FakeCarrier.seen = carrier.webhook_secret, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        Carrier.objects.filter(pk=carrier.pk).update(
            tracking_api_url=f"http://127.0.0.1:{server.server_port}/track"
        )
        carrier.refresh_from_db()
        result = tracking.poll_carrier(carrier=carrier)
    finally:
        server.shutdown()
        server.server_close()
    [(asked, signed)] = FakeCarrier.seen
    assert signed and sorted(asked) == sorted(p.waybill_no for p in shipped["parcels"])
    assert result.applied == 2
    assert {status_of(o) for o in shipped["orders"]} == {OrderStatus.DELIVERED}
    assert Order.objects.filter(status=OrderStatus.DELIVERED).count() == 2

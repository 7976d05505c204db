"""The order console over the staff API: /api/staff/orders and /api/staff/phone-orders."""

import csv
import io
import json

import pytest

from mercato.orders.models import EventKind, Order, OrderChannel, OrderStatus
from mercato.testing.api import assert_error_format, bearer, fields_of
from mercato.testing.fulfillment import make_customer, make_shop, make_sku, place, stock

pytestmark = pytest.mark.django_db
BASE = "/api/staff"


@pytest.fixture
def shop(db):
    warehouses = make_shop()
    sku = make_sku(price="50.00")
    stock(sku, warehouses["四川省"], 50)
    return {"sku": sku, "warehouses": warehouses}


def order_in(shop, **kw):
    return place(make_customer(), (shop["sku"], 1), **kw)


def test_search_and_read_an_order_masked_for_finance(client, shop, make_staff):
    order = order_in(shop)
    order_in(shop, method="cod")
    headers = bearer(make_staff("finance"))
    body = client.get(f"{BASE}/orders", {"status": "paid"}, headers=headers).json()
    assert body["count"] == 1 and not body["more_than"]
    [row] = body["results"]
    assert row["number"] == order.number and row["mobile"] == "138****8000"
    detail = client.get(f"{BASE}/orders/{order.number}", headers=headers).json()
    assert [e["to_status"] for e in detail["events"]] == ["pending_payment", "paid"]
    assert detail["lines"][0]["sku_code"] == shop["sku"].code
    assert detail["detail"].startswith("人民") and "*" in detail["detail"]


def test_service_sees_phones_in_full(client, shop, make_staff):
    order = order_in(shop)
    headers = bearer(make_staff("service"))
    detail = client.get(f"{BASE}/orders/{order.number}", headers=headers).json()
    assert detail["mobile"] == "13800138000"


def test_bad_filters_and_unknown_orders_answer_4xx(client, shop, make_staff):
    headers = bearer(make_staff("service"))
    body = assert_error_format(client.get(f"{BASE}/orders", {"status": "x"}, headers=headers), 422)
    assert fields_of(body) == {"status"}
    body = assert_error_format(
        client.get(f"{BASE}/orders", {"placed_from": "yesterday"}, headers=headers), 422
    )
    assert fields_of(body) == {"placed_from"}
    assert_error_format(client.get(f"{BASE}/orders/20990101-000001", headers=headers), 404)


def test_without_permission_or_token(client, shop, make_staff):
    order = order_in(shop)
    assert_error_format(client.get(f"{BASE}/orders"), 401)
    headers = bearer(make_staff("marketing"))
    assert_error_format(client.get(f"{BASE}/orders", headers=headers), 403)
    assert_error_format(client.get(f"{BASE}/orders/{order.number}", headers=headers), 403)


def test_actions_cancel_hold_note_and_address(client, shop, make_staff):
    order = order_in(shop)
    headers = bearer(make_staff("service"))
    post = lambda path, body: client.post(  # noqa: E731
        f"{BASE}/orders/{order.number}/{path}",
        json.dumps(body),
        content_type="application/json",
        headers=headers,
    )
    assert post("hold", {"reason": "核实地址"}).json()["on_hold"] is True
    assert post("release", {}).json()["on_hold"] is False
    assert post("notes", {"text": "已电话联系"}).status_code == 201
    address = {
        "recipient": "张三", "mobile": "13800138000", "province": "四川省", "city": "成都市",
        "district": "锦江区", "detail": "春熙路8号", "confirmation": "客户来电确认",
    }  # fmt: skip
    body = post("address", address).json()
    assert body["district"] == "锦江区"
    body = assert_error_format(post("address", {**address, "confirmation": ""}), 422)
    assert fields_of(body) == {"confirmation"}
    assert_error_format(post("cancel", {"reason": ""}), 422)
    assert post("cancel", {"reason": "客户取消"}).json()["status"] == "cancelled"
    kinds = set(Order.objects.get(pk=order.pk).events.values_list("kind", flat=True))
    assert {EventKind.HOLD, EventKind.RELEASE, EventKind.ADDRESS, EventKind.STATUS} <= kinds


def test_finance_cannot_act(client, shop, make_staff):
    order = order_in(shop)
    headers = bearer(make_staff("finance"))
    response = client.post(
        f"{BASE}/orders/{order.number}/cancel",
        json.dumps({"reason": "x"}),
        content_type="application/json",
        headers=headers,
    )
    assert_error_format(response, 403)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_export_csv(client, shop, make_staff):
    order = order_in(shop)
    headers = bearer(make_staff("service"))
    response = client.get(f"{BASE}/orders/export", {"format": "csv"}, headers=headers)
    assert response.status_code == 200, response.content
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[1][0] == order.number and rows[1][rows[0].index("mobile")] == "13800138000"


PHONE_ORDER = {
    "mobile": "13612345678",
    "name": "赵六",
    "address": {
        "recipient": "赵六",
        "mobile": "13612345678",
        "province": "四川省",
        "city": "成都市",
        "district": "武侯区",
        "detail": "人民南路四段1号",
    },  # fmt: skip
    "payment_method": "cod",
    "idempotency_key": "phone-api-0001",
}


def test_phone_order_over_the_api_is_placed_once(client, shop, make_staff):
    headers = bearer(make_staff("service"))
    body = {**PHONE_ORDER, "lines": [{"sku_code": shop["sku"].code, "quantity": 2}]}
    post = lambda: client.post(  # noqa: E731
        f"{BASE}/phone-orders", json.dumps(body), content_type="application/json", headers=headers
    )
    first = post()
    assert first.status_code == 201, first.content
    again = post().json()
    assert again["created"] is False and again["number"] == first.json()["number"]
    order = Order.objects.get()
    assert order.channel == OrderChannel.PHONE and order.status == OrderStatus.COD_CONFIRMED


def test_phone_order_errors_name_the_field(client, shop, make_staff):
    headers = bearer(make_staff("service"))
    bad_sku = {**PHONE_ORDER, "lines": [{"sku_code": "NOPE", "quantity": 1}]}
    response = client.post(
        f"{BASE}/phone-orders", json.dumps(bad_sku), content_type="application/json",
        headers=headers,
    )  # fmt: skip
    assert fields_of(assert_error_format(response, 422)) == {"lines.0.sku_code"}
    bad_phone = {
        **PHONE_ORDER,
        "address": {**PHONE_ORDER["address"], "mobile": "0281234567"},
        "lines": [{"sku_code": shop["sku"].code, "quantity": 1}],
    }
    response = client.post(
        f"{BASE}/phone-orders", json.dumps(bad_phone), content_type="application/json",
        headers=headers,
    )  # fmt: skip
    assert fields_of(assert_error_format(response, 422)) == {"address.mobile"}
    assert not Order.objects.exists()

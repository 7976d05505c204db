"""The order console (订单管理): search, the order page, actions, export, over the back
office, for customer service, order processing and finance."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from mercato.customers.sms import LocmemSmsBackend
from mercato.fulfillment.models import Shipment
from mercato.inventory.models import Stock
from mercato.orders.models import EventKind, Order, OrderEvent, OrderNote, OrderStatus
from mercato.testing.fulfillment import ADDRESS, at, make_customer, make_shop, make_sku, stock
from mercato.testing.fulfillment import place as place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    warehouses = make_shop()
    sku = make_sku(price="50.00")
    for warehouse in warehouses.values():
        stock(sku, warehouse, 100)
    return {"warehouses": warehouses, "sku": sku}


@pytest.fixture
def login(client, make_staff):
    def do(department, roles=None):
        user = make_staff(department, roles=roles)
        client.force_login(user)
        return user

    return do


def place(shop, **kw):
    customer = kw.pop("customer", None) or make_customer()
    return place_order(customer, (shop["sku"], kw.pop("quantity", 1)), **kw)


def numbers(response) -> list[str]:
    return [o.number for o in response.context["page"].object_list]


def test_search_finds_an_order_by_number_phone_recipient_and_waybill(client, login, shop):
    """The one search box takes an order number (or its start), a mobile in any format,
    a recipient's name or a waybill number."""
    mine = place(shop, address=at("上海市", "上海市", "浦东新区", "碧波路690号", recipient="王五",
                                  mobile="13712345678"))  # fmt: skip
    other = place(shop)
    Shipment.objects.create(
        number=f"{mine.number}-1", order=mine, reference=mine.number,
        warehouse=shop["warehouses"]["上海市"], province="上海市", waybill_no="SF100000000001",
    )  # fmt: skip
    login("service")
    url = reverse("backoffice:order_list")
    for text in (mine.number, "+86 137-1234-5678", "王五", "sf100000000001"):
        assert numbers(client.get(url, {"q": text})) == [mine.number], text
    # The start of a number: every order of that day.
    assert set(numbers(client.get(url, {"q": mine.number[:9]}))) == {mine.number, other.number}
    assert set(numbers(client.get(url))) == {mine.number, other.number}
    assert numbers(client.get(url, {"q": "nobody"})) == []


def test_filters_narrow_by_status_method_warehouse_channel_and_date(client, login, shop):
    """Each filter keeps only the orders that match it."""
    paid = place(shop)
    cod = place(shop, method="cod")
    unpaid = place(shop, paid=False)
    shanghai = place(shop, address=at("上海市", "上海市", "浦东新区", "碧波路690号"))
    Order.objects.filter(pk=unpaid.pk).update(placed_at=timezone.now() - timedelta(days=3))
    login("service")
    url = reverse("backoffice:order_list")
    assert set(numbers(client.get(url, {"status": "paid"}))) == {paid.number, shanghai.number}
    assert numbers(client.get(url, {"payment_method": "cod"})) == [cod.number]
    warehouse = shop["warehouses"]["上海市"]
    assert numbers(client.get(url, {"warehouse": warehouse.pk})) == [shanghai.number]
    today = timezone.localdate()
    recent = numbers(client.get(url, {"placed_from": today - timedelta(days=1)}))
    assert unpaid.number not in recent and paid.number in recent
    old = numbers(client.get(url, {"placed_to": today - timedelta(days=2)}))
    assert old == [unpaid.number]
    assert numbers(client.get(url, {"channel": "phone"})) == []


def test_a_bad_filter_value_is_named_and_lists_nothing(client, login, shop):
    place(shop)
    login("service")
    response = client.get(reverse("backoffice:order_list"), {"status": "teleported"})
    assert response.status_code == 200
    assert response.context["filter"].errors["status"]


def test_order_list_query_budget(client, login, shop, django_assert_max_num_queries):
    """Fifty orders on a page in a fixed number of queries."""
    for _ in range(12):
        place(shop)
    login("service")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("backoffice:order_list"))
    assert len(numbers(response)) == 12


def test_phones_and_addresses_are_masked_without_the_permission(client, login, shop):
    """Finance sees 138****8000 and a starred street; customer service sees them whole."""
    order = place(shop)
    login("finance")
    page = client.get(reverse("backoffice:order_detail", args=[order.number])).content.decode()
    listing = client.get(reverse("backoffice:order_list")).content.decode()
    for html in (page, listing):
        assert "13800138000" not in html and "138****8000" in html
    assert ADDRESS.detail not in page
    login("service")
    page = client.get(reverse("backoffice:order_detail", args=[order.number])).content.decode()
    assert "13800138000" in page and ADDRESS.detail in page


def test_departments_without_orders_cannot_open_the_console(client, login, shop):
    order = place(shop)
    login("marketing")
    assert client.get(reverse("backoffice:order_list")).status_code == 403
    assert client.get(reverse("backoffice:order_detail", args=[order.number])).status_code == 403


def test_order_page_shows_lines_parcels_payments_and_history(
    client, login, shop, django_assert_max_num_queries
):
    order = place(shop)
    login("service")
    with django_assert_max_num_queries(16):
        response = client.get(reverse("backoffice:order_detail", args=[order.number]))
    html = response.content.decode()
    assert shop["sku"].code in html
    assert "仓" in html  # the reservation's warehouse before allocation
    events = response.context["page"].events
    assert [e.to_status for e in events] == [OrderStatus.PENDING_PAYMENT, OrderStatus.PAID]


def test_unknown_order_is_404(client, login, shop):
    login("service")
    assert client.get(reverse("backoffice:order_detail", args=["20990101-1"])).status_code == 404


def test_service_cancels_with_a_reason_and_the_stock_is_released(client, login, shop):
    order = place(shop, quantity=3)
    user = login("service")
    url = reverse("backoffice:order_cancel", args=[order.number])
    assert client.post(url, {"reason": ""}).status_code == 400
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    response = client.post(url, {"reason": "客户来电取消"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    event = order.events.last()
    assert (event.actor, event.reason) == (user, "客户来电取消")
    assert sum(Stock.objects.values_list("reserved", flat=True)) == 0


def test_finance_may_not_cancel(client, login, shop):
    order = place(shop)
    login("finance")
    url = reverse("backoffice:order_cancel", args=[order.number])
    assert client.post(url, {"reason": "x"}).status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


ADDRESS_FORM = {
    "recipient": "张三",
    "mobile": "13800138000",
    "province": "四川省",
    "city": "成都市",
    "district": "锦江区",
    "detail": "春熙路8号3栋",
    "confirmation": "14:05 来电，客户确认新地址",
}


def test_address_change_keeps_old_and_new_and_the_confirmation(client, login, shop):
    """The new address is on the order; the event keeps the old one, the new one and how
    the customer confirmed."""
    order = place(shop)
    user = login("service")
    response = client.post(reverse("backoffice:order_address", args=[order.number]), ADDRESS_FORM)
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.district, order.detail) == ("锦江区", "春熙路8号3栋")
    event = order.events.get(kind=EventKind.ADDRESS)
    assert event.actor == user and event.reason == ADDRESS_FORM["confirmation"]
    assert event.data["old"]["district"] == "武侯区"
    assert event.data["new"]["detail"] == "春熙路8号3栋"
    assert set(event.data["changed"]) == {"district", "detail"}


@pytest.mark.parametrize(
    ("field", "value"),
    [("confirmation", ""), ("mobile", "0755-1234567"), ("district", "朝阳区"), ("detail", "")],
)
def test_address_change_refuses_bad_input_and_changes_nothing(client, login, shop, field, value):
    order = place(shop)
    login("service")
    response = client.post(
        reverse("backoffice:order_address", args=[order.number]), {**ADDRESS_FORM, field: value}
    )
    assert response.status_code == 400
    order.refresh_from_db()
    assert (order.district, order.mobile) == ("武侯区", "13800138000")
    assert not order.events.filter(kind=EventKind.ADDRESS).exists()


def test_address_cannot_change_after_shipment(client, login, shop):
    order = place(shop)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.SHIPPED)
    login("service")
    response = client.post(reverse("backoffice:order_address", args=[order.number]), ADDRESS_FORM)
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.district == "武侯区"


def test_hold_and_release_are_events(client, login, shop):
    order = place(shop)
    login("procurement", roles=["order_processing"])
    client.post(reverse("backoffice:order_hold", args=[order.number]), {"reason": "客户要求暂缓"})
    order.refresh_from_db()
    assert order.on_hold and order.hold_reason == "客户要求暂缓"
    client.post(reverse("backoffice:order_release", args=[order.number]))
    order.refresh_from_db()
    assert not order.on_hold
    kinds = list(order.events.exclude(kind=EventKind.STATUS).values_list("kind", flat=True))
    assert kinds == [EventKind.HOLD, EventKind.RELEASE]


def test_notes_are_kept_with_their_author(client, login, shop):
    order = place(shop)
    user = login("finance")
    client.post(reverse("backoffice:order_note", args=[order.number]), {"text": "发票已寄出"})
    note = OrderNote.objects.get(order=order)
    assert (note.author, note.text) == (user, "发票已寄出")


def test_payment_link_is_sent_again_by_sms(
    client, login, shop, settings, django_capture_on_commit_callbacks
):
    settings.MERCATO_SMS_BACKEND = "mercato.customers.sms.LocmemSmsBackend"
    LocmemSmsBackend.outbox.clear()
    order = place(shop, paid=False)
    login("service")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("backoffice:order_payment_link", args=[order.number]))
    assert response.status_code == 302
    [message] = LocmemSmsBackend.outbox
    assert message.mobile == order.mobile and message.purpose == "payment_link"
    assert f"/orders/{order.number}/pay/" in message.code
    assert order.events.filter(kind=EventKind.PAYMENT_LINK).count() == 1


def test_payment_link_for_a_paid_order_is_refused(client, login, shop, settings):
    settings.MERCATO_SMS_BACKEND = "mercato.customers.sms.LocmemSmsBackend"
    LocmemSmsBackend.outbox.clear()
    order = place(shop)
    login("service")
    client.post(reverse("backoffice:order_payment_link", args=[order.number]))
    assert LocmemSmsBackend.outbox == []
    assert not OrderEvent.objects.filter(order=order, kind=EventKind.PAYMENT_LINK).exists()


def _export(client, fmt, **params):
    response = client.get(reverse("backoffice:order_export"), {**params, "format": fmt})
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_export_csv_and_xlsx_hold_the_filtered_orders_masked_for_finance(client, login, shop):
    paid = place(shop)
    place(shop, method="cod")
    login("finance")
    rows = list(csv.reader(io.StringIO(_export(client, "csv", status="paid").decode("utf-8-sig"))))
    header, *body = rows
    assert header[0] == "number" and [r[0] for r in body] == [paid.number]
    assert body[0][header.index("mobile")] == "138****8000"
    book = load_workbook(io.BytesIO(_export(client, "xlsx")))
    sheet = book.active
    assert sheet.max_row == 3  # header + 2 orders


def test_export_needs_the_permission(client, login, shop):
    login("marketing")
    response = client.get(reverse("backoffice:order_export"), {"format": "csv"})
    assert response.status_code == 403

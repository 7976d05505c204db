"""The orders API as a shopper's app uses it: quote, place (idempotent), list, read, pay,
cancel, guests by their signed link; 404 for anybody else's order; money as strings."""

import json

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, RequestFactory

from mercato.api.api import api
from mercato.api.orders.router import _placed
from mercato.api.orders.schemas import PlacedOut
from mercato.cart.services import add_to_cart, get_or_create_cart
from mercato.checkout.placement import place_order
from mercato.customers.services import add_address, delete_address
from mercato.orders.models import Order, OrderStatus
from mercato.payments.models import Payment
from mercato.payments.refunds import refund_payment
from mercato.testing.api import assert_error_format, fields_of
from mercato.testing.buying import CHENGDU, cart_with, new_key, stock
from mercato.testing.factories import make_customer
from mercato.testing.payments import paid_payment

pytestmark = pytest.mark.django_db
ADDRESS = {k: getattr(CHENGDU, k) for k in ("recipient", "mobile", "province", "city",
           "district", "detail")}  # fmt: skip
USCC_BAD = "91110000600037341M"


@pytest.fixture
def phone(make_sku, shop):
    sku = make_sku(price="2999.00", weight_g=500, specs={"颜色": "黑色"}, name="华为 手机 1")
    stock(sku, shop["CD"], 3)
    stock(sku, shop["SH"], 3)
    return sku


@pytest.fixture
def member(client, customer):
    client.force_login(customer.user)
    return customer


def post(client, path, body=None, **headers):
    return client.post(
        f"/api/orders{path}", json.dumps(body or {}), content_type="application/json", **headers
    )


def body_of(response, status):
    assert response.status_code == status, response.content
    return json.loads(response.content)


def placing(**kw):
    return {"address": ADDRESS, "payment_method": "sandbox", "idempotency_key": new_key()} | kw


def buy(customer, sku, quantity=1):
    return place_order(
        cart=cart_with(customer, (sku, quantity)), customer=customer, address=CHENGDU,
        payment_method="sandbox", idempotency_key=new_key(),
    ).order  # fmt: skip


# Quote and placement ---------------------------------------------------------------------------


def test_quote_gives_lines_parcels_fee_and_totals_as_strings(client, member, phone):
    cart_with(member, (phone, 4))
    body = body_of(post(client, "/quote", {"address": ADDRESS}), 200)
    assert body["totals"] == {
        "lines_total": "11996.00", "shipping_fee": "0.00", "discount_total": "0.00",
        "total": "11996.00",
    }  # fmt: skip
    assert body["lines"][0]["unit_price"] == "2999.00" and body["lines"][0]["quantity"] == 4
    assert sorted((p["warehouse_code"], p["lines"][0]["quantity"]) for p in body["parcels"]) == [
        ("CD", 3),
        ("SH", 1),
    ]


def test_quote_by_saved_address_and_never_someone_elses(client, member, phone):
    mine = add_address(actor=None, customer_id=member.pk, **ADDRESS)
    theirs = add_address(actor=None, customer_id=make_customer().pk, **ADDRESS)
    cart_with(member, (phone, 1))
    assert body_of(post(client, "/quote", {"address_id": mine.pk}), 200)["weight_g"] == 500
    assert_error_format(post(client, "/quote", {"address_id": theirs.pk}), 404)


def test_place_answers_201_and_a_repeat_of_the_key_200_with_the_same_order(client, member, phone):
    cart_with(member, (phone, 1))
    payload = placing(expected_total="2999.00", note="工作日送")
    first = body_of(post(client, "", payload), 201)
    again = body_of(post(client, "", payload), 200)
    assert first["number"] == again["number"] and Order.objects.count() == 1
    assert first["status"] == "pending_payment" and first["total"] == "2999.00"
    assert first["guest_link"] is None


def _validated_body(response) -> bytes:
    """The body ninja gives when it validates _placed's dict against PlacedOut (the way
    router.place answered before it returned a PlacedOut built without validation)."""
    order = Order.objects.get(number=json.loads(response.content)["number"])
    data = _placed(RequestFactory().get("/"), order)
    validated = PlacedOut.model_validate(data)
    assert [type(v) for v in validated.model_dump().values()] == [
        type(v) for v in PlacedOut.model_construct(**data).model_dump().values()
    ]
    return api.renderer.render(None, validated.model_dump(), response_status=201).encode()


def test_the_placement_answer_is_what_validating_it_gives(client, member, phone):
    """The placement answer (a PlacedOut built without validation) is byte for byte the
    body of validating its values against the response model, for a member and a guest,
    and a repeat of the key gives it again."""
    cart_with(member, (phone, 1))
    payload = placing(expected_total="2999.00")
    placed = post(client, "", payload)
    assert placed.status_code == 201 and placed.content == _validated_body(placed)
    again = post(client, "", payload)
    assert again.status_code == 200 and again.content == placed.content

    guest = Client()
    add_to_cart(
        cart=get_or_create_cart(session_key=guest.session.session_key), sku_id=phone.pk, quantity=1
    )
    placed = post(guest, "", placing())
    assert placed.status_code == 201 and json.loads(placed.content)["guest_token"]
    assert placed.content == _validated_body(placed)


def test_a_changed_total_is_refused_naming_expected_total(client, member, phone):
    cart_with(member, (phone, 1))
    body = assert_error_format(post(client, "", placing(expected_total="1.00")), 422)
    assert fields_of(body) == {"expected_total"}
    assert "2999.00" in body["errors"][0]["message"]
    assert Order.objects.count() == 0


def test_sold_out_is_409_naming_the_product(client, member, phone):
    cart_with(member, (phone, 7))  # 6 in stock
    body = assert_error_format(post(client, "", placing()), 409)
    assert "华为 手机 1" in body["detail"] and Order.objects.count() == 0


def test_a_bad_credit_code_and_a_bad_mobile_are_named(client, member, phone):
    cart_with(member, (phone, 1))
    invoice = {"kind": "company", "title": "某某科技有限公司", "tax_id": USCC_BAD}
    body = assert_error_format(post(client, "", placing(invoice=invoice)), 422)
    assert fields_of(body) == {"invoice.tax_id"}
    body = assert_error_format(
        post(client, "", placing(address=ADDRESS | {"mobile": "12345"})), 422
    )
    assert fields_of(body) == {"address.mobile"}
    body = assert_error_format(post(client, "", placing(payment_method="bitcoin")), 422)
    assert fields_of(body) == {"payment_method"}
    assert Order.objects.count() == 0


def test_messages_follow_the_language(client, member, phone):
    cart_with(member, (phone, 7))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = assert_error_format(post(client, "", placing()), 409)
    assert body["detail"].startswith("Sold out")


def test_placement_needs_the_csrf_token(customer, phone):
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer.user)
    cart_with(customer, (phone, 1))
    body = assert_error_format(post(client, "", placing()), 403)
    assert "CSRF" in body["detail"]
    assert Order.objects.count() == 0


def test_place_by_saved_address_ships_there(client, member, phone):
    """The member's saved address, named by id, is the order's delivery address."""
    mine = add_address(actor=None, customer_id=member.pk, **ADDRESS | {"detail": " 春熙路 1 号 "})
    cart_with(member, (phone, 1))
    placed = body_of(post(client, "", placing(address=None, address_id=mine.pk)), 201)
    order = Order.objects.get(number=placed["number"])
    assert (order.recipient, order.mobile, order.district) == (
        CHENGDU.recipient,
        CHENGDU.mobile,
        CHENGDU.district,
    )
    assert order.detail == "春熙路 1 号"  # cleaned as a given address is


@pytest.mark.parametrize("whose", ["another customer's", "deleted", "never was"])
def test_place_by_an_address_not_theirs_is_404_on_address_id(client, member, phone, whose):
    """Another customer's address looks like no address at all: 404 on "address_id",
    nothing placed, the cart as it was; also when the cart is empty (the address is named
    first, as when it was read before the cart)."""
    other = make_customer()
    address_id = {
        "another customer's": lambda: add_address(actor=None, customer_id=other.pk, **ADDRESS).pk,
        "deleted": lambda: _deleted_address(member),
        "never was": lambda: 2**62,
    }[whose]()
    cart = cart_with(member, (phone, 1))
    for _ in ("with a cart", "with an empty cart"):
        body = assert_error_format(
            post(client, "", placing(address=None, address_id=address_id)), 404
        )
        assert fields_of(body) == {"address_id"} and body["detail"] == "没有这个地址。"
        assert Order.objects.count() == 0
        cart.lines.all().delete()


def _deleted_address(customer):
    address = add_address(actor=None, customer_id=customer.pk, **ADDRESS)
    delete_address(actor=None, customer_id=customer.pk, address_id=address.pk)
    return address.pk


def test_place_by_saved_address_as_a_guest_is_404(client, phone):
    session = client.session
    add_to_cart(
        cart=get_or_create_cart(session_key=session.session_key), sku_id=phone.pk, quantity=1
    )
    theirs = add_address(actor=None, customer_id=make_customer().pk, **ADDRESS)
    body = assert_error_format(post(client, "", placing(address=None, address_id=theirs.pk)), 404)
    assert fields_of(body) == {"address_id"} and Order.objects.count() == 0


def test_an_empty_cart_with_a_saved_address_is_named_on_cart(client, member):
    mine = add_address(actor=None, customer_id=member.pk, **ADDRESS)
    body = assert_error_format(post(client, "", placing(address=None, address_id=mine.pk)), 422)
    assert fields_of(body) == {"cart"}


def test_a_saved_address_no_longer_valid_is_named_and_nothing_is_written(client, member, phone):
    """A saved address is checked as a given one is (inside the placement's transaction,
    before anything is written)."""
    mine = add_address(actor=None, customer_id=member.pk, **ADDRESS)
    type(mine).objects.filter(pk=mine.pk).update(mobile="12345")  # saved before a rule changed
    cart_with(member, (phone, 1))
    body = assert_error_format(post(client, "", placing(address=None, address_id=mine.pk)), 422)
    assert fields_of(body) == {"mobile"} and Order.objects.count() == 0


def test_a_repeated_key_with_a_deleted_saved_address_is_still_404(client, member, phone):
    """As when the address was read before the cart: a repeat of the key whose saved
    address was deleted since is 404 on "address_id" (the first order stays placed)."""
    mine = add_address(actor=None, customer_id=member.pk, **ADDRESS)
    cart_with(member, (phone, 1))
    payload = placing(address=None, address_id=mine.pk)
    body_of(post(client, "", payload), 201)
    body_of(post(client, "", payload), 200)
    delete_address(actor=None, customer_id=member.pk, address_id=mine.pk)
    assert_error_format(post(client, "", payload), 404)
    assert Order.objects.count() == 1


def test_placement_query_budget(client, member, phone, make_sku, shop, django_assert_num_queries):
    """The benchmark's path: a member's pre-filled cart of 3 lines, a saved address. The
    count is exact so a new query is a decision, not an accident. On PostgreSQL, 7: the
    shopper (user with customer; the session is cached); in place_order, within a
    savepoint (2), the cart lock with the key check, the order's number and id and the
    saved address's fields, the lines with the shipping rate and their SKUs' stock (what
    the stock step plans on), the order, its lines, event
    and expiry timer with the placed cart lines removed (one statement; the DELETE built by
    cart.services.remove_lines_statement: the cart's table is the cart app's to write),
    and stock rows locked, ledger rows and reservations (one statement). SQLite runs each
    of those statements on its own, reads the stock to plan on, takes its order number
    from a counter row and writes the expiry timer's outbox row (core.outbox) in a
    statement of its own."""
    address = add_address(actor=None, customer_id=member.pk, **ADDRESS)
    skus = [phone]
    for n in range(2):
        sku = make_sku(price="10.00", weight_g=100, name=f"配件 {n}")
        stock(sku, shop["CD"], 5)
        skus.append(sku)
    payload = {"address_id": address.pk, "payment_method": "sandbox"}
    cart_with(member, (phone, 1))
    body_of(post(client, "", payload | {"idempotency_key": new_key()}), 201)  # the day's first
    cart_with(member, *((sku, 1) for sku in skus))
    with django_assert_num_queries(PLACEMENT_QUERIES[connection.vendor]) as captured:
        body_of(post(client, "", payload | {"idempotency_key": new_key()}), 201)
    # The saved address is read in the cart lock's statement, not on its own.
    reads = [q["sql"] for q in captured.captured_queries if '"customers_address"' in q["sql"]]
    assert len(reads) == 1 and '"cart_cart"' in reads[0]
    if connection.vendor == "postgresql":
        # And the stock planned on in the lines' statement, not on its own.
        sqls = [q["sql"] for q in captured.captured_queries]
        stock_reads = [q for q in sqls if q.startswith("SELECT") and '"inventory_stock"' in q]
        assert len(stock_reads) == 1 and '"cart_cartline"' in stock_reads[0]


# Reading, paying, cancelling ----------------------------------------------------------------------


def test_member_lists_and_reads_orders(client, member, phone):
    order = buy(member, phone, quantity=4)
    listing = body_of(client.get("/api/orders"), 200)
    assert listing["count"] == 1 and listing["results"][0]["number"] == order.number
    detail = body_of(client.get(f"/api/orders/{order.number}"), 200)
    assert detail["lines"][0]["line_total"] == "11996.00"
    assert detail["address"]["detail"] == CHENGDU.detail
    assert len(detail["parcels"]) == 2
    assert [e["status"] for e in detail["events"]] == ["pending_payment"]


def test_list_and_detail_query_budgets(client, member, phone, django_assert_num_queries):
    """Five orders, the queries of one: user with customer, count, page, lines (prefetched
    by the selector); the detail: user with customer, order, lines, events, parcels,
    refunds (with their payment)."""
    for _ in range(5):
        buy(member, phone)
    number = Order.objects.first().number
    with django_assert_num_queries(4):
        assert body_of(client.get("/api/orders"), 200)["count"] == 5
    with django_assert_num_queries(6):
        assert body_of(client.get(f"/api/orders/{number}"), 200)["number"] == number


def test_guests_cannot_list_orders(client, phone):
    """401 with the message in the shop's first language."""
    body = assert_error_format(client.get("/api/orders"), 401)
    assert body["detail"] == "请登录后查看订单。"


def test_pay_gives_the_gateway_action(client, member, phone):
    order = buy(member, phone)
    body = body_of(post(client, f"/{order.number}/pay"), 200)
    assert body["kind"] == "redirect" and body["amount"] == "2999.00"
    assert "/payments/sandbox/pay/" in body["url"]


def test_cancel_then_pay_is_409(client, member, phone):
    order = buy(member, phone)
    body = body_of(post(client, f"/{order.number}/cancel", {"reason": "不要了"}), 200)
    assert body["status"] == OrderStatus.CANCELLED
    assert body["events"][-1]["reason"] == "不要了"
    assert_error_format(post(client, f"/{order.number}/pay"), 409)
    assert_error_format(post(client, f"/{order.number}/cancel"), 409)


def test_another_customers_order_is_404_everywhere(client, member, phone):
    theirs = buy(make_customer(), phone)
    assert_error_format(client.get(f"/api/orders/{theirs.number}"), 404)
    assert_error_format(post(client, f"/{theirs.number}/pay"), 404)
    assert_error_format(post(client, f"/{theirs.number}/cancel"), 404)
    assert body_of(client.get("/api/orders"), 200)["count"] == 0
    theirs.refresh_from_db()
    assert theirs.status == OrderStatus.PENDING_PAYMENT


# Guests -----------------------------------------------------------------------------------------


def test_guest_places_and_reads_the_order_by_its_token(client, phone):
    session = client.session
    cart = get_or_create_cart(session_key=session.session_key)
    add_to_cart(cart=cart, sku_id=phone.pk, quantity=1)
    placed = body_of(post(client, "", placing()), 201)
    token = placed["guest_token"]
    assert placed["guest_link"] == f"http://testserver/orders/g/{token}/"
    order = body_of(Client().get(f"/api/orders/guest/{token}"), 200)
    assert order["number"] == placed["number"]
    assert body_of(post(client, f"/guest/{token}/pay"), 200)["kind"] == "redirect"
    # The member URLs know nothing of guest orders; mangled tokens are 404.
    assert_error_format(client.get(f"/api/orders/{placed['number']}"), 404)
    assert_error_format(client.get(f"/api/orders/guest/{token[:-2]}xx"), 404)
    assert_error_format(client.get("/api/orders/guest/nonsense"), 404)
    # The guest cancels by the token; a mangled one cancels nothing.
    assert_error_format(post(client, f"/guest/{token[:-2]}xx/cancel", {"reason": ""}), 404)
    cancelled = body_of(post(client, f"/guest/{token}/cancel", {"reason": "不要了"}), 200)
    assert cancelled["status"] == "cancelled"


# PostgreSQL takes the order's number and id from sequences in one query (the order then
# goes in one statement with its lines); SQLite bumps a counter row and reads it back.
# The reservation reads a snapshot, then the stock step locks only the planned rows
# (inventory.stockstep); the warehouse list comes from the cache after the first
# placement. The order and the reservation are written inside placement's transaction
# with no savepoints of their own and no second look-up of the key or the reference.
PLACEMENT_QUERIES = {"postgresql": 7, "sqlite": 17}


def refund(order, finance, refund_no, amount):
    payment = Payment.objects.filter(order=order).first() or paid_payment(
        order=order, method="sandbox"
    )
    return refund_payment(
        payment=payment, refund_no=refund_no, amount=amount, reason="少发一件", actor=finance
    )


def test_refunds_are_in_the_order_with_amount_state_and_dates(client, member, phone, make_staff):
    """A member's order in the API lists its refunds (number, amount, state with its label,
    requested and refunded times), what came back in total, and the payment's refund state."""
    order = buy(member, phone, quantity=2)
    finance = make_staff("finance")
    paid_payment(order=order, method="sandbox")
    detail = body_of(client.get(f"/api/orders/{order.number}"), 200)
    assert detail["refunds"] == [] and detail["refunded_total"] == "0.00"
    assert detail["payment_status_label"] == ""
    refund(order, finance, "RF00000001", "100.00")
    detail = body_of(client.get(f"/api/orders/{order.number}"), 200)
    (first,) = detail["refunds"]
    assert first["refund_no"] == "RF00000001" and first["amount"] == "100.00"
    assert (first["status"], first["status_label"]) == ("succeeded", "成功")
    assert first["requested_at"] and first["refunded_at"]
    assert detail["refunded_total"] == "100.00" and detail["payment_status_label"] == "部分退款"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    detail = body_of(client.get(f"/api/orders/{order.number}"), 200)
    assert detail["refunds"][0]["status_label"] == "Succeeded"
    assert detail["payment_status_label"] == "Partially refunded"


def test_a_guest_sees_refunds_through_the_token(client, phone, make_staff):
    """The guest's order read by its token shows a full refund: 已退款, and the order
    cancelled before shipment."""
    session = client.session
    add_to_cart(
        cart=get_or_create_cart(session_key=session.session_key), sku_id=phone.pk, quantity=1
    )
    token = body_of(post(client, "", placing()), 201)["guest_token"]
    order = Order.objects.get()
    refund(order, make_staff("finance"), "RF00000002", str(order.total))
    detail = body_of(Client().get(f"/api/orders/guest/{token}"), 200)
    assert [r["amount"] for r in detail["refunds"]] == [str(order.total)]
    assert detail["refunded_total"] == str(order.total)
    assert detail["payment_status_label"] == "已退款" and detail["status"] == "cancelled"

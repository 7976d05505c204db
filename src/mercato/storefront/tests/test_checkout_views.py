"""The checkout pages: address, parcels and totals before paying, and placing the order
through the form, with the double click, the tampered total, the sold-out SKU and the bad
invoice a real shop sees."""

import re
from dataclasses import asdict
from decimal import Decimal

import pytest
from django.conf import settings

from mercato.cart.models import CartLine
from mercato.cart.services import add_to_cart, get_or_create_cart
from mercato.customers.models import Address
from mercato.customers.services import add_address
from mercato.inventory.models import Reservation
from mercato.orders.models import Order, OrderStatus
from mercato.testing.buying import CHENGDU, cart_with, new_key, stock
from mercato.testing.factories import make_customer

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
CHENGDU_FIELDS = asdict(CHENGDU)  # the address form's fields
# A valid 统一社会信用代码, and the same with its check digit changed.
USCC = "91110000600037341L"
USCC_BAD = "91110000600037341M"


def book_address(customer, **kw):
    fields = CHENGDU_FIELDS | kw
    return add_address(actor=None, customer_id=customer.pk, is_default=True, **fields)


@pytest.fixture
def member(client, customer):
    client.force_login(customer.user)
    return customer


@pytest.fixture
def phone(make_sku, chengdu):
    sku = make_sku(price="2999.00", weight_g=500, specs={"颜色": "黑色"}, name="华为 手机 1")
    stock(sku, chengdu, 5)
    return sku


@pytest.fixture
def case(make_sku, chengdu):
    sku = make_sku(price="39.90", weight_g=200, specs={"颜色": "红色"}, name="手机壳")
    stock(sku, chengdu, 5)
    return sku


def hidden(response, name: str, *, required=True) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', response.content.decode())
    assert match or not required, f"no hidden {name}"
    return match.group(1) if match else ""


def form_post(page, **fields) -> dict:
    """What the browser posts from the rendered checkout page, with `fields` changed."""
    data = {
        "idempotency_key": hidden(page, "idempotency_key"),
        # No total before a province is known (a guest's first view).
        "expected_total": hidden(page, "expected_total", required=False),
        "payment_method": "cod",
        "invoice_kind": "",
        "note": "",
    }
    return data | fields


def guest_cart(client, *lines):
    key = client.session.session_key or (client.session.save() or client.session.session_key)
    cart = get_or_create_cart(session_key=key)
    for sku, quantity in lines:
        add_to_cart(cart=cart, sku_id=sku.pk, quantity=quantity)
    return cart


# The page ----------------------------------------------------------------------------------


def test_nothing_selected_sends_the_customer_back_to_the_cart(client, member, shop, phone):
    cart = cart_with(member, (phone, 1))
    CartLine.objects.filter(cart=cart).update(selected=False)
    response = client.get("/checkout/")
    assert response.status_code == 302
    assert response["Location"] == "/cart/"


def test_member_sees_default_address_lines_parcel_and_totals(client, member, shop, phone, case):
    """The default address is chosen; 1 phone + 2 cases from 成都, free shipping (≥ ¥99)."""
    address = book_address(member)
    cart_with(member, (phone, 1), (case, 2))
    response = client.get("/checkout/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'value="{address.pk}" checked' in html
    assert "华为 手机 1" in html and "颜色: 黑色" in html
    assert "本订单将从仓库CD发出" in html
    assert "¥3078.80" in html  # 2999.00 + 2 × 39.90
    assert hidden(response, "expected_total") == "3078.80"
    assert "免运费" in html
    assert re.fullmatch(r"[0-9a-f]{32}", hidden(response, "idempotency_key"))
    assert 'value="cod"' in html and 'value="sandbox"' in html


def test_split_order_shows_its_parcels_before_paying(client, member, shop, make_sku):
    """Two units in 成都, two in 上海: the page says the order ships in 2 parcels."""
    book_address(member)
    sku = make_sku(price="10.00", weight_g=100, name="数据线")
    stock(sku, shop["CD"], 2)
    stock(sku, shop["SH"], 2)
    cart_with(member, (sku, 4))
    html = client.get("/checkout/").content.decode()
    assert "本订单将分 2 个包裹从仓库CD、仓库SH发出" in html
    # Under the ¥99 threshold: the fee is charged and the threshold is named.
    assert "¥10.00" in html and "满 ¥99.00 免运费" in html


def test_the_page_in_english(client, member, shop, phone):
    book_address(member)
    cart_with(member, (phone, 1))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/checkout/").content.decode()
    assert "This order ships in one parcel, from 仓库CD." in html
    assert "Place order" in html


def test_changing_the_province_requotes_the_parcels_and_fee(client, member, shop, make_sku):
    """The htmx partial for 上海 ships from 上海 with the fee of the rate table."""
    sku = make_sku(price="10.00", weight_g=100, name="数据线")
    stock(sku, shop["SH"], 3)
    cart_with(member, (sku, 1))
    response = client.get("/checkout/quote/", {"address_id": "new", "province": "上海市"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "仓库SH" in html and "¥10.00" in html
    assert 'name="expected_total" value="20.00"' in html


def test_a_province_nobody_ships_to_says_so(client, member, shop, phone):
    cart_with(member, (phone, 1))
    response = client.get("/checkout/quote/", {"address_id": "new", "province": "火星"}, **HTMX)
    assert "form-error" in response.content.decode()


def test_another_customers_address_is_404(client, member, shop, phone):
    other = book_address(make_customer())
    cart_with(member, (phone, 1))
    assert client.get("/checkout/", {"address_id": other.pk}).status_code == 404
    assert client.get("/checkout/quote/", {"address_id": other.pk}).status_code == 404


def test_guest_sees_sign_up_and_log_in_links_back_to_checkout(client, shop, phone):
    guest_cart(client, (phone, 1))
    html = client.get("/checkout/").content.decode()
    assert "/account/signup/?next=/checkout/" in html
    assert "/account/login/?next=/checkout/" in html
    assert 'name="province"' in html


def test_guest_region_selects_follow_the_province(client, shop, phone):
    response = client.get("/checkout/regions/", {"province": "四川省"}, **HTMX)
    assert response.status_code == 200
    assert "成都市" in response.content.decode()


def test_pasted_address_fills_the_fields(client, shop, phone):
    guest_cart(client, (phone, 1))
    pasted = "张三 13812345678 四川省成都市武侯区人民南路四段1号"
    response = client.post("/checkout/parse/", {"pasted": pasted}, **HTMX)
    html = response.content.decode()
    assert 'value="张三"' in html and 'value="13812345678"' in html
    assert 'value="武侯区" selected' in html


# Placing ------------------------------------------------------------------------------------


def test_member_places_a_cod_order_and_sees_it_awaiting_review(client, member, shop, phone):
    book_address(member)
    cart = cart_with(member, (phone, 1))
    page = client.get("/checkout/")
    response = client.post("/checkout/place/", form_post(page, note="请放门口"), follow=True)
    order = Order.objects.get()
    assert response.redirect_chain[0][0] == f"/orders/{order.number}/"
    assert order.status == OrderStatus.COD_CONFIRMED and order.note == "请放门口"
    assert order.total == Decimal("2999.00") and order.province == "四川省"
    assert "货到付款，待审核" in response.content.decode()
    assert not CartLine.objects.filter(cart=cart).exists()
    assert Reservation.objects.filter(reference=order.number).count() == 1


def test_sandbox_order_goes_to_the_pay_page(client, member, shop, phone):
    book_address(member)
    cart_with(member, (phone, 1))
    page = client.get("/checkout/")
    response = client.post("/checkout/place/", form_post(page, payment_method="sandbox"))
    order = Order.objects.get()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert response["Location"] == f"/orders/{order.number}/pay/"
    pay = client.get(response["Location"])
    html = pay.content.decode()
    assert pay.status_code == 200
    assert order.number in html and "¥2999.00" in html
    assert "/payments/sandbox/pay/" in html


def test_a_double_click_places_one_order(client, member, shop, phone):
    """The second POST of the same page (same key) lands on the same order."""
    book_address(member)
    cart_with(member, (phone, 1))
    data = form_post(client.get("/checkout/"))
    first = client.post("/checkout/place/", data)
    second = client.post("/checkout/place/", data)
    assert Order.objects.count() == 1
    assert first["Location"] == second["Location"] == f"/orders/{Order.objects.get().number}/"


def test_a_tampered_total_shows_the_new_totals_and_places_nothing(client, member, shop, phone):
    book_address(member)
    cart_with(member, (phone, 1))
    page = client.get("/checkout/")
    response = client.post("/checkout/place/", form_post(page, expected_total="1.00"))
    html = response.content.decode()
    assert response.status_code == 409
    assert "价格已变化，请确认" in html
    assert 'name="expected_total" value="2999.00"' in html
    assert Order.objects.count() == 0
    # Confirming the new total places the order.
    confirmed = client.post("/checkout/place/", form_post(response))
    assert confirmed.status_code == 302 and Order.objects.count() == 1


def test_a_price_change_after_the_page_was_shown_is_confirmed_first(client, member, shop, phone):
    book_address(member)
    cart_with(member, (phone, 1))
    page = client.get("/checkout/")
    phone.list_price = Decimal("3099.00")
    phone.save(update_fields=["list_price"])
    response = client.post("/checkout/place/", form_post(page))
    assert response.status_code == 409 and "¥3099.00" in response.content.decode()
    assert Order.objects.count() == 0


def test_sold_out_between_cart_and_checkout_names_the_product(client, member, shop, phone):
    book_address(member)
    cart_with(member, (phone, 1))
    page = client.get("/checkout/")
    # Someone else buys the last units meanwhile.
    rival = make_customer()
    from mercato.checkout.placement import place_order

    place_order(
        cart=cart_with(rival, (phone, 5)), customer=rival, address=CHENGDU,
        payment_method="cod", idempotency_key=new_key(),
    )  # fmt: skip
    response = client.post("/checkout/place/", form_post(page))
    assert response.status_code == 409
    assert "华为 手机 1" in response.content.decode()
    assert Order.objects.filter(customer=member).count() == 0


def test_a_company_invoice_needs_a_valid_credit_code(client, member, shop, phone):
    book_address(member)
    cart_with(member, (phone, 1))
    page = client.get("/checkout/")
    data = form_post(page, invoice_kind="company", invoice_title="某某科技有限公司")
    response = client.post("/checkout/place/", data | {"invoice_tax_id": USCC_BAD})
    assert response.status_code == 400
    assert "统一社会信用代码" in response.content.decode()
    assert Order.objects.count() == 0
    response = client.post("/checkout/place/", data | {"invoice_tax_id": USCC})
    order = Order.objects.get()
    assert (order.invoice_type, order.invoice_tax_id) == ("company", USCC)


def test_a_new_address_is_saved_to_the_book_when_asked(client, member, shop, phone):
    cart_with(member, (phone, 1))
    page = client.get("/checkout/")
    address = CHENGDU_FIELDS
    quote = client.get("/checkout/quote/", {"address_id": "new", "province": "四川省"})
    data = form_post(page, address_id="new", save_address="on", **address)
    data["expected_total"] = hidden(quote, "expected_total")
    response = client.post("/checkout/place/", data)
    assert response.status_code == 302
    assert Address.objects.filter(customer=member, detail=CHENGDU.detail).exists()


def test_a_bad_mobile_number_is_named_and_nothing_is_placed(client, shop, phone):
    guest_cart(client, (phone, 1))
    page = client.get("/checkout/")
    address = CHENGDU_FIELDS | {"mobile": "12345"}
    response = client.post(
        "/checkout/place/",
        form_post(page, expected_total="2999.00", **address),
    )
    assert response.status_code == 400
    assert "手机号" in response.content.decode()
    assert Order.objects.count() == 0


def test_guest_places_an_order_and_gets_the_signed_link(client, shop, phone):
    guest_cart(client, (phone, 1))
    page = client.get("/checkout/")
    address = CHENGDU_FIELDS
    data = form_post(page, payment_method="sandbox", expected_total="2999.00", **address)
    response = client.post("/checkout/place/", data)
    order = Order.objects.get()
    assert order.customer is None and order.mobile == CHENGDU.mobile
    assert response["Location"].startswith("/orders/g/") and response["Location"].endswith("/pay/")
    assert "请保存此链接以查看订单" in client.get(response["Location"]).content.decode()
    order_page = response["Location"].removesuffix("pay/")
    html = client.get(order_page).content.decode()
    assert "请保存此链接以查看订单" in html and order.number in html
    # The link is kept in the session: the guest's order list shows the order.
    assert order.number in client.get("/orders/").content.decode()


def test_placement_messages_in_english(client, member, shop, phone):
    """The changed-total notice and the COD confirmation follow the chosen language."""
    book_address(member)
    cart_with(member, (phone, 1))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/checkout/")
    response = client.post("/checkout/place/", form_post(page, expected_total="1.00"))
    assert "The price has changed; please check the new total and confirm." in (
        response.content.decode()
    )
    placed = client.post("/checkout/place/", form_post(response), follow=True)
    assert "Cash on delivery: your order awaits review." in placed.content.decode()


def test_the_page_runs_the_same_queries_for_one_line_or_three(
    client, member, shop, make_sku, django_assert_max_num_queries
):
    """No query per line: the checkout page of a 3-line cart costs what a 1-line one does."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    book_address(member)
    skus = [make_sku(price="10.00", weight_g=100, name=f"配件 {n}") for n in range(3)]
    for sku in skus:
        stock(sku, shop["CD"], 5)
    cart = cart_with(member, (skus[0], 1))
    with CaptureQueriesContext(connection) as one:
        assert client.get("/checkout/").status_code == 200
    for sku in skus[1:]:
        add_to_cart(cart=cart, sku_id=sku.pk, quantity=1)
    with django_assert_max_num_queries(len(one)):
        assert client.get("/checkout/").status_code == 200


def test_a_guests_double_click_places_one_order_too(client, shop, phone):
    guest_cart(client, (phone, 1))
    page = client.get("/checkout/")
    address = CHENGDU_FIELDS
    data = form_post(page, payment_method="sandbox", expected_total="2999.00", **address)
    first = client.post("/checkout/place/", data)
    second = client.post("/checkout/place/", data)
    assert Order.objects.count() == 1
    assert first["Location"].startswith("/orders/g/") and second.status_code == 302
    # Both answers lead to the same order (their tokens may differ by the signing time).
    assert Order.objects.get().number in client.get(second["Location"]).content.decode()


def test_a_pasted_address_is_chosen_over_the_saved_one(client, member, shop, phone):
    """A member with a saved address pastes another: the answer also switches the choice
    to the new address (out of band), so the order goes where the paste said."""
    book_address(member)
    cart_with(member, (phone, 1))
    pasted = "李四 13912345678 上海市浦东新区世纪大道1号"
    html = client.post("/checkout/parse/", {"pasted": pasted}, **HTMX).content.decode()
    assert 'id="address-choices" hx-swap-oob="true"' in html
    assert 'value="new" checked' in html and 'value="李四"' in html


def test_choosing_a_region_switches_a_member_to_the_new_address(client, member, shop, phone):
    book_address(member)
    response = client.get("/checkout/regions/", {"province": "上海市"}, **HTMX)
    html = response.content.decode()
    assert 'value="new" checked' in html and 'hx-swap-oob="true"' in html
    assert response["HX-Trigger-After-Settle"] == "addressChanged"

"""The cart over the API: /api/cart (session shoppers, CSRF on writes, one error format)."""

import copy
import json
import threading
from decimal import Decimal

import pytest
from django.db import connections
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from mercato.cart.models import Cart, CartLine
from mercato.cart.services import add_to_cart, get_or_create_cart, set_cart_limit
from mercato.catalog.models import ProductStatus, Sku
from mercato.customers.services import create_customer
from mercato.testing.api import assert_error_format, fields_of

pytestmark = pytest.mark.django_db


class Shopper:
    """A browser-like client: session cookie plus the CSRF token echoed in X-CSRFToken."""

    def __init__(self):
        self.client = Client(enforce_csrf_checks=True)
        self.token = _get_new_csrf_string()
        self.client.cookies["csrftoken"] = self.token

    def call(self, method, path, body=None, *, csrf=True):
        headers = {"X-CSRFToken": self.token} if csrf else {}
        data = json.dumps(body) if body is not None else None
        return getattr(self.client, method)(
            path, data=data, content_type="application/json", headers=headers
        )

    def add(self, sku, quantity=1):
        return self.call("post", "/api/cart/lines", {"sku_id": sku.pk, "quantity": quantity})


@pytest.fixture
def shopper():
    return Shopper()


def test_empty_cart_reads_without_creating_one(shopper, phone_shop):
    response = shopper.call("get", "/api/cart")
    assert response.status_code == 200
    assert response.json() == {"lines": [], "selected_count": 0, "total": "0.00", "notices": []}
    assert not Cart.objects.exists()
    assert "csrftoken" in response.cookies  # a client starting with GET gets its token


def test_add_change_select_remove(shopper, black, white):
    """The whole round: add (201), change quantity, unselect, remove; money as strings."""
    response = shopper.add(black, 2)
    assert response.status_code == 201, response.content
    body = response.json()
    (line,) = body["lines"]
    assert line["sku_id"] == black.pk and line["sku_code"] == black.code
    assert line["product_name"] == "华为 手机 1"
    assert line["specs"] == {"颜色": "黑色", "存储容量": "128GB"}
    assert line["unit_price"] == "2999.00" and line["subtotal"] == "5998.00"
    assert line["selected"] and line["on_sale"] and not line["price_changed"]
    assert line["available"] == 5 and not line["insufficient"]
    assert body["selected_count"] == 2 and body["total"] == "5998.00"
    shopper.add(white, 1)
    response = shopper.call("patch", f"/api/cart/lines/{line['id']}", {"quantity": 3})
    assert response.status_code == 200
    assert response.json()["total"] == "11996.00"
    response = shopper.call("patch", f"/api/cart/lines/{line['id']}", {"selected": False})
    assert response.json()["total"] == "2999.00"
    assert response.json()["selected_count"] == 1
    response = shopper.call("delete", f"/api/cart/lines/{line['id']}")
    assert response.status_code == 200
    assert [x["sku_id"] for x in response.json()["lines"]] == [white.pk]


def test_the_api_and_the_pages_share_one_cart(shopper, black):
    shopper.add(black, 1)
    page = shopper.client.get("/cart/")
    assert "华为 手机 1" in page.content.decode()


def test_member_gets_their_own_cart(shopper, black):
    customer = create_customer(mobile="13800138000")
    shopper.client.force_login(customer.user)
    shopper.add(black, 1)
    assert Cart.objects.get(customer=customer).lines.count() == 1
    assert not Cart.objects.filter(customer=None).exists()


def test_notices_for_price_change_off_shelf_and_short_stock(shopper, phone_shop, black, white):
    shopper.add(black, 1)
    shopper.add(white, 1)
    other = phone_shop["products"][2].skus.first()
    shopper.add(other, 1)
    Sku.objects.filter(pk=black.pk).update(list_price=Decimal("2799.00"))
    CartLine.objects.filter(sku=white).update(quantity=3)
    product = phone_shop["products"][2]
    product.status = ProductStatus.OFF_SHELF
    product.save()
    body = shopper.call("get", "/api/cart").json()
    kinds = {(n["kind"], n["line_id"]) for n in body["notices"]}
    ids = {x["sku_id"]: x["id"] for x in body["lines"]}
    assert kinds == {
        ("price_changed", ids[black.pk]),
        ("insufficient_stock", ids[white.pk]),
        ("off_shelf", ids[other.pk]),
    }
    price = next(n for n in body["notices"] if n["kind"] == "price_changed")
    assert "2999.00" in price["message"] and "2799.00" in price["message"]
    line = next(x for x in body["lines"] if x["sku_id"] == black.pk)
    assert line["price_changed"] and line["old_price"] == "2999.00"
    assert line["unit_price"] == "2799.00"
    assert body["total"] == "11796.00"  # 2799 + 3 × 2999; the off-shelf line is left out
    body = shopper.call("post", "/api/cart/acknowledge-prices").json()
    assert {n["kind"] for n in body["notices"]} == {"insufficient_stock", "off_shelf"}


def test_unsafe_calls_without_the_csrf_token_are_refused(shopper, black):
    """A session shopper's write without X-CSRFToken is a 403 in the API's format."""
    response = shopper.call(
        "post", "/api/cart/lines", {"sku_id": black.pk, "quantity": 1}, csrf=False
    )
    body = assert_error_format(response, 403)
    assert "CSRF" in body["detail"]
    assert not CartLine.objects.exists()
    shopper.add(black, 1)
    line = CartLine.objects.get()
    for method, path in [
        ("patch", f"/api/cart/lines/{line.pk}"),
        ("delete", f"/api/cart/lines/{line.pk}"),
        ("post", "/api/cart/acknowledge-prices"),
    ]:
        assert_error_format(shopper.call(method, path, {"quantity": 5}, csrf=False), 403)
    line.refresh_from_db()
    assert line.quantity == 1


def test_another_carts_line_is_404(shopper, black, white):
    other = get_or_create_cart(customer=create_customer(mobile="13900139000"))
    theirs = add_to_cart(cart=other, sku_id=white.pk, quantity=1)
    shopper.add(black, 1)
    for method, body in [
        ("patch", {"quantity": 4}),
        ("patch", {"quantity": 0}),
        ("patch", {"selected": False}),
        ("delete", None),
    ]:
        response = shopper.call(method, f"/api/cart/lines/{theirs.pk}", body)
        assert_error_format(response, 404)
    theirs.refresh_from_db()
    assert theirs.quantity == 1 and theirs.selected


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"sku_id": "abc", "quantity": 1}, 422, "sku_id"),
        ({"sku_id": 0, "quantity": 1}, 422, "sku_id"),
        ({"sku_id": 2**70, "quantity": 1}, 422, "sku_id"),
        ({"quantity": 1}, 422, "sku_id"),
        ({"sku_id": 999999, "quantity": 1}, 422, "sku_id"),
        ({"sku_id": "BLACK", "quantity": 0}, 422, "quantity"),
        ({"sku_id": "BLACK", "quantity": -2}, 422, "quantity"),
        ({"sku_id": "BLACK", "quantity": 10**30}, 422, "quantity"),
        ({"sku_id": "BLACK", "quantity": "many"}, 422, "quantity"),
        ({"sku_id": "BLACK", "quantity": 1.5}, 422, "quantity"),
    ],
)
def test_bad_add_bodies_name_the_field_and_add_nothing(shopper, black, body, status, field):
    body = {k: (black.pk if v == "BLACK" else v) for k, v in body.items()}
    response = shopper.call("post", "/api/cart/lines", body)
    assert field in fields_of(assert_error_format(response, status))
    assert not CartLine.objects.exists() and not Cart.objects.exists()


def test_unparsable_body_is_400(shopper, black):
    response = shopper.client.post(
        "/api/cart/lines",
        data="{not json",
        content_type="application/json",
        headers={"X-CSRFToken": shopper.token},
    )
    assert_error_format(response, 400)


def test_off_shelf_deleted_and_limited_skus(shopper, phone_shop, black):
    product = phone_shop["products"][2]
    product.status = ProductStatus.OFF_SHELF
    product.save()
    body = assert_error_format(shopper.add(product.skus.first()), 422)
    assert fields_of(body) == {"sku_id"}
    set_cart_limit(sku_id=black.pk, max_per_order=2)
    shopper.add(black, 2)
    body = assert_error_format(shopper.add(black, 1), 422)
    assert fields_of(body) == {"quantity"} and "2" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": -1}, "quantity"),
        ({"quantity": 100000}, "quantity"),
        ({"quantity": "x"}, "quantity"),
        ({"selected": "maybe"}, "selected"),
        ({}, "body"),
        ({"quantity": None}, "body"),
    ],
)
def test_bad_patches_name_the_field_and_change_nothing(shopper, black, patch, field):
    shopper.add(black, 2)
    line = CartLine.objects.get()
    response = shopper.call("patch", f"/api/cart/lines/{line.pk}", patch)
    assert field in fields_of(assert_error_format(response, 422))
    line.refresh_from_db()
    assert line.quantity == 2 and line.selected


def test_a_bad_quantity_with_a_good_selection_changes_neither(shopper, black):
    shopper.add(black, 2)
    line = CartLine.objects.get()
    response = shopper.call(
        "patch", f"/api/cart/lines/{line.pk}", {"quantity": 0, "selected": False}
    )
    assert_error_format(response, 422)
    line.refresh_from_db()
    assert line.quantity == 2 and line.selected


@pytest.mark.parametrize("lines", [1, 4])
def test_cart_read_query_budget(shopper, phone_shop, lines, django_assert_num_queries):
    """Session, cart, lines with SKU and product, stock: the same for any number of lines."""
    for sku in list(phone_shop["skus"].values())[:lines]:
        shopper.add(sku, 1)
    with django_assert_num_queries(3):
        assert shopper.call("get", "/api/cart").status_code == 200


def test_notices_follow_the_shoppers_language(shopper, black):
    """Chinese first; English for a shopper who chose it."""
    shopper.add(black, 1)
    Sku.objects.filter(pk=black.pk).update(list_price=Decimal("2799.00"))
    (notice,) = shopper.call("get", "/api/cart").json()["notices"]
    assert notice["message"] == "华为 手机 1：价格由 2999.00 变为 2799.00。"
    shopper.client.cookies["django_language"] = "en"
    (notice,) = shopper.call("get", "/api/cart").json()["notices"]
    assert notice["message"] == "华为 手机 1: the price changed from 2999.00 to 2799.00."


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_of_one_guest_land_in_one_cart(phone_shop):
    """Four clicks at once from a guest without a cart yet: one cart, all four units."""
    sku = phone_shop["skus"][("黑色", "128GB")]
    first = Shopper()
    first.call("get", "/api/cart")  # the session exists; the cart does not
    gate, statuses = threading.Barrier(4), []

    def click():
        shopper = Shopper()
        shopper.client.cookies = copy.deepcopy(first.client.cookies)
        shopper.token = first.token
        try:
            gate.wait()
            statuses.append(shopper.add(sku, 1).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * 4
    cart = Cart.objects.get()
    assert dict(cart.lines.values_list("sku_id", "quantity")) == {sku.pk: 4}

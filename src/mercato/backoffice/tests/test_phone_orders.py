"""Phone orders (电话下单): customer service places an order for a caller through the same
placement as the shop."""

import pytest
from django.urls import reverse

from mercato.cart.models import Cart, CartPurpose
from mercato.cart.services import add_to_cart, get_or_create_cart
from mercato.customers.models import Customer
from mercato.inventory.models import Reservation
from mercato.orders.models import Order, OrderChannel, OrderStatus
from mercato.testing.fulfillment import make_customer, make_shop, make_sku, stock

pytestmark = pytest.mark.django_db

PLACE = {
    "recipient": "赵六",
    "mobile": "13612345678",
    "province": "四川省",
    "city": "成都市",
    "district": "武侯区",
    "detail": "人民南路四段1号",
    "payment_method": "cod",
    "note": "",
    "idempotency_key": "phone-key-0001",
}


@pytest.fixture
def shop(db):
    warehouses = make_shop()
    sku = make_sku(price="88.00")
    stock(sku, warehouses["四川省"], 5)
    return {"sku": sku, "warehouses": warehouses}


@pytest.fixture
def agent(client, make_staff):
    user = make_staff("service")
    client.force_login(user)
    return user


def start(client, mobile="13612345678", name="赵六"):
    response = client.post(
        reverse("backoffice:phone_order_start"), {"mobile": mobile, "name": name}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return Cart.objects.get(purpose=CartPurpose.PHONE, customer__mobile=mobile)


def add(client, cart, sku, quantity):
    url = reverse("backoffice:phone_order_add", args=[cart.pk])
    return client.post(url, {"sku_code": sku.code, "quantity": quantity})


def test_a_new_caller_gets_an_account_and_the_order_is_placed_by_phone(client, agent, shop):
    """Start by mobile (new customer), add a SKU by code, place as cash on delivery: the
    order belongs to the caller, channel phone, placed by the agent, stock reserved."""
    cart = start(client)
    customer = Customer.objects.get(mobile="13612345678")
    assert customer.channel == "phone"
    url = reverse("backoffice:phone_order_add", args=[cart.pk])
    assert client.post(url, {"sku_code": shop["sku"].code, "quantity": 2}).status_code == 302
    response = client.post(reverse("backoffice:phone_order_place", args=[cart.pk]), PLACE)
    assert response.status_code == 302
    order = Order.objects.get(customer=customer)
    assert order.channel == OrderChannel.PHONE
    assert order.status == OrderStatus.COD_CONFIRMED
    assert order.total == 2 * shop["sku"].list_price + order.shipping_fee
    assert order.events.first().actor == agent
    assert Reservation.objects.get(reference=order.number).quantity == 2
    assert not Cart.objects.filter(pk=cart.pk).exists()  # the phone cart is gone


def test_the_callers_own_shopping_cart_is_left_alone(client, agent, shop):
    customer = make_customer(mobile="13612345678")
    own = get_or_create_cart(customer=customer)
    other = make_sku()
    stock(other, shop["warehouses"]["四川省"], 5)
    add_to_cart(cart=own, sku_id=other.pk, quantity=1)
    cart = start(client)
    add(client, cart, shop["sku"], 1)
    client.post(reverse("backoffice:phone_order_place", args=[cart.pk]), PLACE)
    order = Order.objects.get(customer=customer)
    assert [line.sku_id for line in order.lines.all()] == [shop["sku"].pk]
    assert list(own.lines.values_list("sku_id", flat=True)) == [other.pk]


def test_unknown_sku_and_too_many_units_are_refused(client, agent, shop):
    cart = start(client)
    url = reverse("backoffice:phone_order_add", args=[cart.pk])
    response = client.post(url, {"sku_code": "NOPE", "quantity": 1})
    assert response.status_code == 400
    assert "sku_code" in response.context["line_form"].errors
    client.post(url, {"sku_code": shop["sku"].code, "quantity": 9})
    response = client.post(reverse("backoffice:phone_order_place", args=[cart.pk]), PLACE)
    assert response.status_code == 409  # only 5 in stock
    assert not Order.objects.exists()


def test_a_bad_delivery_phone_is_named(client, agent, shop):
    cart = start(client)
    add(client, cart, shop["sku"], 1)
    response = client.post(
        reverse("backoffice:phone_order_place", args=[cart.pk]), {**PLACE, "mobile": "12345"}
    )
    assert response.status_code == 400
    assert "mobile" in response.context["place_form"].errors
    assert not Order.objects.exists()


def test_only_customer_service_takes_phone_orders(client, make_staff, shop):
    client.force_login(make_staff("procurement"))
    response = client.post(reverse("backoffice:phone_order_start"), {"mobile": "13612345678"})
    assert response.status_code == 403
    assert not Customer.objects.exists()

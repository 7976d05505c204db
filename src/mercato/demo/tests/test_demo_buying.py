"""A newcomer buys in the demo: the printed shop log-in, a home-page product, the sandbox
(approved on its cashier page) and cash on delivery, through the shop's own endpoints."""

import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from mercato.customers.models import Customer
from mercato.demo.data import DEMO_PASSWORD, DEMO_SHOPPERS
from mercato.demo.seed_buying import demo_sku_ids
from mercato.demo.services import seed_demo
from mercato.inventory.models import Reservation
from mercato.orders.models import Order

SMALL = {"products": 40, "customers": 30, "quiet": True}


def _post(client, url: str, body: dict | None = None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def _buy(client, *, sku_id: int, address_id: int, payment_method: str, key: str) -> dict:
    assert _post(client, "/api/cart/lines", {"sku_id": sku_id, "quantity": 1}).status_code == 201
    placed = _post(
        client,
        "/api/orders",
        {"address_id": address_id, "payment_method": payment_method, "idempotency_key": key},
    )
    assert placed.status_code == 201, placed.content
    return placed.json()


@pytest.mark.django_db
@pytest.mark.parametrize("mobile", [m for m, *_ in DEMO_SHOPPERS])
def test_a_demo_shopper_buys_with_the_sandbox_and_with_cod(client, mobile):
    """Log in as printed, buy a home-page product twice: the sandbox order turns paid once
    approved on the cashier page; the COD order is placed unpaid, flagged for review; both
    hold their stock."""
    seed_demo(seed=1, **SMALL)
    assert client.login(username=mobile, password=DEMO_PASSWORD)
    address_id = Customer.objects.get(mobile=mobile).addresses.get(is_default=True).pk
    first, second = demo_sku_ids()[:2]

    sandbox = _buy(
        client, sku_id=first, address_id=address_id, payment_method="sandbox", key="demo-sandbox-1"
    )
    assert sandbox["status"] == "pending_payment"
    action = _post(client, f"/api/orders/{sandbox['number']}/pay").json()
    cashier = urlsplit(action["url"])
    assert cashier.path == "/payments/sandbox/pay/"
    fields = dict(parse_qsl(cashier.query))
    assert client.get(action["url"]).status_code == 200
    assert client.post(cashier.path, {**fields, "decision": "approve"}).status_code == 302
    assert Order.objects.get(number=sandbox["number"]).status == "paid"

    cod = _buy(client, sku_id=second, address_id=address_id, payment_method="cod", key="demo-cod-1")
    order = Order.objects.get(number=cod["number"])
    assert order.status == "cod_confirmed"
    assert order.paid_at is None
    for number in (sandbox["number"], cod["number"]):
        assert Reservation.objects.filter(reference=number).exists()

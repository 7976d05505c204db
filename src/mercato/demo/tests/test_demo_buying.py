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


@pytest.mark.django_db
def test_the_home_banners_618_offer_is_what_checkout_charges(client):
    """The banner promises 全场满 300 减 40: a demo shopper's cart of ¥300 or more is
    quoted and charged ¥40 less (or more off from a higher tier), the order's lines adding
    up to its discount."""
    from decimal import Decimal

    from mercato.catalog.models import HomeSlot, Sku

    seed_demo(seed=1, **SMALL)
    assert HomeSlot.objects.filter(subtitle="全场满 300 减 40").exists()
    mobile = DEMO_SHOPPERS[0][0]
    assert client.login(username=mobile, password=DEMO_PASSWORD)
    address_id = Customer.objects.get(mobile=mobile).addresses.get(is_default=True).pk
    # A home-page SKU and enough of it to pass ¥300 but stay under ¥600.
    sku = Sku.objects.filter(pk__in=demo_sku_ids(), list_price__lt=300).order_by("pk").first()
    quantity = int(Decimal(300) // sku.list_price) + 1
    if sku.list_price * quantity >= 600:
        pytest.skip("no home-page SKU fits between ¥300 and ¥600")  # not with seed 1
    line = {"sku_id": sku.pk, "quantity": quantity}
    assert _post(client, "/api/cart/lines", line).status_code == 201
    placed = _post(
        client,
        "/api/orders",
        {"address_id": address_id, "payment_method": "sandbox", "idempotency_key": "demo-618"},
    )
    assert placed.status_code == 201, placed.content
    order = Order.objects.get(number=placed.json()["number"])
    assert order.lines_total == sku.list_price * quantity
    # The demo shoppers have no orders yet, so 新人专享 95 折 may combine with 满减 (after
    # it, measured on what is left): the better of that and 满减 alone.
    goods = order.lines_total
    new_customer = (goods * Decimal("0.05")).quantize(Decimal("0.01"))
    both = new_customer + (Decimal(40) if goods - new_customer >= 300 else 0)
    assert order.discount_total == max(Decimal("40.00"), both)
    assert sum(line.discount_share for line in order.lines.all()) == order.discount_total
    assert order.total == order.lines_total + order.shipping_fee - order.discount_total

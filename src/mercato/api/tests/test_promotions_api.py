"""Promotions over the staff API: /api/staff/promotions (list, filters) and one promotion
with its results; operations only."""

from decimal import Decimal

import pytest

from mercato.promotions.models import Redemption, Status
from mercato.testing.api import bearer
from mercato.testing.factories import SkuFactory, make_customer, make_order, priced_line
from mercato.testing.promotions import make_promotion

pytestmark = pytest.mark.django_db
BASE = "/api/staff/promotions"


def test_operations_list_promotions_and_read_one_with_its_results(client, make_staff):
    headers = bearer(make_staff("operations"))
    running = make_promotion(name="618 满300减40")
    make_promotion(name="双11 预热", status=Status.DRAFT)
    sku = SkuFactory(list_price=Decimal("200.00"), cost_price=Decimal("120.00"))
    order = make_order(
        customer=make_customer(),
        lines=[priced_line(sku=sku, unit_price="200.00", quantity=2, discount_share="40.00")],
    )
    Redemption.objects.create(
        promotion=running, order_number=order.number, customer=order.customer,
        discount=Decimal("40.00"), shipping_off=Decimal("0.00"),
    )  # fmt: skip
    listed = client.get(f"{BASE}?status=active", headers=headers)
    assert listed.status_code == 200
    assert [p["name"] for p in listed.json()] == ["618 满300减40"]
    detail = client.get(f"{BASE}/{running.pk}", headers=headers).json()
    # 400 − 40 − 2 × 120 = 120
    assert detail["results"]["orders"] == 1
    assert Decimal(detail["results"]["margin"]) == Decimal("120.00")
    assert detail["results"]["new_customers"] == 1 and len(detail["days"]) == 1
    assert client.get(f"{BASE}/999999", headers=headers).status_code == 404
    assert client.get(f"{BASE}?kind=nope", headers=headers).status_code == 422


def test_staff_outside_operations_are_refused(client, make_staff):
    headers = bearer(make_staff("finance"))
    promotion = make_promotion()
    assert client.get(BASE, headers=headers).status_code == 403
    assert client.get(f"{BASE}/{promotion.pk}", headers=headers).status_code == 403

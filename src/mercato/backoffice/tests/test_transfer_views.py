"""The transfer pages: create, ship, receive short with a reason, the in-transit column
of the stock list, and rebalancing suggestions turned into transfer orders in one click."""

import dataclasses
import datetime

import pytest
import time_machine
from django.urls import reverse

from mercato.inventory.models import Stock
from mercato.inventory.services import receive_stock
from mercato.procurement.models import TransferOrder, TransferStatus
from mercato.testing.factories import ORDER_ADDRESS, SkuFactory, make_order, priced_line
from mercato.testing.procurement import make_shanghai_warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(db):
    return make_shanghai_warehouse("sh"), make_shanghai_warehouse("sh2")


def test_a_transfer_created_shipped_and_received_short_through_the_pages(client, login, pair):
    src, dst = pair
    sku = SkuFactory()
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=src.pk, quantity=10)
    login("procurement")
    response = client.post(
        reverse("backoffice:transfer_create"),
        {"from_warehouse": src.pk, "to_warehouse": dst.pk, "lines": f"{sku.code}, 6"},
    )
    order = TransferOrder.objects.get()
    assert response.status_code == 302 and order.status == TransferStatus.DRAFT
    client.post(reverse("backoffice:transfer_step", args=[order.number, "ship"]))
    order.refresh_from_db()
    assert order.status == TransferStatus.SHIPPED
    stock_page = client.get(reverse("backoffice:stock_list")).content.decode()
    assert "In transit" in stock_page or "在途" in stock_page

    line = order.lines.get()
    url = reverse("backoffice:transfer_step", args=[order.number, "receive"])
    response = client.post(url, {f"received-{line.pk}": "5"}, follow=True)
    order.refresh_from_db()
    assert order.status == TransferStatus.SHIPPED  # no reason: refused
    client.post(url, {f"received-{line.pk}": "5", "reason": "1件丢失"})
    order.refresh_from_db()
    assert order.status == TransferStatus.RECEIVED
    assert Stock.objects.get(sku=sku, warehouse=dst).on_hand == 5
    assert (
        "1件丢失"
        in client.get(reverse("backoffice:transfer_detail", args=[order.number])).content.decode()
    )


def test_shipping_more_than_available_shows_why_and_changes_nothing(client, login, pair):
    src, dst = pair
    sku = SkuFactory()
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=src.pk, quantity=2)
    login("procurement")
    client.post(
        reverse("backoffice:transfer_create"),
        {"from_warehouse": src.pk, "to_warehouse": dst.pk, "lines": f"{sku.code}, 3"},
    )
    order = TransferOrder.objects.get()
    response = client.post(
        reverse("backoffice:transfer_step", args=[order.number, "ship"]), follow=True
    )
    assert sku.code in response.content.decode()
    order.refresh_from_db()
    assert order.status == TransferStatus.DRAFT
    assert Stock.objects.get(sku=sku, warehouse=src).on_hand == 2


def test_transfer_pages_need_the_permission(client, login, pair):
    login("service")
    for url in (reverse("backoffice:transfer_list"), reverse("backoffice:rebalance")):
        assert client.get(url).status_code == 403


@time_machine.travel(datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC), tick=False)
def test_rebalancing_suggestions_become_transfer_orders_in_one_click(client, login):
    from mercato.inventory.services import create_warehouse

    sh = make_shanghai_warehouse("sh")
    cd = create_warehouse(
        actor=None, code="cd", name="成都仓", provinces=["四川省"], province="四川省",
        city="成都市", district="武侯区", address="1号",
    )  # fmt: skip
    sku = SkuFactory()
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=sh.pk, quantity=100)
    address = dataclasses.replace(
        ORDER_ADDRESS, province="四川省", city="成都市", district="武侯区"
    )
    make_order(lines=[priced_line(sku=sku, quantity=30)], address=address)
    login("procurement")
    page = client.get(reverse("backoffice:rebalance")).content.decode()
    assert sku.code in page and 'id="suggestions"' in page
    client.post(reverse("backoffice:rebalance_create"), {"scope": "all"})
    order = TransferOrder.objects.get()
    assert (order.from_warehouse, order.to_warehouse) == (sh, cd)
    assert order.lines.get().quantity == 14  # 1 a day × 14 days' cover
    page = client.get(reverse("backoffice:rebalance")).content.decode()
    assert 'id="no-suggestions"' in page  # the draft counts: not suggested twice


def test_the_transfer_list_takes_the_same_queries_for_1_and_10_transfers(
    client, login, pair, django_assert_num_queries
):
    from mercato.procurement import transfers

    src, dst = pair
    user = login("procurement")

    def add():
        sku = SkuFactory()
        transfers.create_transfer(
            actor=user, from_warehouse_id=src.pk, to_warehouse_id=dst.pk,
            lines=[{"sku_id": sku.pk, "quantity": 1}],
        )  # fmt: skip

    add()
    url = reverse("backoffice:transfer_list")
    client.get(url)
    with django_assert_num_queries(BUDGET) as first:
        assert client.get(url).status_code == 200
    for _ in range(9):
        add()
    with django_assert_num_queries(BUDGET):
        page = client.get(url).content.decode()
    assert page.count("/procurement/transfers/TO") == 10, first


BUDGET = 6

"""The stock workspace (库存): stock per SKU and warehouse with low stock marked, one SKU's
ledger with the document behind each movement, and the reconciliation report."""

import pytest
from django.urls import reverse

from mercato.inventory.models import Stock
from mercato.inventory.services import adjust_stock
from mercato.testing.fulfillment import make_customer, make_shop, make_sku, place, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    warehouses = make_shop()
    phone, case = make_sku(price="50.00"), make_sku(price="9.90")
    stock(phone, warehouses["四川省"], 100, "A-01")
    stock(phone, warehouses["上海市"], 3)
    stock(case, warehouses["四川省"], 40)
    return {"warehouses": warehouses, "phone": phone, "case": case}


@pytest.fixture
def keeper(client, make_staff):
    user = make_staff("procurement")
    client.force_login(user)
    return user


def rows(response) -> list[tuple[str, str, int, int]]:
    return [
        (s.sku.code, s.warehouse.name, s.on_hand, s.available_units)
        for s in response.context["page"].object_list
    ]


def test_stock_lists_every_sku_and_warehouse_and_marks_low_stock(client, keeper, shop):
    place(make_customer(), (shop["phone"], 2))
    response = client.get(reverse("backoffice:stock_list"))
    assert response.status_code == 200
    listed = rows(response)
    assert len(listed) == 3
    # The order reserved 2 in one warehouse: available is on hand less reserved.
    phone = [r for r in listed if r[0] == shop["phone"].code]
    assert sorted(r[2] - r[3] for r in phone) == [0, 2]
    low = client.get(reverse("backoffice:stock_list"), {"low": "on"})
    assert [(r[0], r[1]) for r in rows(low)] == [
        (shop["phone"].code, shop["warehouses"]["上海市"].name)
    ]
    assert low.content.decode().count('<tr class="problem">') == 1
    by_code = client.get(reverse("backoffice:stock_list"), {"q": shop["case"].code})
    assert [r[0] for r in rows(by_code)] == [shop["case"].code]


def test_a_skus_ledger_shows_each_movement_with_its_document_and_balance(
    client, keeper, shop, make_staff
):
    order = place(make_customer(), (shop["phone"], 2))
    chengdu = shop["warehouses"]["四川省"]
    adjust_stock(
        actor=make_staff("procurement"), sku_id=shop["phone"].pk, warehouse_id=chengdu.pk,
        delta=-5, reason="盘点短少",
    )  # fmt: skip
    response = client.get(reverse("backoffice:stock_sku", args=[shop["phone"].pk]))
    html = response.content.decode()
    ledger = list(response.context["ledger"].object_list)
    assert ledger[0].note == "盘点短少" and ledger[0].on_hand_delta == -5
    assert ledger[0].on_hand_after == ledger[0].on_hand_before - 5
    assert any(m.reference == order.number for m in ledger)
    assert order.number in html and "盘点短少" in html
    per_warehouse = {s.warehouse_id: s.on_hand for s in response.context["stocks"]}
    assert (
        per_warehouse[chengdu.pk] == Stock.objects.get(sku=shop["phone"], warehouse=chengdu).on_hand
    )


def test_reconciliation_names_a_row_that_disagrees_with_its_ledger(client, keeper, shop):
    url = reverse("backoffice:stock_reconcile")
    assert 'id="all-agree"' in client.get(url).content.decode()
    # A write that went around inventory.services (no ledger row): the report names it.
    Stock.objects.filter(sku=shop["case"]).update(on_hand=41)
    html = client.get(url).content.decode()
    assert 'id="problems"' in html and "on hand 41" in html


def test_the_stock_pages_need_the_stock_permission(client, make_staff, shop):
    client.force_login(make_staff("service"))
    for url in (
        reverse("backoffice:stock_list"),
        reverse("backoffice:stock_sku", args=[shop["phone"].pk]),
        reverse("backoffice:stock_reconcile"),
    ):
        assert client.get(url).status_code == 403


def test_the_stock_list_takes_the_same_queries_for_3_and_30_rows(
    client, keeper, shop, django_assert_num_queries
):
    """The session, the user and permissions, the warehouses for the filter, the count and
    one page of rows with SKU, product, warehouse and bin."""
    url = reverse("backoffice:stock_list")
    client.get(url)  # the session and the user's permissions
    with django_assert_num_queries(BUDGET):
        client.get(url)
    for n in range(9):
        sku = make_sku(price="1.00")
        for warehouse in shop["warehouses"].values():
            stock(sku, warehouse, n + 1)
    with django_assert_num_queries(BUDGET):
        client.get(url)


BUDGET = 11  # with the units on order and in transit (procurement.selectors.on_order, in_transit)
# and the units each row shipped in the velocity window (cover, overstock)

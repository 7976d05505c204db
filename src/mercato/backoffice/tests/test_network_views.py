"""The warehouse network page (仓储中心规划): maps with the province table as their text,
the plan applied in one click by a procurement lead, bad input refused with nothing
changed, and the page's query budget."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from mercato.inventory.models import WarehouseProvince
from mercato.testing.factories import make_order, priced_line
from mercato.testing.fulfillment import at
from mercato.testing.procurement import make_network_shop

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC)
# Session, user and its permissions (4), warehouses (2), demand (2), the carriers' book
# (5), the served-province version (1), the menu's department (1).
BUDGET = 15


@pytest.fixture
def shop(db):
    return make_network_shop(
        orders={"四川省": 2, "上海市": 1}, placed_at=NOW - datetime.timedelta(days=5)
    )


def _served(province):
    return sorted(
        WarehouseProvince.objects.filter(province=province).values_list(
            "warehouse__code", flat=True
        )
    )


@time_machine.travel(NOW, tick=False)
def test_a_lead_sees_both_maps_and_applies_the_plan_in_one_click(client, login, shop):
    login("procurement", roles=["procurement_lead"])
    page = client.get(reverse("backoffice:network")).content.decode()
    assert page.count("<svg") == 2 and 'role="img"' in page
    assert 'id="provinces"' in page and "四川省" in page  # the maps' text alternative
    assert 'id="apply-plan"' in page and 'id="new-sites"' in page
    query = "days=90&weight=2"
    response = client.post(
        reverse("backoffice:network_apply"),
        {"province": ["四川省", "上海市"], "warehouse": [shop["cd"].pk, shop["sh"].pk],
         "query": query},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"].endswith("?" + query)
    assert _served("四川省") == ["CD"] and _served("上海市") == ["SH"]


@time_machine.travel(NOW, tick=False)
def test_a_buyer_cannot_open_or_apply_it(client, login, shop):
    login("procurement")
    assert client.get(reverse("backoffice:network")).status_code == 403
    response = client.post(
        reverse("backoffice:network_apply"), {"province": ["四川省"], "warehouse": [shop["cd"].pk]}
    )
    assert response.status_code == 403
    assert _served("四川省") == ["SH"]


@time_machine.travel(NOW, tick=False)
def test_an_unknown_province_or_warehouse_is_named_and_nothing_changes(client, login, shop):
    login("procurement", roles=["procurement_lead"])
    url = reverse("backoffice:network_apply")
    response = client.post(
        url, {"province": ["四川省", "火星省"], "warehouse": [shop["cd"].pk, shop["cd"].pk]},
        follow=True,
    )  # fmt: skip
    assert "火星省" in response.content.decode()
    response = client.post(url, {"province": ["四川省"], "warehouse": ["999999"]}, follow=True)
    assert "四川省" in response.content.decode()
    response = client.post(
        url, {"province": ["四川省"], "warehouse": [shop["cd"].pk], "version": "stale"},
        follow=True,
    )  # fmt: skip
    assert response.redirect_chain
    assert _served("四川省") == ["SH"]


def test_without_any_warehouse_the_page_says_so(client, login):
    login("procurement", roles=["procurement_lead"])
    page = client.get(reverse("backoffice:network")).content.decode()
    assert 'id="plan-error"' in page and "<svg" not in page


@time_machine.travel(NOW, tick=False)
def test_a_bad_limit_is_refused_on_the_page(client, login, shop):
    login("procurement", roles=["procurement_lead"])
    page = client.get(reverse("backoffice:network"), {f"cap_{shop['sh'].pk}": "abc"})
    assert 'id="plan-error"' in page.content.decode()


@time_machine.travel(NOW, tick=False)
def test_the_page_query_budget(client, login, shop, django_assert_num_queries):
    login("procurement", roles=["procurement_lead"])
    url = reverse("backoffice:network")
    from django.core.cache import cache

    cache.clear()
    with django_assert_num_queries(BUDGET):
        assert client.get(url).status_code == 200
    for n in range(20):  # more orders and provinces: the same queries
        make_order(
            lines=[priced_line(sku=shop["sku"])], address=at("广东省", "某市", "某区", f"{n}号")
        )
    cache.clear()
    with django_assert_num_queries(BUDGET):
        assert client.get(url).status_code == 200

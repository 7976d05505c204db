"""Cycle counts and the supply-chain KPI dashboard in the stock workspace; overstock
marked and filtered in the stock list."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from mercato.inventory.models import CountStatus, CountTask, Stock, Zone
from mercato.testing.fulfillment import make_shop, make_sku, stock
from mercato.testing.stockcontrol import ship_units

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    warehouses = make_shop(provinces=("四川省",))
    wh = warehouses["四川省"]
    skus = [make_sku(price="10.00") for _ in range(3)]
    for n, sku in enumerate(skus):
        stock(sku, wh, 100, f"A-0{n + 1}")
    return {"wh": wh, "skus": skus}


@pytest.fixture
def clerk(client, make_staff):
    user = make_staff("procurement")
    client.force_login(user)
    return user


def test_a_clerk_makes_a_sheet_scans_and_submits_a_count_from_the_pages(client, clerk, shop):
    wh, (a, b, c) = shop["wh"], shop["skus"]
    zone = Zone.objects.get(warehouse=wh, code="A")
    response = client.post(reverse("backoffice:count_list"), {"warehouse": wh.pk, "zone": zone.pk})
    task = CountTask.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/{task.number}/")
    lines = {ln.stock.sku_id: ln.pk for ln in task.lines.select_related("stock")}
    step = lambda s: reverse("backoffice:count_step", args=[task.number, s])  # noqa: E731
    client.post(step("record"), {f"counted-{lines[a.pk]}": "100", f"counted-{lines[b.pk]}": "97",
                                 "scans": "\n".join([c.code] * 100)})  # fmt: skip
    page = client.get(reverse("backoffice:count_detail", args=[task.number])).content.decode()
    assert "-3" in page and 'id="submit-count"' in page
    client.post(step("submit"), {"reason": "拣货错放"})
    task.refresh_from_db()
    assert task.status == CountStatus.POSTED
    assert Stock.objects.get(sku=b, warehouse=wh).on_hand == 97


def test_a_bad_count_shows_its_error_and_changes_nothing(client, clerk, shop):
    wh = shop["wh"]
    response = client.post(reverse("backoffice:count_list"), {"warehouse": wh.pk})
    assert response.status_code == 400 and not CountTask.objects.exists()
    zone = Zone.objects.get(warehouse=wh, code="A")
    client.post(reverse("backoffice:count_list"), {"warehouse": wh.pk, "zone": zone.pk})
    task = CountTask.objects.get()
    url = reverse("backoffice:count_step", args=[task.number, "record"])
    response = client.post(url, {"scans": "NOPE"}, follow=True)
    assert "NOPE" in response.content.decode()
    assert not task.lines.filter(counted__isnull=False).exists()


def test_count_pages_take_a_fixed_number_of_queries(client, clerk, shop, django_assert_num_queries):
    wh = shop["wh"]
    zone = Zone.objects.get(warehouse=wh, code="A")
    client.post(reverse("backoffice:count_list"), {"warehouse": wh.pk, "zone": zone.pk})
    task = CountTask.objects.get()
    detail = reverse("backoffice:count_detail", args=[task.number])
    client.get(detail)
    # user, permissions (2), the user's department (menu); the task; its lines with SKU
    # and product; its events.
    with django_assert_num_queries(7):
        client.get(detail)
    # user, permissions (2), the user's department (menu); count and page of tasks;
    # warehouses and zones (the form's choices).
    with django_assert_num_queries(8):
        client.get(reverse("backoffice:count_list"))


def test_overstock_is_marked_and_filtered_in_the_stock_list(client, clerk, shop, settings):
    """30-day velocity, 90 days' cover at most: a shipped 20 (100 − 20 = 80 units last
    120 days: overstock), b shipped 40 (60 last 45 days), c nothing (overstock)."""
    settings.MERCATO_VELOCITY_DAYS, settings.MERCATO_OVERSTOCK_DAYS = 30, 90
    wh, (a, b, c) = shop["wh"], shop["skus"]
    ship_units(a, wh, 20, days_ago=3)
    ship_units(b, wh, 40, days_ago=3)
    response = client.get(reverse("backoffice:stock_list"), {"over": "on"})
    assert sorted(s.sku_id for s in response.context["page"].object_list) == sorted([a.pk, c.pk])
    listed = {s.sku_id: s for s in client.get(reverse("backoffice:stock_list")).context["page"]}
    assert (listed[a.pk].cover, listed[b.pk].cover, listed[c.pk].cover) == (120, 45, None)
    assert (listed[a.pk].over, listed[b.pk].over, listed[c.pk].over) == (True, False, True)


def test_the_kpi_dashboard_draws_its_charts_and_downloads_csv_and_xlsx(
    client, clerk, shop, django_assert_num_queries
):
    wh, (a, *_rest) = shop["wh"], shop["skus"]
    ship_units(a, wh, 10, days_ago=2)
    url = reverse("backoffice:supply_kpis")
    client.get(url)
    # user, permissions (2), department (menu); stock and shipped at cost by warehouse and
    # by category (4); orders' status times; fill rate; lead times; bins; slow movers.
    with django_assert_num_queries(13):
        page = client.get(url)
    html = page.content.decode()
    assert 'id="doi-chart"' in html and 'id="bins-chart"' in html
    rows = list(
        csv.reader(io.StringIO(client.get(url, {"format": "csv"}).content.decode("utf-8-sig")))
    )
    assert [wh.name, "days_of_inventory"] in [r[1:3] for r in rows]
    book = load_workbook(io.BytesIO(client.get(url, {"format": "xlsx", "days": "30"}).content))
    values = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert values[1][3] == 30

"""Flash sales in the operations workspace (秒杀活动): create on the form (bad lines refused
on the field), the list and page with sold and left, edit only before the start, cancel;
and the buy endpoint under /api/flash/ behind the shop's gate."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from mercato.customers.services import add_address
from mercato.orders.models import Order
from mercato.promotions import flash
from mercato.promotions.models import FlashSale, FlashSaleStatus
from mercato.testing.buying import CHENGDU, stock
from mercato.testing.factories import make_customer

pytestmark = pytest.mark.django_db
NOW = timezone.datetime(2026, 12, 12, 12, 0, tzinfo=timezone.get_fixed_timezone(480))


@pytest.fixture
def ops(client, ops_user):
    client.force_login(ops_user)
    return ops_user


@pytest.fixture
def phone(shop, make_sku):
    sku = make_sku(price="199.00", name="秒杀手机")
    sku.code = "FLASH-1"
    sku.save(update_fields=["code"])
    stock(sku, shop["CD"], 10)
    return sku


def form(**kw):
    return {
        "name": "双十二秒杀",
        "starts_at": "2026-12-12T12:00",
        "ends_at": "2026-12-12T14:00",
        "items": "FLASH-1 99.00 5 2",
    } | kw


@time_machine.travel(NOW - timedelta(hours=1), tick=False)
def test_operations_create_a_flash_sale_and_see_it_listed(client, ops, phone):
    response = client.post("/backoffice/promotions/flash/new/", form())
    sale = FlashSale.objects.get()
    assert response["Location"] == f"/backoffice/promotions/flash/{sale.pk}/"
    item = sale.items.get()
    assert (item.sku_id, item.price, item.quantity, item.per_customer_limit) == (
        phone.pk, Decimal("99.00"), 5, 2,
    )  # fmt: skip
    listed = client.get("/backoffice/promotions/flash/").content.decode()
    assert "双十二秒杀" in listed and "0 / 5" in listed
    page = client.get(f"/backoffice/promotions/flash/{sale.pk}/").content.decode()
    assert 'data-figure="left">5<' in page


@pytest.mark.parametrize(
    ("items", "text"),
    [
        ("FLASH-1 199.00 5 1", "低于"),  # not below the price
        ("FLASH-1 99.00 50 1", "库存"),  # more than in stock
        ("NOPE 99.00 5 1", "NOPE"),  # no such SKU
        ("FLASH-1 99.00", "第 1 行"),  # missing the quantity
    ],
)
@time_machine.travel(NOW - timedelta(hours=1), tick=False)
def test_bad_lines_are_refused_on_the_field_and_nothing_is_saved(client, ops, phone, items, text):
    response = client.post("/backoffice/promotions/flash/new/", form(items=items))
    assert response.status_code == 200
    assert text in response.content.decode()
    assert not FlashSale.objects.exists()


def test_a_sale_is_edited_before_it_starts_and_not_after(client, ops, phone):
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        client.post("/backoffice/promotions/flash/new/", form())
        sale = FlashSale.objects.get()
        client.post(f"/backoffice/promotions/flash/{sale.pk}/edit/", form(items="FLASH-1 89 3 1"))
        item = sale.items.get()
        assert (item.price, item.quantity) == (Decimal("89.00"), 3)
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        response = client.post(
            f"/backoffice/promotions/flash/{sale.pk}/edit/", form(items="FLASH-1 9 3 1")
        )
        assert response.status_code == 409
        assert "秒杀活动开始后不能再修改" in response.content.decode()
        assert sale.items.get().price == Decimal("89.00")
        client.post(f"/backoffice/promotions/flash/{sale.pk}/cancel/")
        sale.refresh_from_db()
        assert sale.status == FlashSaleStatus.CANCELLED


def test_other_departments_cannot_open_the_flash_sales(client, make_staff):
    client.force_login(make_staff("finance"))
    assert client.get("/backoffice/promotions/flash/").status_code == 403


def shopper(client):
    customer = make_customer()
    fields = {k: getattr(CHENGDU, k) for k in ("recipient", "mobile", "province", "city")}
    add_address(
        actor=None, customer_id=customer.pk, district=CHENGDU.district, detail=CHENGDU.detail,
        **fields,
    )  # fmt: skip
    client.force_login(customer.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return customer


def test_the_api_buys_through_the_shops_gate(client, phone, settings):
    settings.MERCATO_FLASH_GATE = "database"
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        sale = flash.create_flash_sale(
            name="秒杀", starts_at=NOW, ends_at=NOW + timedelta(hours=1),
            items=[flash.ItemSpec(phone.pk, Decimal("99.00"), 1, per_customer_limit=1)],
        )  # fmt: skip
    item = sale.items.get()
    flash.forget(item.pk)
    url = f"/api/flash/items/{item.pk}/buy"
    assert client.post(url, {"token": "x"}, content_type="application/json").status_code == 401
    customer = shopper(client)
    with time_machine.travel(NOW + timedelta(seconds=1), tick=False):
        token = client.get(f"/api/flash/{sale.pk}/token").json()["token"]
        bad = client.post(url, {"token": "forged"}, content_type="application/json")
        assert (bad.status_code, bad.json()["code"]) == (403, "token_invalid")
        bought = client.post(url, {"token": token}, content_type="application/json")
        assert bought.status_code == 201, bought.content
        assert Order.objects.get(customer=customer).number == bought.json()["order"]
        shopper(client)
        token = client.get(f"/api/flash/{sale.pk}/token").json()["token"]
        gone = client.post(url, {"token": token}, content_type="application/json")
        assert (gone.status_code, gone.json()["code"]) == (409, "sold_out")

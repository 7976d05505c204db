from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import translation

from mercato.checkout.models import ShippingZone, ShippingZoneProvince
from mercato.checkout.services import shipping_fee
from mercato.core.regions import mainland_provinces
from mercato.customers.models import Customer
from mercato.demo.data import DEMO_PASSWORD, DEMO_SHOPPERS
from mercato.demo.seed_buying import DEMO_MIN_STOCK, demo_sku_ids
from mercato.demo.seed_people import plan_customers
from mercato.demo.services import BASE_DATE, DEFAULT_CUSTOMERS, seed_demo
from mercato.inventory.models import Stock, StockMovement, Warehouse

SMALL = {"products": 40, "customers": 30, "quiet": True}
NO_FREE_SHIPPING = Decimal("0.01")


@pytest.mark.django_db
def test_every_province_has_exactly_one_shipping_rate():
    """All 31 provinces get a rate: 江浙沪 cheapest, 新疆/西藏 dearest, the rest between."""
    seed_demo(seed=1, **SMALL)
    zoned = list(ShippingZoneProvince.objects.values_list("province", flat=True))
    assert sorted(zoned) == sorted(mainland_provinces())
    assert len(zoned) == 31
    fees = {
        p: shipping_fee(province=p, weight_g=1500, goods_total=NO_FREE_SHIPPING)
        for p in mainland_provinces()
    }
    assert fees["上海市"] == fees["浙江省"] == Decimal("8.00")  # ¥6 first kg + ¥2
    assert fees["西藏自治区"] == fees["新疆维吾尔自治区"] == Decimal("30.00")  # ¥20 + ¥10
    assert fees["北京市"] == fees["四川省"] == Decimal("15.00")  # ¥10 + ¥5
    assert shipping_fee(province="西藏自治区", weight_g=1500, goods_total=Decimal("999")) == 0


@pytest.mark.django_db
def test_seeding_buying_data_again_creates_nothing():
    """A second run adds no zone, no stock receipt and no shopper, and changes no stock."""
    first = seed_demo(seed=1, **SMALL)
    assert first.created["shipping_zones"] == 3
    assert first.created["shoppers"] == len(DEMO_SHOPPERS)
    assert first.created["demo_stock_receipts"] > 0
    stock = list(Stock.objects.order_by("pk").values_list("pk", "on_hand", "reserved"))
    ledger = StockMovement.objects.count()
    again = seed_demo(seed=1, **SMALL)
    assert again.created["shipping_zones"] == 0
    assert again.created["demo_stock_receipts"] == 0
    assert again.created["shoppers"] == 0
    assert ShippingZone.objects.count() == 3
    assert list(Stock.objects.order_by("pk").values_list("pk", "on_hand", "reserved")) == stock
    assert StockMovement.objects.count() == ledger


@pytest.mark.django_db
def test_home_page_products_can_be_bought_anywhere_and_the_ledger_agrees():
    """Every SKU of a featured product has stock in every warehouse, each unit received
    through the ledger."""
    seed_demo(seed=1, **SMALL)
    sku_ids = demo_sku_ids()
    assert sku_ids
    stocks = Stock.objects.filter(sku_id__in=sku_ids)
    assert stocks.count() == len(sku_ids) * Warehouse.objects.count()
    assert min(s.available for s in stocks) >= DEMO_MIN_STOCK
    for stock in stocks:
        received = stock.movements.aggregate(n=Sum("on_hand_delta"))["n"]
        assert received == stock.on_hand


@pytest.mark.django_db
def test_demo_shoppers_log_in_with_an_address(client):
    """The printed shop log-ins work and each has a default delivery address."""
    seed_demo(seed=1, **SMALL)
    for mobile, name, (province, *_rest) in DEMO_SHOPPERS:
        customer = Customer.objects.get(mobile=mobile)
        assert customer.name == name
        assert customer.addresses.get(is_default=True).province == province
        assert client.login(username=mobile, password=DEMO_PASSWORD)
        client.logout()


def test_no_generated_customer_takes_a_demo_shopper_number():
    """The default seed's customers never use a demo shopper's mobile (it would lock them out)."""
    planned = {
        p["mobile"] for p in plan_customers(seed=1, count=DEFAULT_CUSTOMERS, base_date=BASE_DATE)
    }
    assert not planned & {mobile for mobile, *_ in DEMO_SHOPPERS}


@pytest.mark.django_db
def test_demo_info_tells_how_to_buy_with_the_sandbox_and_cod():
    """demo_info lists the shop log-ins and both ways to pay, in Chinese and in English."""
    seed_demo(seed=1, **SMALL)
    out = StringIO()
    call_command("demo_info", "--url", "http://127.0.0.1:8104", stdout=out)
    text = out.getvalue()
    for mobile, *_ in DEMO_SHOPPERS:
        assert f"    {mobile}  {DEMO_PASSWORD}" in text
    assert "http://127.0.0.1:8104/account/login/" in text
    assert "沙箱" in text and "货到付款" in text
    with translation.override("en"):
        out = StringIO()
        call_command("demo_info", stdout=out)
    assert "Sandbox" in out.getvalue() and "Cash on delivery" in out.getvalue()

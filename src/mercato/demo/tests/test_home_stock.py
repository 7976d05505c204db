"""The README's promise: every product on the demo's home page has stock in every
warehouse, so a newcomer can buy whatever they open first and have it sent anywhere."""

import re

import pytest
from django.db.models import F

from mercato.catalog.models import Product, Sku
from mercato.demo.services import seed_demo
from mercato.inventory.models import Stock, Warehouse
from mercato.orders.popularity import recompute_popularity

pytestmark = pytest.mark.django_db


def home_page_products(client) -> list[Product]:
    html = client.get("/").content.decode()
    slugs = set(re.findall(r'href="/p/([^/"]+)/"', html))
    return list(Product.objects.filter(slug__in=slugs))


def unstocked(products) -> list[tuple[str, str]]:
    """(SKU code, warehouse code) for each active SKU of `products` with nothing available
    in a warehouse."""
    skus = Sku.objects.filter(product__in=products, is_active=True)
    stocked = set(
        Stock.objects.filter(sku__in=skus, on_hand__gt=F("reserved")).values_list(
            "sku_id", "warehouse_id"
        )
    )
    warehouses = list(Warehouse.objects.values_list("pk", "code"))
    return [
        (code, warehouse)
        for pk, code in skus.values_list("pk", "code")
        for warehouse_pk, warehouse in warehouses
        if (pk, warehouse_pk) not in stocked
    ]


def test_every_product_on_the_demo_home_page_has_stock_in_every_warehouse(
    client, django_capture_on_commit_callbacks
):
    """After seed_demo, each SKU of each product the home page links to (featured and the
    category blocks) can be bought from every warehouse; still so once the hourly
    popularity job (run by the demo's beat) has replaced the made-up sales."""
    seed_demo(seed=1, products=300, customers=10, quiet=True)
    assert Warehouse.objects.count() >= 6
    products = home_page_products(client)
    assert len(products) > 40  # featured and full category blocks
    assert unstocked(products) == []

    with django_capture_on_commit_callbacks(execute=True):
        assert recompute_popularity() > 0  # the made-up figures fall back to 0
    after = home_page_products(client)
    assert {p.pk for p in after} != {p.pk for p in products}  # the blocks changed
    assert unstocked(after) == []

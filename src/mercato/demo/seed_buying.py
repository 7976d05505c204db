"""Demo data for buying: shipping zones for all 31 provinces, stock on the home page's
products in every warehouse (featured and category blocks), and shop customers who can log
in and check out.

Everything goes through the owning app's services (zones validated against cpca, stock
receipts written to the ledger, passwords hashed), and only what is missing is created,
so a second run creates nothing.
"""

from decimal import Decimal

from mercato.catalog.models import HomeSlot, Sku
from mercato.catalog.selectors import home_block_products
from mercato.catalog.services.merchandising import live_slots
from mercato.checkout.models import ShippingZone
from mercato.checkout.services import save_shipping_zone
from mercato.core.regions import mainland_provinces
from mercato.customers.models import Customer
from mercato.customers.services import add_address, create_customer
from mercato.inventory.models import Stock, Warehouse
from mercato.inventory.services import receive_stock

from .data import DEMO_PASSWORD, DEMO_SHOPPERS, SHIPPING_ZONES

# Every SKU of a home-page product is kept at this many units at least in every warehouse,
# so whatever a newcomer clicks first on the home page can be bought, to any province.
DEMO_MIN_STOCK = 200
STOCK_REFERENCE = "DEMO-TOPUP"


def zone_provinces() -> list[tuple[str, list[str]]]:
    """(zone name, provinces) per zone; the zone without a list takes every other province."""
    listed = {p for _n, provinces, *_ in SHIPPING_ZONES if provinces for p in provinces}
    rest = [p for p in mainland_provinces() if p not in listed]
    return [(name, provinces or rest) for name, provinces, *_ in SHIPPING_ZONES]


def seed_shipping_zones(*, bar) -> int:
    """The zones and their rates; a zone that exists already is left as operations set it."""
    have = set(ShippingZone.objects.values_list("name", flat=True))
    rates = {name: rate for name, _p, *rate in SHIPPING_ZONES}
    created = 0
    for name, provinces in zone_provinces():
        if name not in have:
            first_g, first_fee, step_g, extra_fee = rates[name]
            save_shipping_zone(
                name=name,
                provinces=provinces,
                first_weight_g=first_g,
                first_fee=Decimal(first_fee),
                extra_weight_step_g=step_g,
                extra_fee=Decimal(extra_fee),
            )
            created += 1
        bar.update(1)
    return created


# The home page's category blocks, in the order they show now (the demo's made-up sales)
# and once beat's hourly popularity job has put real sales in their place (none yet, so the
# newest first: the "new" order): whatever a newcomer opens from the home page is stocked.
HOME_BLOCK_SORTS = ("", "new")


def home_page_product_ids() -> set[int]:
    """The products the home page links to: featured slots and category blocks, built by
    the same selector as the page (catalog.selectors.home_block_products)."""
    ids: set[int] = set()
    for slot in live_slots():
        if slot.kind == HomeSlot.Kind.FEATURED and slot.product_id:
            ids.add(slot.product_id)
        elif slot.kind == HomeSlot.Kind.CATEGORY and slot.category_id:
            for sort in HOME_BLOCK_SORTS:
                block = home_block_products(category=slot.category, sort=sort)
                ids.update(product.pk for product in block)
    return ids


def demo_sku_ids() -> list[int]:
    """The SKUs of the products on the home page, in id order."""
    return list(
        Sku.objects.filter(product__in=home_page_product_ids())
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def seed_demo_stock(*, bar) -> int:
    """Receipts that bring the demo SKUs up to DEMO_MIN_STOCK available in every warehouse.

    Returns the number of receipts (ledger rows) written; 0 when everything is stocked.
    """
    sku_ids = demo_sku_ids()
    warehouse_ids = list(Warehouse.objects.order_by("pk").values_list("pk", flat=True))
    available = {
        (s.sku_id, s.warehouse_id): s.available
        for s in Stock.objects.filter(sku_id__in=sku_ids).only(
            "sku_id", "warehouse_id", "on_hand", "reserved"
        )
    }
    receipts = 0
    for sku_id in sku_ids:
        for warehouse_id in warehouse_ids:
            short = DEMO_MIN_STOCK - available.get((sku_id, warehouse_id), 0)
            if short > 0:
                receive_stock(
                    actor=None,
                    sku_id=sku_id,
                    warehouse_id=warehouse_id,
                    quantity=short,
                    reference=STOCK_REFERENCE,
                    note="演示库存：供试用下单",
                )
                receipts += 1
        bar.update(1)
    return receipts


def seed_shoppers(*, registered_at, bar) -> int:
    """The demo shop customers with DEMO_PASSWORD and a default delivery address."""
    have = set(
        Customer.objects.filter(mobile__in=[m for m, *_ in DEMO_SHOPPERS]).values_list(
            "mobile", flat=True
        )
    )
    created = 0
    for mobile, name, (province, city, district, detail) in DEMO_SHOPPERS:
        if mobile not in have:
            customer = create_customer(
                mobile=mobile, name=name, password=DEMO_PASSWORD, registered_at=registered_at
            )
            add_address(
                actor=None,
                customer_id=customer.pk,
                recipient=name,
                mobile=mobile,
                province=province,
                city=city,
                district=district,
                detail=detail,
                is_default=True,
            )
            created += 1
        bar.update(1)
    return created


def seed_buying(*, base_date, bar) -> dict[str, int]:
    return {
        "shipping_zones": seed_shipping_zones(bar=bar),
        "demo_stock_receipts": seed_demo_stock(bar=bar),
        "shoppers": seed_shoppers(registered_at=base_date, bar=bar),
    }

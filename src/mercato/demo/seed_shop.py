"""Demo shop front: stock per SKU and warehouse, made-up sales figures, home-page slots.

Stock rows are bulk-created with one receipt row each in the stock ledger, as
inventory.services.receive_stock would write them, so the ledger adds up from the start.
"""

import random

from django.db.models import F

from mercato.catalog.bulk import insert_objects
from mercato.catalog.models import (
    Category,
    HomeSlot,
    Product,
    ProductPopularity,
    ProductStatus,
    Sku,
    SkuSpecValue,
)
from mercato.catalog.services import sync_spec_values
from mercato.catalog.shopcache import bump_shop_version
from mercato.inventory.models import Stock, StockMovement, Warehouse

BATCH = 2000
# Share of SKUs with no stock anywhere, and of (SKU, warehouse) pairs left empty: some
# SKUs are then sold out in some regions only, as the product page shows.
SOLD_OUT_EVERYWHERE = 0.05
EMPTY_IN_WAREHOUSE = 0.25
FEATURED = 8


def seed_spec_values() -> int:
    """Spec values for facets of SKUs that have none (bulk-created SKUs send no signal)."""
    have = SkuSpecValue.objects.values("product_id")
    ids = list(Product.objects.exclude(pk__in=have).values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        sync_spec_values(ids[start : start + BATCH])
    return len(ids)


def seed_stock(*, seed: int, bar) -> int:
    """Stock for every SKU that has none, and its opening receipt in the ledger.

    Both tables are filled by insert_objects (COPY or executemany): the ledger rows are
    computed here from the planned quantities, with one query for the new stock ids.
    """
    rng = random.Random(f"mercato-demo:{seed}:stock")
    warehouses = list(Warehouse.objects.order_by("pk").values_list("pk", flat=True))
    stocked = Stock.objects.values("sku_id")
    sku_ids = list(Sku.objects.exclude(pk__in=stocked).order_by("pk").values_list("pk", flat=True))
    rows = []
    for sku_id in sku_ids:
        nowhere = rng.random() < SOLD_OUT_EVERYWHERE
        for warehouse_id in warehouses:
            empty = nowhere or rng.random() < EMPTY_IN_WAREHOUSE
            on_hand = 0 if empty else rng.randint(1, 300)
            rows.append(Stock(sku_id=sku_id, warehouse_id=warehouse_id, on_hand=on_hand))
    insert_objects(Stock, rows)
    bar.update(len(sku_ids) // 2)
    units = {(r.sku_id, r.warehouse_id): r.on_hand for r in rows if r.on_hand}
    if sku_ids:
        new_ids = Stock.objects.filter(sku_id__gte=sku_ids[0], on_hand__gt=0).values_list(
            "pk", "sku_id", "warehouse_id"
        )
        receipts = [
            StockMovement(
                stock_id=pk,
                reason=StockMovement.Reason.RECEIPT,
                on_hand_delta=units[sku_id, warehouse_id],
                on_hand_before=0,
                on_hand_after=units[sku_id, warehouse_id],
                reserved_before=0,
                reserved_after=0,
                reference="DEMO-OPENING",
                note="期初库存（演示数据）",
            )
            for pk, sku_id, warehouse_id in new_ids.iterator(chunk_size=BATCH)
            if (sku_id, warehouse_id) in units
        ]
        insert_objects(StockMovement, receipts)
    bar.update(len(sku_ids) - len(sku_ids) // 2)
    return len(rows)


def seed_popularity(*, seed: int) -> int:
    """Made-up units sold (long-tailed) until orders exist; see ProductPopularity."""
    rng = random.Random(f"mercato-demo:{seed}:popularity")
    have = ProductPopularity.objects.values("product_id")
    ids = Product.objects.exclude(pk__in=have).order_by("pk").values_list("pk", flat=True)
    rows = [
        ProductPopularity(product_id=pk, units_sold=int(rng.paretovariate(1.2) * 10) - 10)
        for pk in ids
    ]
    insert_objects(ProductPopularity, rows)
    return len(rows)


def seed_home_slots() -> int:
    """Banners, featured best sellers and a block per top category, once."""
    if HomeSlot.objects.exists():
        return 0
    tops = list(Category.objects.filter(depth=1).order_by("path"))
    slots = [
        HomeSlot(
            kind=HomeSlot.Kind.BANNER,
            title=title,
            subtitle=subtitle,
            link=f"/c/{tops[i % len(tops)].slug}/" if tops else "/",
            position=i,
        )
        for i, (title, subtitle) in enumerate(
            [
                ("618 年中大促", "全场满 300 减 40"),
                ("新品首发", "每周上新"),
                ("家电焕新", "以旧换新"),
            ]
        )
    ]
    best = (
        Product.objects.filter(status=ProductStatus.ON_SALE)
        .order_by(F("popularity__units_sold").desc(nulls_last=True), "pk")
        .values_list("pk", flat=True)[:FEATURED]
    )
    slots += [
        HomeSlot(kind=HomeSlot.Kind.FEATURED, product_id=pk, position=i)
        for i, pk in enumerate(best)
    ]
    slots += [
        HomeSlot(kind=HomeSlot.Kind.CATEGORY, category=c, title=c.name, position=i)
        for i, c in enumerate(tops)
    ]
    HomeSlot.objects.bulk_create(slots)
    return len(slots)


def seed_shop(*, seed: int, bar) -> dict[str, int]:
    created = {
        "spec_values": seed_spec_values(),
        "stock_rows": seed_stock(seed=seed, bar=bar),
        "popularity": seed_popularity(seed=seed),
        "home_slots": seed_home_slots(),
    }
    bump_shop_version()
    return created

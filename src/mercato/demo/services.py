"""`seed_demo`: the demo data set, deterministic for a seed and safe to run again.

Each stage plans its rows from its own random.Random(seed) and a fixed base date, then
creates only the rows whose natural key (code, slug, username, mobile) is missing, so a
second run adds nothing and a run with a larger --products only adds the difference.
Rows are bulk-created, which sends no signals: the audit log does not list demo rows.
"""

import time
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from tqdm import tqdm

from mercato.core.db import refresh_planner_statistics
from mercato.staff.services import sync_roles

from . import (
    seed_buying,
    seed_catalog,
    seed_images,
    seed_members,
    seed_people,
    seed_promotions,
    seed_shop,
)
from .data import BRANDS, DEMO_SHOPPERS, SHIPPING_ZONES, WAREHOUSES

# Data values never depend on the wall clock: dates count back from this day.
BASE_DATE = datetime(2025, 6, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
DEFAULT_PRODUCTS = 2000
DEFAULT_CUSTOMERS = 5000


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


class _Stage:
    """A tqdm bar for one stage that also times it."""

    def __init__(self, report: SeedReport, name: str, total: int, quiet: bool):
        self.report, self.name = report, name
        self.bar = tqdm(total=total, desc=f"{name:<11}", disable=quiet, leave=True, unit="row")

    def __enter__(self):
        self.started = time.perf_counter()
        return self.bar

    def __exit__(self, *exc):
        self.bar.close()
        self.report.seconds[self.name] = time.perf_counter() - self.started


@transaction.atomic
def seed_demo(
    *,
    seed: int = 1,
    products: int = DEFAULT_PRODUCTS,
    customers: int = DEFAULT_CUSTOMERS,
    images: bool = False,
    quiet: bool = False,
) -> SeedReport:
    """Create the demo data set; one transaction, so a failed run leaves nothing behind.

    `images`: a picture with WebP thumbnails per product (files in MEDIA_ROOT, which the
    transaction does not cover: a failed run may leave files that the next run replaces).
    """
    report = SeedReport()
    created = report.created
    with _Stage(report, "roles", 1, quiet) as bar:
        sync_roles()
        bar.update(1)
    with _Stage(report, "staff", len(seed_people.staff_plan(seed)), quiet) as bar:
        created["staff"] = seed_people.seed_staff(seed=seed, bar=bar)
    with _Stage(report, "categories", len(seed_catalog.category_plan()), quiet) as bar:
        category_ids, created["categories"] = seed_catalog.seed_categories(bar=bar)
    with _Stage(report, "brands", sum(len(rows) for rows in BRANDS.values()), quiet) as bar:
        brand_ids, created["brands"] = seed_catalog.seed_brands(bar=bar)
    plans = seed_catalog.plan_products(seed=seed, count=products, base_date=BASE_DATE)
    with _Stage(report, "products", len(plans), quiet) as bar:
        created["products"], created["skus"] = seed_catalog.seed_products(
            plans=plans, category_ids=category_ids, brand_ids=brand_ids, bar=bar
        )
    with _Stage(report, "warehouses", len(WAREHOUSES), quiet) as bar:
        created["warehouses"] = seed_people.seed_warehouses(seed=seed, bar=bar)
    with _Stage(report, "shop", products * 4, quiet) as bar:
        created.update(seed_shop.seed_shop(seed=seed, bar=bar))
    if images:
        with _Stage(report, "images", products, quiet) as bar:
            created["images"] = seed_images.seed_images(bar=bar)
    people = seed_people.plan_customers(seed=seed, count=customers, base_date=BASE_DATE)
    with _Stage(report, "customers", len(people), quiet) as bar:
        created["customers"], created["addresses"] = seed_people.seed_customers(
            plans=people, bar=bar
        )
    # Last: zones, stock for the home page's products and shoppers who can log in and buy.
    buying_steps = len(SHIPPING_ZONES) + len(seed_buying.demo_sku_ids()) + len(DEMO_SHOPPERS)
    with _Stage(report, "buying", buying_steps, quiet) as bar:
        created.update(seed_buying.seed_buying(base_date=BASE_DATE, bar=bar))
    # The campaigns the home page advertises, applied by checkout.
    with _Stage(report, "promotions", len(seed_promotions.promotion_plan()), quiet) as bar:
        created["promotions"] = seed_promotions.seed_promotions(bar=bar)
    # Members in every tier with points histories (会员中心).
    with _Stage(report, "members", len(seed_members.SPENDS), quiet) as bar:
        created["members"] = seed_members.seed_members(bar=bar)
    refresh_planner_statistics()
    return report

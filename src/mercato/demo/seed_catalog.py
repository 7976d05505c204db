"""Demo catalogue: categories with specs, brands, products and their SKUs."""

import itertools
import math
import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from stdnum import ean

from mercato.catalog.bulk import insert_objects
from mercato.catalog.models import Brand, Category, Product, ProductStatus, Sku
from mercato.catalog.services import set_category_specs
from mercato.catalog.services.products import spec_key
from mercato.catalog.text import pinyin_slug, sanitize_html

from .data import BRANDS, CATALOG, Leaf

FEN = Decimal("0.01")
BATCH = 1000
# Specs whose later options cost more (a bigger storage, a larger size of TV).
PRICED_SPECS = {
    "存储容量", "配置", "容量", "尺寸", "功率", "套装", "匹数", "规格", "重量", "人数",
    "段位", "表盘尺寸", "亮度", "风量", "版本", "刷头", "能效",
}  # fmt: skip
MODEL_SUFFIXES = ["", "", " Pro", " Max", " Lite", " Plus", " Ultra", " SE"]
SERIES = ["经典款", "都市系列", "活力系列", "臻选系列", "基础款", "联名款", "轻奢系列", "舒适系列"]
BOOK_EDITIONS = ["", "", "（修订版）", "（全新版）", "（珍藏版）", "（插图本）"]
# Pairs of SKU counts that add up to 8, so N products always have 4·N SKUs.
SKU_COUNT_PAIRS = [(2, 6), (3, 5), (4, 4), (6, 2), (5, 3), (4, 4), (1, 7), (4, 4)]


@dataclass(frozen=True)
class LeafRef:
    leaf: Leaf
    root: str
    has_model: bool
    adjectives: list[str]
    slug: str


def category_plan() -> list[tuple[str, str, str | None, Leaf | None]]:
    """Every demo category as (slug, name, parent slug, leaf), parents first, in a fixed order."""
    plan, used = [], set()

    def slug_for(name: str, parent: str | None) -> str:
        slug = pinyin_slug(name, max_length=60)
        if slug in used and parent:
            slug = f"{parent}-{slug}"
        used.add(slug)
        return slug

    for root, _has_model, _adjectives, seconds in CATALOG:
        root_slug = slug_for(root, None)
        plan.append((root_slug, root, None, None))
        for second, leaves in seconds.items():
            second_slug = slug_for(second, root_slug)
            plan.append((second_slug, second, root_slug, None))
            for leaf in leaves:
                plan.append((slug_for(leaf.name, second_slug), leaf.name, second_slug, leaf))
    return plan


def seed_categories(*, bar) -> tuple[dict[str, int], int]:
    """Create the missing demo categories (and their specs); returns ({slug: id}, created)."""
    plan = category_plan()
    ids = dict(Category.objects.filter(slug__in=[p[0] for p in plan]).values_list("slug", "id"))
    created = 0
    for slug, name, parent_slug, leaf in plan:
        if slug not in ids:
            fields = {"name": name, "slug": slug, "seo_title": name}
            if parent_slug is None:
                node = Category.objects.add_root(fields)
            else:
                node = Category.objects.add_child(Category.objects.get(pk=ids[parent_slug]), fields)
            ids[slug] = node.pk
            created += 1
            if leaf is not None:
                set_category_specs(actor=None, category_id=node.pk, specs=leaf.specs)
        bar.update(1)
    return ids, created


def seed_brands(*, bar) -> tuple[dict[str, int], int]:
    """Create the missing demo brands; returns ({name: id}, created)."""
    rows = [row for brands in BRANDS.values() for row in brands]
    have = dict(Brand.objects.filter(name__in=[r[0] for r in rows]).values_list("name", "id"))
    taken = set(Brand.objects.values_list("slug", flat=True))
    new = []
    for name, name_en, country in rows:
        if name in have:
            continue
        slug = base = pinyin_slug(name_en or name, max_length=100)
        n = 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        new.append(Brand(name=name, name_en=name_en, country=country, slug=slug))
    Brand.objects.bulk_create(new, batch_size=BATCH)
    bar.update(len(rows))
    ids = dict(Brand.objects.filter(name__in=[r[0] for r in rows]).values_list("name", "id"))
    return ids, len(new)


def _nice_price(amount: float) -> Decimal:
    """Prices as shops write them: 1999, 299, 49.9, 9.9."""
    if amount >= 100:
        price = Decimal(int(amount / 10) * 10 + 9)
    elif amount >= 10:
        price = Decimal(int(amount)) + Decimal("0.9")
    else:
        price = Decimal(int(amount * 10)) / 10 + Decimal("0.09")
    return price.quantize(FEN)


def _shape(leaf: Leaf, count: int) -> tuple[int, ...] | None:
    """How many values of each spec give `count` SKUs, or None when the leaf can't."""
    sizes = [len(values) for _, values in leaf.specs]
    if len(sizes) == 1:
        return (count,) if count <= sizes[0] else None
    options = [(a, count // a) for a in range(1, count + 1) if count % a == 0]
    options = [(a, b) for a, b in options if a <= sizes[0] and b <= sizes[1]]
    if not options:
        return None
    both = [o for o in options if min(o) > 1]
    return (both or options)[0]


def sku_counts(n: int, rng: random.Random, leaves: list[Leaf]) -> list[int]:
    """SKU counts for n products: pairs summing to 8 (4·n in all), each feasible for its leaf."""
    counts = []
    for i in range(0, n, 2):
        a, b = rng.choice(SKU_COUNT_PAIRS)
        if i + 1 >= n:
            a, b = 4, 0
        elif _shape(leaves[i], a) is None or _shape(leaves[i + 1], b) is None:
            a, b = 4, 4
        counts.extend([a, b][: min(2, n - i)])
    return counts


def _leaf_refs() -> list[LeafRef]:
    slugs = {leaf.name: slug for slug, _, _, leaf in category_plan() if leaf}  # names are unique
    return [
        LeafRef(leaf, root, has_model, adjectives, slugs[leaf.name])
        for root, has_model, adjectives, seconds in CATALOG
        for leaves in seconds.values()
        for leaf in leaves
    ]


def _product_name(ref: LeafRef, brand: str, rng: random.Random) -> str:
    noun = rng.choice(ref.leaf.nouns)
    if ref.root == "图书":
        return f"{noun}{rng.choice(BOOK_EDITIONS)}"
    adjective = rng.choice(ref.adjectives)
    if ref.has_model:
        model = f"{rng.choice('AXSKMTGV')}{rng.randint(2, 90)}{rng.choice(MODEL_SUFFIXES)}"
        return f"{brand} {model} {adjective}{noun}"
    return f"{brand} {adjective}{noun} {rng.choice(SERIES)}"


def plan_products(*, seed: int, count: int, base_date) -> list[dict]:
    """The demo products and SKUs for `seed`, as plain data; the same every time."""
    rng = random.Random(f"mercato-demo:{seed}:products")
    refs = _leaf_refs()
    weights = [len(ref.leaf.nouns) + 2 for ref in refs]
    chosen = rng.choices(refs, weights=weights, k=count)
    counts = sku_counts(count, rng, [ref.leaf for ref in chosen])
    plans = []
    for i, (ref, n_skus) in enumerate(zip(chosen, counts, strict=True)):
        leaf = ref.leaf
        brand = rng.choice(leaf.brands or [b[0] for b in BRANDS[ref.root]])
        name = _product_name(ref, brand, rng)
        code = f"DM{i + 1:06d}"
        lo, hi = leaf.price
        base = math.exp(rng.uniform(math.log(lo), math.log(hi)))
        weight = rng.randint(*leaf.weight)
        volume = rng.randint(*leaf.volume)
        shape = _shape(leaf, n_skus) or (1,) * len(leaf.specs)
        chosen_values = [
            sorted(rng.sample(range(len(values)), k), key=int)
            for (_, values), k in zip(leaf.specs, shape, strict=False)
        ]
        roll = rng.random()
        status = (
            ProductStatus.ON_SALE
            if roll < 0.9
            else ProductStatus.OFF_SHELF
            if roll < 0.96
            else ProductStatus.DRAFT
        )
        published = (
            base_date - timedelta(days=rng.randint(1, 720), minutes=rng.randint(0, 1439))
            if status != ProductStatus.DRAFT
            else None
        )
        skus = []
        for j, combo in enumerate(itertools.product(*chosen_values)):
            specs = {leaf.specs[k][0]: leaf.specs[k][1][v] for k, v in enumerate(combo)}
            steps = sum(v for k, v in enumerate(combo) if leaf.specs[k][0] in PRICED_SPECS)
            price = _nice_price(base * (1 + 0.12 * steps))
            margin = Decimal(str(rng.uniform(0.55, 0.85)))
            stem = f"69{seed % 10}{i * 10 + j:09d}"
            skus.append(
                {
                    "code": f"{code}-{j + 1:02d}",
                    "barcode": stem + ean.calc_check_digit(stem),
                    "specs": specs,
                    "list_price": price,
                    "cost_price": (price * margin).quantize(FEN, ROUND_HALF_UP),
                    "weight_g": int(weight * (1 + 0.03 * steps)),
                    "volume_cm3": int(volume * (1 + 0.03 * steps)),
                }
            )
        plans.append(
            {
                "code": code,
                "name": name,
                "category_slug": ref.slug,
                "brand": brand,
                "status": status,
                "published_at": published,
                "subtitle": f"{brand}官方正品 · {leaf.name} · 全国联保",
                "skus": skus,
            }
        )
    return plans


def seed_products(*, plans, category_ids, brand_ids, bar) -> tuple[int, int]:
    """Bulk-create the planned products and SKUs that do not exist yet; (products, skus)."""
    have = set(
        Product.objects.filter(code__in=[p["code"] for p in plans]).values_list("code", flat=True)
    )
    new_plans = [p for p in plans if p["code"] not in have]
    bar.update(len(plans) - len(new_plans))
    sku_total = 0
    for start in range(0, len(new_plans), BATCH):
        batch = new_plans[start : start + BATCH]
        products = [
            Product(
                code=p["code"],
                name=p["name"],
                subtitle=p["subtitle"],
                slug=f"{pinyin_slug(p['name'], max_length=120)}-{p['code'].lower()}",
                category_id=category_ids[p["category_slug"]],
                brand_id=brand_ids[p["brand"]],
                status=p["status"],
                published_at=p["published_at"],
                description=sanitize_html(f"<p>{p['name']}</p><p>{p['subtitle']}</p>"),
                seo_title=p["name"][:120],
                seo_description=p["subtitle"],
                # Set here rather than by refresh_price_range: every SKU is active.
                min_price=min(s["list_price"] for s in p["skus"]),
                max_price=max(s["list_price"] for s in p["skus"]),
            )
            for p in batch
        ]
        insert_objects(Product, products, key="code")
        skus = [
            Sku(product_id=product.pk, spec_key=spec_key(s["specs"]), **s)
            for product, p in zip(products, batch, strict=True)
            for s in p["skus"]
        ]
        insert_objects(Sku, skus)
        sku_total += len(skus)
        bar.update(len(batch))
    return len(new_plans), sku_total

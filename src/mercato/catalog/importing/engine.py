"""Import products and SKUs from a file: stream, check in chunks, write in bulk.

Each chunk of rows costs a fixed number of queries (existing products, SKUs, barcodes and
specs are fetched with one query each, writes are bulk), so the query count grows with the
number of chunks, never with the number of rows. Memory holds one chunk: what earlier
chunks held (to find duplicates across the file) is in a temporary table (seen.py).
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from mercato.core.errors import ValidationFailed
from mercato.core.permissions import require_perm

from ..bulk import any_of, insert_objects, refresh_statistics
from ..models import Brand, Product, ProductStatus, Sku, SkuSpecValue
from ..services.products import refresh_price_range
from ..services.shop import add_spec_values
from ..shopcache import bump_shop_version
from ..text import pinyin_slug
from .checks import check_against_database, check_in_file, load_seen
from .columns import COLUMNS, REQUIRED, canonical_column, format_specs
from .problems import Problem
from .reader import open_sheet
from .rows import Lookups, Row, RowError, parse_row
from .seen import ChunkSeen, SeenInFile, seen_in_file

CHUNK_SIZE = 2000
# A product's rows stay in one chunk (the on-sale rule looks at all its SKUs), up to this
# many extra rows past the chunk size.
MAX_CHUNK_OVERRUN = 2000
MAX_ERRORS = 1000  # kept in the result; the count covers them all
PREVIEW_ROWS = 20
MODES = ("dry_run", "all_or_nothing", "partial")

PRODUCT_FIELDS = [
    "name", "category_id", "brand_id", "status",
    "subtitle", "seo_title", "seo_keywords", "seo_description",
]  # fmt: skip
SKU_FIELDS = [
    "barcode", "specs", "spec_key", "list_price", "cost_price", "weight_g", "volume_cm3",
]  # fmt: skip
COUNTERS = [
    "products_created", "products_updated", "products_unchanged",
    "skus_created", "skus_updated", "skus_unchanged", "brands_created",
]  # fmt: skip

Progress = Callable[[int, int | None], None]


@dataclass
class ImportResult:
    mode: str
    total_rows: int | None = None
    processed_rows: int = 0
    rows_failed: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    preview: list[dict] = field(default_factory=list)
    written: bool = False

    @property
    def changes(self) -> int:
        c = self.counts
        return sum(c[k] for k in COUNTERS if not k.endswith("unchanged"))

    def summary(self) -> dict:
        return {
            **self.counts,
            "rows": self.processed_rows,
            "rows_failed": self.rows_failed,
            "error_count": self.error_count,
            "written": self.written,
        }


class _Import:
    def __init__(
        self, *, actor, mode: str, create_brands: bool, columns: set[str], seen: SeenInFile
    ):
        self.actor, self.mode, self.columns, self.seen = actor, mode, columns, seen
        self.lookups = Lookups(create_brands=create_brands)
        self.result = ImportResult(mode=mode)
        # Brands grow with the brand table (like Lookups), not with the file's rows.
        self.brands_planned: set[str] = set()
        self.new_brands: dict[str, int] = {}  # name → pk once created
        self.rows_written = 0
        self.analyzed_at = [0]  # rows written at the last ANALYZE (see bulk.py)
        self.failed = False  # all-or-nothing stops writing at the first bad row

    def _allocate_slugs(self, model, wanted: dict[str, tuple[str, str]], max_length: int):
        """{key: (text, suffix)} → {key: slug}, unique in the table and in this chunk.

        Slugs of earlier chunks are in the table already (written in this transaction)."""
        bases = {k: pinyin_slug(text, max_length=100) for k, (text, _) in wanted.items()}
        second = {
            k: f"{bases[k]}-{slugify(suffix)}"[:max_length] for k, (_, suffix) in wanted.items()
        }
        candidates = set(bases.values()) | set(second.values())
        taken = set(model.objects.filter(any_of("slug", candidates)).values_list("slug", flat=True))
        slugs = {}
        for key in wanted:
            for slug in (bases[key], second[key], f"{second[key][:150]}-{secrets.token_hex(3)}"):
                if slug not in taken:
                    break
            taken.add(slug)
            slugs[key] = slug
        return slugs

    def _plan(self, rows: list[Row], products: dict, skus: dict, seen: ChunkSeen):
        """What the good rows would change: new/changed products and SKUs, and the counts."""
        counts, now = self.result.counts, timezone.now()
        new_brands = {r.new_brand for r in rows if r.new_brand} - self.brands_planned
        self.brands_planned |= new_brands
        counts["brands_created"] += len(new_brands)
        plan = {"brands": new_brands, "new_products": [], "changed_products": []}
        plan.update(new_skus=[], changed_skus=[], product_fields=set(), sku_fields=set())
        # Product ids by code: products of earlier chunks are in the table already.
        plan["product_ids"] = {code: p.pk for code, p in products.items()}
        plan["brand_of"] = {}  # product code → a brand this chunk creates for it
        for row in rows:
            state = seen.products[row.product_code]
            if state.handled:
                continue
            state.handled, state.dirty = True, True
            values = dict(state.values)
            existing = products.get(row.product_code)
            if existing is None:
                counts["products_created"] += 1
                plan["new_products"].append((row, values))
                continue
            changed = [
                k for k, v in values.items() if k in PRODUCT_FIELDS and getattr(existing, k) != v
            ]
            if values.get("new_brand"):
                changed.append("brand_id")  # set once the brand exists (in _write)
            if not changed:
                counts["products_unchanged"] += 1
                continue
            counts["products_updated"] += 1
            for key in changed:
                setattr(existing, key, values[key])
            if values.get("status") == ProductStatus.ON_SALE and existing.published_at is None:
                existing.published_at = now
                changed.append("published_at")
            existing.updated_at = now
            if values.get("new_brand"):
                plan["brand_of"][existing.code] = values["new_brand"]
            plan["changed_products"].append(existing)
            plan["product_fields"].update(changed)
        for row in rows:
            existing = skus.get(row.sku_code)
            action = "create"
            if existing is None:
                counts["skus_created"] += 1
                plan["new_skus"].append(row)
            else:
                changed = [k for k, v in row.sku.items() if getattr(existing, k) != v]
                if "spec_key" in changed and existing.specs == row.sku.get("specs"):
                    # The same specs in another order (PostgreSQL's jsonb keeps its own key
                    # order, so an export may list them so): keep the SKU's key.
                    changed.remove("spec_key")
                if changed:
                    counts["skus_updated"] += 1
                    for key in changed:
                        setattr(existing, key, row.sku[key])
                    existing.updated_at = now
                    plan["changed_skus"].append(existing)
                    plan["sku_fields"].update(changed)
                    action = "update"
                else:
                    counts["skus_unchanged"] += 1
                    action = "unchanged"
            self._add_preview(row, action)
        return plan

    def _add_preview(self, row: Row, action: str) -> None:
        if len(self.result.preview) < PREVIEW_ROWS or self.result.preview[-1]["row"] > row.number:
            self.result.preview.append(
                {
                    "row": row.number,
                    "product_code": row.product_code,
                    "product_name": row.product.get("name", ""),
                    "sku_code": row.sku_code,
                    "specs": format_specs(row.sku.get("specs", {})),
                    # A price cell that failed its check has no value: an empty cell.
                    "list_price": _text(row.sku.get("list_price")),
                    "action": action,
                }
            )

    def _write(self, plan: dict) -> None:
        now = timezone.now()
        if plan["brands"]:
            names = sorted(plan["brands"])
            slugs = self._allocate_slugs(Brand, {n: (n, "brand") for n in names}, 120)
            created = Brand.objects.bulk_create([Brand(name=n, slug=slugs[n]) for n in names])
            self.new_brands.update({b.name: b.pk for b in created})
        new_products = []
        if plan["new_products"]:
            # A product created here has no SKUs but this chunk's new ones (all active): its
            # price range is theirs, written with the row instead of by an UPDATE that
            # rewrote every new product row (and its indexes) a second time.
            prices: dict[str, list] = {}
            for row in plan["new_skus"]:
                prices.setdefault(row.product_code, []).append(row.sku["list_price"])
            slugs = self._allocate_slugs(
                Product,
                {
                    row.product_code: (v["name"], row.product_code)
                    for row, v in plan["new_products"]
                },
                160,
            )
            for row, values in plan["new_products"]:
                values = {k: v for k, v in values.items() if k in PRODUCT_FIELDS}
                if row.new_brand:
                    values["brand_id"] = self.new_brands[row.new_brand]
                if values.get("status") == ProductStatus.ON_SALE:
                    values["published_at"] = now
                own = prices.get(row.product_code)
                if own:
                    values["min_price"], values["max_price"] = min(own), max(own)
                new_products.append(
                    Product(code=row.product_code, slug=slugs[row.product_code], **values)
                )
            insert_objects(Product, new_products, key="code")
            plan["product_ids"].update((p.code, p.pk) for p in new_products)
        for product in plan["changed_products"]:
            new_brand = plan["brand_of"].get(product.code)
            if new_brand:
                product.brand_id = self.new_brands[new_brand]
        if plan["changed_products"]:
            fields = sorted(plan["product_fields"] | {"updated_at"})
            Product.objects.bulk_update(plan["changed_products"], fields)
        # Dicts, not Sku instances: insert_objects takes either, and instances cost more
        # Python time than the COPY itself.
        product_ids = plan["product_ids"]
        new_skus = [
            {
                **{k: v for k, v in row.sku.items() if k in SKU_FIELDS},
                "product_id": product_ids[row.product_code],
                "code": row.sku_code,
            }
            for row in plan["new_skus"]
        ]
        insert_objects(Sku, new_skus)
        if plan["changed_skus"]:
            fields = sorted(plan["sku_fields"] | {"updated_at"})
            Sku.objects.bulk_update(plan["changed_skus"], fields)
        self.rows_written += len(new_skus)
        refresh_statistics(
            [Product, Sku, SkuSpecValue], rows_written=self.rows_written, last=self.analyzed_at
        )
        created = {p.pk for p in new_products}
        touched = {s["product_id"] for s in new_skus} | {s.product_id for s in plan["changed_skus"]}
        if touched - created:
            refresh_price_range(touched - created)
        if created:
            # What refresh_price_range does besides the prices: facet rows (a new product's
            # SKUs are all this chunk's new ones, all active) and the shop's page cache.
            fresh = [s for s in new_skus if s["product_id"] in created]
            sku_ids = dict(
                Sku.objects.filter(any_of("code", [s["code"] for s in fresh])).values_list(
                    "code", "pk"
                )
            )
            add_spec_values(
                sorted(  # the order sync_spec_values reads them in (Sku's ordering)
                    ((sku_ids[s["code"]], s["product_id"], s.get("specs")) for s in fresh),
                    key=lambda sku: (sku[1], sku[0]),
                )
            )
            bump_shop_version()

    def run_chunk(self, raw: list[tuple[int, dict[str, str]]]) -> None:
        rows = [parse_row(number, cells, self.lookups) for number, cells in raw]
        for row in rows:
            if row.new_brand:
                row.product["new_brand"] = row.new_brand
        seen = load_seen(rows, seen=self.seen, columns=self.columns)
        for row in rows:
            check_in_file(row, seen)
        candidates = [r for r in rows if not r.errors]
        products, skus = ({}, {})
        if candidates:
            products, skus = check_against_database(candidates, seen=seen, columns=self.columns)
        good = [r for r in rows if not r.errors]
        result = self.result
        for row in rows:
            if row.errors:
                result.rows_failed += 1
                result.error_count += len(row.errors)
                room = MAX_ERRORS - len(result.errors)
                result.errors.extend(row.errors[: max(room, 0)])
                self._add_preview(row, "error")
        self.failed = self.failed or (self.mode == "all_or_nothing" and result.rows_failed > 0)
        plan = self._plan(good, products, skus, seen)
        if self.mode != "dry_run" and not self.failed:
            with transaction.atomic():
                self._write(plan)
        self.seen.save(seen)
        result.preview = sorted(result.preview, key=lambda p: p["row"])[:PREVIEW_ROWS]
        result.processed_rows += len(raw)


def _text(value) -> str:
    return "" if value is None else str(value)


def _cells(header: list[str | None], values: list[str]) -> dict[str, str]:
    return {name: values[i] if i < len(values) else "" for i, name in enumerate(header) if name}


def _may_cut(chunk: list, cells: dict[str, str], chunk_size: int) -> bool:
    """Cut a full chunk before `cells` unless it continues the last row's product."""
    code = cells.get("product_code")
    return code != chunk[-1][1].get("product_code") or len(chunk) >= chunk_size + MAX_CHUNK_OVERRUN


def _read_header(raw_header: list[str], *, actor) -> list[str | None]:
    header = [canonical_column(h) for h in raw_header]
    missing = [c for c in REQUIRED if c not in header]
    problems = []
    if missing:
        problems.append(Problem("columns_missing", columns=missing))
    doubled = sorted({c for c in header if c and header.count(c) > 1})
    if doubled:
        problems.append(Problem("columns_twice", columns=doubled))
    if (
        "cost_price" in header
        and actor is not None
        and not actor.has_perm("catalog.view_cost_price")
    ):
        problems.append(Problem("cost_price_forbidden", column="cost_price"))
    if problems:
        raise ValidationFailed({"columns": problems}, message=str(problems[0]))
    return header


def import_products(
    *,
    actor,
    file,
    fmt: str,
    mode: str,
    create_brands: bool = False,
    progress: Progress | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> ImportResult:
    """Import a CSV/XLSX file of SKU rows (see columns.py) and say what changed.

    `mode`: "dry_run" checks everything and writes nothing; "all_or_nothing" writes only
    when every row is good (one transaction); "partial" writes the good rows chunk by
    chunk and reports the bad ones. `actor` None means the system (command line).
    File-level problems (unreadable file, missing columns) raise ValidationFailed.
    """
    if actor is not None:
        require_perm(actor, "catalog.import_products")
    if mode not in MODES:
        raise ValidationFailed({"mode": [Problem("mode_unknown", modes=MODES, value=mode)]})
    with open_sheet(file, fmt=fmt) as sheet, seen_in_file() as seen:
        header = _read_header(sheet.header, actor=actor)
        job = _Import(
            actor=actor,
            mode=mode,
            create_brands=create_brands,
            columns={c for c in header if c in COLUMNS},
            seen=seen,
        )
        job.result.total_rows = sheet.total
        if progress:
            progress(0, sheet.total)
        # All or nothing: one transaction, rolled back at the end if any row failed.
        outer = transaction.atomic() if mode == "all_or_nothing" else _nothing()
        with outer:
            chunk: list = []
            for number, values in sheet.rows:
                cells = _cells(header, values)
                if len(chunk) >= chunk_size and _may_cut(chunk, cells, chunk_size):
                    job.run_chunk(chunk)
                    chunk = []
                    if progress:
                        progress(job.result.processed_rows, sheet.total)
                chunk.append((number, cells))
            if chunk:
                job.run_chunk(chunk)
            if job.failed:
                transaction.set_rollback(True)
    result = job.result
    result.written = mode != "dry_run" and not job.failed and result.changes > 0
    if progress:
        progress(result.processed_rows, sheet.total)
    return result


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

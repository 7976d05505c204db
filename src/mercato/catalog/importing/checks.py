"""The checks of one chunk of rows: against the file so far, then against the catalogue.

What earlier chunks held comes from the temporary table of seen.py (loaded once per chunk);
the catalogue is read with one query per kind of check, never per row.
"""

from ..bulk import any_of
from ..models import Product, ProductStatus, Sku
from .rows import Row
from .seen import ChunkSeen, ProductState, SeenInFile, barcode_key, sku_key, spec_key_of

# The product fields' columns, for errors about rows of one product that disagree.
FIELD_COLUMNS = {
    "name": "product_name", "category_id": "category", "brand_id": "brand", "new_brand": "brand",
}  # fmt: skip


def load_seen(rows: list[Row], *, seen: SeenInFile, columns: set[str]) -> ChunkSeen:
    """What earlier chunks held of the codes, barcodes, specs and products of `rows`."""
    keys, codes = set(), set()
    no_specs = "specs" not in columns
    for row in rows:
        if row.product_code:
            codes.add(row.product_code)
            if no_specs:
                keys.add(spec_key_of(row.product_code, ""))
            elif "spec_key" in row.sku:
                keys.add(spec_key_of(row.product_code, row.sku["spec_key"]))
        if row.sku_code:
            keys.add(sku_key(row.sku_code))
        if row.sku.get("barcode"):
            keys.add(barcode_key(row.sku["barcode"]))
    return seen.load(keys=keys, product_codes=codes)


def check_in_file(row: Row, seen: ChunkSeen) -> None:
    """Duplicates in the file and rows of one product that disagree (no query)."""
    code = row.product_code
    state = seen.products.get(code)
    if state is None and code:
        seen.add_product(code, ProductState(row.number, row.product, not row.product_errors))
    elif state is not None:
        if not state.ok:
            row.fail("product_code", "product_has_errors", code=code, row=state.first_row)
        elif not row.product_errors:
            for key, value in row.product.items():
                if state.values.get(key) != value:
                    column = FIELD_COLUMNS.get(key, key)
                    row.fail(column, "rows_disagree", code=code, row=state.first_row)
    if row.sku_code:
        first = seen.first(sku_key(row.sku_code), row.number)
        if first != row.number:
            row.fail("sku_code", "sku_twice", code=row.sku_code, row=first)
    barcode = row.sku.get("barcode")
    if barcode:
        first = seen.first(barcode_key(barcode), row.number)
        if first != row.number:
            row.fail("barcode", "barcode_twice", barcode=barcode, row=first)
    if "spec_key" in row.sku and code:
        first = seen.first(spec_key_of(code, row.sku["spec_key"]), row.number)
        if first != row.number:
            row.fail("specs", "specs_twice", row=first, code=code)


def check_against_database(rows: list[Row], *, seen: ChunkSeen, columns: set[str]):
    """Codes, barcodes and specs other SKUs hold; the on-sale rule. Returns the products
    and SKUs the rows name that exist, by code."""
    product_codes = {r.product_code for r in rows}
    products = {p.code: p for p in Product.objects.filter(any_of("code", product_codes))}
    skus = {
        s.code: s
        for s in Sku.objects.filter(any_of("code", [r.sku_code for r in rows])).select_related(
            "product"
        )
    }
    barcodes = [r.sku["barcode"] for r in rows if r.sku.get("barcode")]
    # not_blank (no barcode here is blank): the unique index covers only SKUs with a
    # barcode; without it each chunk read the whole SKU table (see any_of).
    barcode_owner = dict(
        Sku.objects.filter(any_of("barcode", barcodes, not_blank=True)).values_list(
            "barcode", "code"
        )
    )
    if "specs" not in columns:
        # New SKUs get empty specs: a product may have only one SKU without specs.
        for row in rows:
            if row.sku_code not in skus:
                row.sku["spec_key"] = ""
                first = seen.first(spec_key_of(row.product_code, ""), row.number)
                if first != row.number:
                    row.fail("specs", "no_specs_twice", row=first)
    keys = {r.sku["spec_key"] for r in rows if "spec_key" in r.sku}
    spec_owner = {
        (pcode, key): code
        for pcode, key, code in Sku.objects.filter(
            any_of("product__code", [c for c in product_codes if c in products]),
            any_of("spec_key", keys),
        ).values_list("product__code", "spec_key", "code")
    }
    for row in rows:
        sku = skus.get(row.sku_code)
        if sku is not None and sku.product.code != row.product_code:
            row.fail("sku_code", "sku_of_other_product", sku=row.sku_code, product=sku.product.code)
        owner = barcode_owner.get(row.sku.get("barcode"))
        if owner and owner != row.sku_code:
            row.fail("barcode", "barcode_taken", barcode=row.sku["barcode"], sku=owner)
        owner = spec_owner.get((row.product_code, row.sku.get("spec_key")))
        if owner and owner != row.sku_code:
            row.fail("specs", "specs_taken", code=row.product_code, sku=owner)
    check_on_sale(rows, skus=skus, seen=seen)
    return products, skus


def check_on_sale(rows: list[Row], *, skus: dict, seen: ChunkSeen) -> None:
    """A product going on sale needs an active SKU with a list price above 0 (the rule
    of services.set_product_status): from its good rows in the file so far, or in the
    catalogue. Otherwise its rows fail on the status column."""
    on_sale: dict[str, list[Row]] = {}
    for row in rows:
        if row.errors or row.product.get("status") != ProductStatus.ON_SALE:
            continue
        on_sale.setdefault(row.product_code, []).append(row)
        existing = skus.get(row.sku_code)
        state = seen.products[row.product_code]
        if row.sku["list_price"] > 0 and (existing is None or existing.is_active):
            if not state.sellable:
                state.sellable, state.dirty = True, True
    unsure = [code for code in on_sale if not seen.products[code].sellable]
    if not unsure:
        return
    # This chunk's rows set their SKUs' prices: only the product's other SKUs count.
    priced = set(
        Sku.objects.filter(product__code__in=unsure, is_active=True, list_price__gt=0)
        .exclude(any_of("code", [r.sku_code for r in rows]))
        .values_list("product__code", flat=True)
    )
    for code in unsure:
        state = seen.products[code]
        if code in priced:
            state.sellable, state.dirty = True, True
            continue
        for row in on_sale[code]:
            row.fail("status", "on_sale_needs_price", code=code)


# -- planning and writing ---------------------------------------------------------------

"""Import of products and SKUs: checks per row, modes, writes."""

from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.utils import translation

from mercato.catalog.importing import import_products
from mercato.catalog.models import Brand, Product, Sku
from mercato.core.errors import PermissionDeniedError, ValidationFailed
from mercato.testing.catalogue_files import catalogue_counts, csv_bytes, sku_row, xlsx_bytes
from mercato.testing.factories import SkuFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]

GOOD_BARCODE = "6901234567892"  # a valid EAN-13
OTHER_BARCODE = "4006381333931"


def run(user, rows, mode="partial", **kw):
    return import_products(actor=user, file=csv_bytes(rows), fmt="csv", mode=mode, **kw)


def errors_of(result):
    return {(e.row, e.column) for e in result.errors}


def test_good_file_creates_products_and_skus(catalogue, ops_user):
    """A good file creates one product per product_code with its SKUs, prices and specs."""
    rows = [sku_row(1, barcode=GOOD_BARCODE), sku_row(2, list_price="2199.5"), sku_row(3)]
    result = run(ops_user, rows)

    assert result.error_count == 0 and result.written
    assert result.counts["products_created"] == 2 and result.counts["skus_created"] == 3
    product = Product.objects.get(code="P0001")
    assert product.category == catalogue["smart"] and product.brand.name == "华为"
    assert product.slug == "ce-shi-shou-ji-p0001"
    assert (product.min_price, product.max_price) == (Decimal("1999.00"), Decimal("2199.50"))
    sku = Sku.objects.get(code="P0001-S001")
    assert sku.specs == {"颜色": "色1", "存储容量": "128GB"} and sku.barcode == GOOD_BARCODE
    assert (sku.cost_price, sku.weight_g, sku.volume_cm3) == (Decimal("1500.00"), 200, 300)


def test_second_import_updates_by_code_and_counts_only_changes(catalogue, ops_user):
    """Re-importing updates products and SKUs found by code; unchanged rows count as such."""
    run(ops_user, [sku_row(1), sku_row(2), sku_row(3)])
    rows = [sku_row(1, list_price="1888.00"), sku_row(2), sku_row(3, product_name="新名字")]
    result = run(ops_user, rows)

    assert result.counts["skus_updated"] == 1 and result.counts["skus_unchanged"] == 2
    assert result.counts["products_updated"] == 1 and result.counts["products_unchanged"] == 1
    assert Sku.objects.get(code="P0001-S001").list_price == Decimal("1888.00")
    assert Product.objects.get(code="P0001").min_price == Decimal("1888.00")
    assert Product.objects.get(code="P0002").name == "新名字"
    assert Sku.objects.count() == 3


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("list_price", "abc", "Not a number"),
        ("list_price", "-1", "cannot be negative"),
        ("list_price", "9.999", "two decimal places"),
        ("cost_price", "1,5", "Not a number"),
        ("category", "家电/冰箱", "Unknown category"),
        ("brand", "不存在的牌子", "Unknown brand"),
        ("barcode", "6901234567890", "校验位错误"),
        ("barcode", "12345", "13 位数字"),
        ("status", "selling", "Unknown status"),
        ("specs", "颜色黑色", "name=value"),
        ("specs", "颜色=黑;颜色=白", "twice"),
        ("weight_g", "1.5", "whole number"),
        ("sku_code", "", "must not be empty"),
        ("product_name", "x" * 121, "At most 120"),
    ],
)
def test_bad_cell_is_reported_with_row_and_column(catalogue, ops_user, column, value, message):
    """A bad cell gives an error naming the row (header = row 1), the column and the problem."""
    result = run(ops_user, [sku_row(1), sku_row(2, **{column: value})], mode="all_or_nothing")

    assert [(e.row, e.column) for e in result.errors] == [(3, column)]
    assert message in result.errors[0].message
    assert not result.written and Sku.objects.count() == 0


def test_category_by_slug_and_brand_by_english_name(catalogue, ops_user):
    """The category cell may be the slug, the brand cell the English name."""
    run(ops_user, [sku_row(1, category="zhi-neng-shou-ji", brand="xiaomi")])
    product = Product.objects.get()
    assert product.category == catalogue["smart"] and product.brand.name == "小米"


def test_duplicates_within_the_file(catalogue, ops_user):
    """A SKU code, barcode or spec combination twice in the file: an error on the later row."""
    rows = [
        sku_row(1, barcode=GOOD_BARCODE),
        sku_row(2, sku_code="P0001-S001"),
        sku_row(3, product="P0001", barcode=GOOD_BARCODE),
        sku_row(4, product="P0001", specs="颜色=色1;存储容量=128GB"),
    ]
    result = run(ops_user, rows)
    assert errors_of(result) == {(3, "sku_code"), (4, "barcode"), (5, "specs")}
    assert "row 2" in result.errors[0].message


def test_duplicates_against_the_database(catalogue, ops_user):
    """A SKU code of another product, or a barcode another SKU holds, is refused."""
    other = SkuFactory(code="TAKEN-1", barcode=OTHER_BARCODE)
    rows = [sku_row(1, sku_code="TAKEN-1"), sku_row(2, barcode=OTHER_BARCODE), sku_row(3)]
    result = run(ops_user, rows)

    assert errors_of(result) == {(2, "sku_code"), (3, "barcode")}
    assert other.product.code in result.errors[0].message
    assert Sku.objects.filter(product__code="P0002").count() == 1  # the good row


def test_rows_of_one_product_must_agree(catalogue, ops_user):
    """Rows sharing a product_code must agree on the product's fields; the error says so."""
    rows = [
        sku_row(1),
        sku_row(2, product_name="别的名字"),
        sku_row(3, product="P0001", brand="小米"),
    ]
    result = run(ops_user, rows)
    assert errors_of(result) == {(3, "product_name"), (4, "brand")}
    assert "must agree" in result.errors[0].message


def test_missing_required_columns_is_a_file_error(catalogue, ops_user):
    """A file without a required column is refused as a whole, naming the columns."""
    header = ["product_code", "product_name", "sku_code"]
    with pytest.raises(ValidationFailed) as caught:
        import_products(
            actor=ops_user, file=csv_bytes([sku_row(1)], header), fmt="csv", mode="partial"
        )
    assert "category" in caught.value.message and "list_price" in caught.value.message
    assert Product.objects.count() == 0


def test_chinese_headers_are_accepted(catalogue, ops_user):
    """Headers may be the Chinese names operations use (商品编码, 售价, ...)."""
    zh = {"product_code": "商品编码", "product_name": "商品名称", "category": "分类",
          "sku_code": "SKU编码", "list_price": "售价", "specs": "规格"}  # fmt: skip
    row = {zh[k]: v for k, v in sku_row(1).items() if k in zh}
    result = import_products(
        actor=ops_user, file=csv_bytes([row], list(zh.values())), fmt="csv", mode="partial"
    )
    assert result.error_count == 0 and Sku.objects.get().specs["颜色"] == "色1"


def test_dry_run_writes_nothing(catalogue, ops_user):
    """A dry run reports the counts, errors and first rows, and writes no row anywhere."""
    existing = SkuFactory(code="P0001-S001", product__code="P0001", list_price=Decimal("1"))
    before = catalogue_counts()
    rows = [sku_row(i) for i in range(1, 6)] + [sku_row(6, list_price="x")]
    result = run(ops_user, rows, mode="dry_run")

    assert catalogue_counts() == before
    assert Sku.objects.get(pk=existing.pk).list_price == Decimal("1")
    assert result.counts["skus_created"] == 4 and result.counts["skus_updated"] == 1
    assert result.counts["products_created"] == 2 and result.counts["products_updated"] == 1
    assert errors_of(result) == {(7, "list_price")}
    assert [p["action"] for p in result.preview[:2]] == ["update", "create"]
    assert not result.written


def test_all_or_nothing_writes_nothing_when_one_row_fails(catalogue, ops_user):
    """All or nothing: one bad row (even after the first chunk was written) leaves no trace."""
    before = catalogue_counts()
    rows = [sku_row(i) for i in range(1, 8)] + [sku_row(8, barcode="123")]
    result = run(ops_user, rows, mode="all_or_nothing", chunk_size=3)

    assert catalogue_counts() == before
    assert errors_of(result) == {(9, "barcode")} and not result.written


def test_partial_writes_only_the_good_rows(catalogue, ops_user):
    """Partial: good rows are written, bad rows reported, their products not created."""
    rows = [sku_row(1), sku_row(2, list_price="-5"), sku_row(3, category="无"), sku_row(4)]
    result = run(ops_user, rows, chunk_size=2)

    # Row 5 belongs to P0002, whose product fields failed in row 4.
    assert errors_of(result) == {(3, "list_price"), (4, "category"), (5, "product_code")}
    assert "row 4" in result.errors[-1].message
    assert set(Sku.objects.values_list("code", flat=True)) == {"P0001-S001"}
    assert set(Product.objects.values_list("code", flat=True)) == {"P0001"}
    assert result.rows_failed == 3 and result.written


def test_create_brands_option(catalogue, ops_user):
    """With create_brands an unknown brand is created once, not reported."""
    result = run(
        ops_user, [sku_row(1, brand="新品牌"), sku_row(2, brand="新品牌")], create_brands=True
    )
    assert result.error_count == 0 and result.counts["brands_created"] == 1
    assert Product.objects.get().brand == Brand.objects.get(name="新品牌")


def test_xlsx_import(catalogue, ops_user):
    """An XLSX file imports like a CSV; numeric cells (prices, barcodes) keep their value."""
    rows = [sku_row(1, barcode=int(GOOD_BARCODE), list_price=99.9, weight_g=200)]
    result = import_products(actor=ops_user, file=xlsx_bytes(rows), fmt="xlsx", mode="partial")
    assert result.error_count == 0
    sku = Sku.objects.get()
    assert (sku.barcode, sku.list_price, sku.weight_g) == (GOOD_BARCODE, Decimal("99.90"), 200)


def test_absent_cost_column_keeps_costs(catalogue, ops_user):
    """A file without cost_price changes no cost; an empty cost cell keeps it too."""
    run(ops_user, [sku_row(1, cost_price="1234.00"), sku_row(2, cost_price="1000.00")])
    header = [c for c in sku_row(1) if c != "cost_price"]
    import_products(actor=ops_user, file=csv_bytes([sku_row(1)], header), fmt="csv", mode="partial")
    run(ops_user, [sku_row(1, cost_price="1234.00"), sku_row(2, cost_price="")])
    costs = dict(Sku.objects.values_list("code", "cost_price"))
    assert costs == {"P0001-S001": Decimal("1234.00"), "P0001-S002": Decimal("1000.00")}


def test_permission_refused_writes_nothing(catalogue, make_staff):
    """Staff without catalog.import_products are refused and nothing is written."""
    users = [make_staff(d) for d in ("service", "marketing", "finance", "procurement")]
    before = catalogue_counts()
    for user in users:
        with pytest.raises(PermissionDeniedError):
            run(user, [sku_row(1)])
    assert catalogue_counts() == before


def test_cost_column_needs_view_cost_price(catalogue, make_staff):
    """Whoever may import but not see costs cannot import a cost_price column."""
    user = make_staff("operations")
    user.user_permissions.clear()
    from django.contrib.auth.models import Permission

    user.groups.clear()
    user.user_permissions.add(Permission.objects.get(codename="import_products"))
    user = type(user).objects.get(pk=user.pk)
    with pytest.raises(ValidationFailed, match="cost"):
        run(user, [sku_row(1)])


def test_query_count_does_not_grow_with_rows(catalogue, ops_user, django_assert_max_num_queries):
    """Importing 500 rows costs the queries of 50 rows plus a few per extra chunk."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(n, offset):
        rows = [sku_row(i, product=f"Q{offset + i // 4:05d}") for i in range(offset, offset + n)]
        with CaptureQueriesContext(connection) as ctx:
            result = run(ops_user, rows, chunk_size=100)
        assert result.error_count == 0
        return len(ctx.captured_queries)

    small, big = queries(50, 0), queries(500, 10_000)
    chunks = 500 // 100
    # SQLite splits a bulk insert into batches of 999 parameters: allow those too.
    batches = 500 * 16 // 999 + 500 // 4 * 18 // 999 + 2 if connection.vendor == "sqlite" else 0
    assert big <= small + chunks * 12 + batches


def test_audit_is_one_entry_per_import_not_per_row(catalogue, ops_user):
    """The engine writes no audit row per SKU (the job writes one entry for the import)."""
    before = LogEntry.objects.count()
    run(ops_user, [sku_row(i) for i in range(1, 21)])
    assert LogEntry.objects.count() == before


def test_without_specs_column_a_product_gets_one_new_sku(ops_user):
    """Without a specs column, two new SKUs of one product would clash: the second is refused."""
    header = [c for c in sku_row(1) if c != "specs"]
    rows = [sku_row(1), sku_row(2)]
    result = import_products(
        actor=ops_user, file=csv_bytes(rows, header), fmt="csv", mode="partial"
    )
    assert errors_of(result) == {(3, "specs")}
    assert Sku.objects.get().specs == {}


@pytest.mark.parametrize("mode", ["dry_run", "partial", "all_or_nothing"])
def test_duplicates_across_chunks_name_the_earlier_row(catalogue, ops_user, mode):
    """Duplicates far apart in the file (other chunks) are found as in one chunk, in every
    mode: the later row fails and its message names the earlier row."""
    rows = [sku_row(i, product=f"P{i:04d}") for i in range(1, 9)]
    rows[0]["barcode"] = GOOD_BARCODE
    rows += [
        sku_row(9, sku_code="P0001-S001"),
        sku_row(10, product="P0011", barcode=GOOD_BARCODE),
        sku_row(11, product="P0002", specs="颜色=色2;存储容量=128GB", sku_code="X-11"),
        sku_row(12, product="P0003", product_name="别的名字", sku_code="X-12"),
    ]
    result = run(ops_user, rows, mode=mode, chunk_size=2)

    errors = {(e.row, e.column): e.message for e in result.errors}
    assert set(errors) == {(10, "sku_code"), (11, "barcode"), (12, "specs"), (13, "product_name")}
    assert "row 2" in errors[(10, "sku_code")] and "row 2" in errors[(11, "barcode")]
    assert "Row 3" in errors[(12, "specs")] and "row 4" in errors[(13, "product_name")]
    written = {"dry_run": 0, "partial": 8, "all_or_nothing": 0}[mode]
    assert Sku.objects.count() == written


def test_updating_a_sku_twice_is_a_duplicate_but_updating_once_is_not(catalogue, ops_user):
    """A SKU that existed before the import may be updated; the same code twice in the file
    is refused, even when the first row was written in an earlier chunk."""
    run(ops_user, [sku_row(1), sku_row(2)])
    rows = [sku_row(1, list_price="10.00"), sku_row(3), sku_row(1, list_price="20.00")]
    result = run(ops_user, rows, chunk_size=1)

    assert errors_of(result) == {(4, "sku_code"), (4, "specs")}
    assert "row 2" in result.errors[0].message
    assert Sku.objects.get(code="P0001-S001").list_price == Decimal("10.00")
    assert result.counts["skus_updated"] == 1 and result.counts["skus_created"] == 1


def test_a_second_import_on_the_same_connection_starts_clean(catalogue, ops_user):
    """What one import saw does not leak into the next one (a dry run, then the real run)."""
    rows = [sku_row(1), sku_row(2)]
    assert run(ops_user, rows, mode="dry_run").error_count == 0
    assert run(ops_user, rows).error_count == 0
    assert Sku.objects.count() == 2


def test_on_sale_needs_an_active_sku_with_a_price(catalogue, ops_user):
    """A product imported on sale without any SKU priced above 0 is refused on the status
    column of its rows, like set_product_status; one priced SKU is enough."""
    rows = [
        sku_row(1, status="on_sale", list_price="0"),
        sku_row(2, status="on_sale", list_price="0"),
        sku_row(3, status="on_sale", list_price="0"),
        sku_row(4, status="on_sale", list_price="5.00"),
        sku_row(5, status="draft", list_price="0"),
    ]
    with translation.override("en"):
        result = run(ops_user, rows, mode="partial")

    assert errors_of(result) == {(2, "status"), (3, "status")}
    message = result.errors[0].message
    assert "P0001" in message and "on sale" in message and "above 0" in message
    assert set(Product.objects.values_list("code", "status")) == {
        ("P0002", "on_sale"),
        ("P0003", "draft"),
    }


def test_on_sale_message_is_translated(catalogue, ops_user):
    """The on-sale row error follows the active language (Simplified Chinese first)."""
    with translation.override("zh-hans"):
        result = run(ops_user, [sku_row(1, status="on_sale", list_price="0")])
    assert result.errors[0].column == "status" and "无法上架" in result.errors[0].message


def test_on_sale_counts_priced_skus_already_in_the_catalogue(catalogue, ops_user):
    """An existing product with an active priced SKU may take a price-0 SKU and stay on sale;
    an inactive SKU does not count, nor a SKU the same file sets to 0."""
    run(ops_user, [sku_row(1), sku_row(3)])  # P0001 and P0002, priced, draft
    Sku.objects.filter(code="P0002-S003").update(is_active=False)
    rows = [
        sku_row(2, status="on_sale", list_price="0"),  # P0001: S001 is priced in the catalogue
        sku_row(4, status="on_sale", list_price="0"),  # P0002: S003 is inactive
        sku_row(5, status="on_sale", list_price="0"),  # P0003 is new
        sku_row(6, status="on_sale", list_price="0"),
    ]
    result = run(ops_user, rows, mode="dry_run")

    assert errors_of(result) == {(3, "status"), (4, "status"), (5, "status")}
    # P0001's only priced SKU, set to 0 by the file itself, does not count.
    result = run(ops_user, [sku_row(1, status="on_sale", list_price="0")], mode="dry_run")
    assert errors_of(result) == {(2, "status")}


def test_on_sale_product_split_by_other_rows_keeps_a_priced_sku_from_earlier(catalogue, ops_user):
    """A priced SKU of an on-sale product in an earlier chunk counts for its later rows."""
    rows = [
        sku_row(1, status="on_sale", list_price="9.00"),
        sku_row(3, product="P0009"),
        sku_row(2, status="on_sale", list_price="0", product="P0001"),
    ]
    for mode in ("dry_run", "partial"):
        result = run(ops_user, rows, mode=mode, chunk_size=1)
        assert result.error_count == 0, result.errors
    assert Product.objects.get(code="P0001").status == "on_sale"


def test_specs_with_escaped_separators(catalogue, ops_user):
    """In a specs cell a backslash makes ';', '=' and itself part of a name or value."""
    cell = r"尺寸=10\=12;型号=A\;B;路径=C:\\x\\;接口=Type-C"
    # Before any other character a backslash stays as written (files from before escaping).
    result = run(ops_user, [sku_row(1, specs=cell), sku_row(2, specs=r"路径=D:\data")])
    assert result.error_count == 0, result.errors
    specs = Sku.objects.get(code="P0001-S001").specs
    assert specs == {"尺寸": "10=12", "型号": "A;B", "路径": "C:\\x\\", "接口": "Type-C"}
    assert Sku.objects.get(code="P0001-S002").specs == {"路径": "D:\\data"}

"""Export writes the import's columns, so an exported file imports back unchanged."""

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from mercato.catalog.exporting import export_products
from mercato.catalog.importing import import_products
from mercato.catalog.importing.columns import parse_specs
from mercato.catalog.models import Product, Sku
from mercato.core.errors import PermissionDeniedError
from mercato.testing.catalogue_files import catalogue_counts, csv_bytes, sku_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(catalogue, ops_user):
    p1 = {"status": "on_sale", "subtitle": "副标题, 带逗号", "seo_keywords": "手机;5G"}
    p2 = {"brand": "", "category": "zhi-neng-shou-ji", "seo_description": '引号 "quoted"'}
    rows = [
        sku_row(1, barcode="6901234567892", **p1),
        sku_row(2, list_price="2099.90", **p1),
        sku_row(3, specs="", **p2),
        sku_row(4, **p2),
    ]
    result = import_products(actor=ops_user, file=csv_bytes(rows), fmt="csv", mode="partial")
    assert result.error_count == 0
    return rows


def export(user, fmt):
    out = io.BytesIO()
    n = export_products(actor=user, file=out, fmt=fmt)
    out.seek(0)
    return out, n


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_changes_nothing(imported, ops_user, fmt):
    """Export, then import the file as a dry run: every row is found unchanged."""
    out, n = export(ops_user, fmt)
    assert n == 4
    result = import_products(actor=ops_user, file=out, fmt=fmt, mode="dry_run")
    assert result.error_count == 0, result.errors
    assert result.changes == 0
    assert result.counts["skus_unchanged"] == 4 and result.counts["products_unchanged"] == 2


def test_export_rows_match_the_catalogue(imported, ops_user):
    """The CSV has the import's header and one row per SKU with its product's fields."""
    out, _ = export(ops_user, "csv")
    rows = list(csv.DictReader(io.TextIOWrapper(out, encoding="utf-8-sig")))
    first = rows[0]
    assert first["category"] == "手机数码/手机/智能手机" and first["brand"] == "华为"
    assert first["specs"] == "颜色=色1;存储容量=128GB" and first["status"] == "on_sale"
    assert first["barcode"] == "6901234567892" and first["cost_price"] == "1500.00"
    assert rows[1]["list_price"] == "2099.90"


def test_reimport_after_edit_changes_only_the_edited_row(imported, ops_user):
    """Edit one price in an exported file: the import changes that SKU and nothing else."""
    out, _ = export(ops_user, "csv")
    rows = list(csv.DictReader(io.TextIOWrapper(out, encoding="utf-8-sig")))
    rows[2]["list_price"] = "10.00"
    result = import_products(actor=ops_user, file=csv_bytes(rows), fmt="csv", mode="partial")
    assert result.counts["skus_updated"] == 1 and result.changes == 1
    assert Sku.objects.get(code=rows[2]["sku_code"]).list_price == Decimal("10.00")
    assert Product.objects.get(code=rows[2]["product_code"]).min_price == Decimal("10.00")


def test_cost_column_only_for_those_who_see_costs(imported, make_staff):
    """Marketing exports without cost prices; procurement sees them."""
    out, _ = export(make_staff("marketing"), "xlsx")
    header = [c.value for c in next(load_workbook(out, read_only=True).active.iter_rows())]
    assert "cost_price" not in header and "list_price" in header
    out, _ = export(make_staff("procurement"), "csv")
    assert "cost_price" in out.readline().decode("utf-8-sig")


def test_export_without_cost_reimports_without_touching_costs(imported, ops_user, make_staff):
    """A file without the cost column (a marketing export) leaves costs as they were."""
    out, _ = export(make_staff("marketing"), "csv")
    result = import_products(actor=ops_user, file=out, fmt="csv", mode="partial")
    assert result.changes == 0
    assert set(Sku.objects.values_list("cost_price", flat=True)) == {Decimal("1500.00")}


def test_export_needs_permission(imported, make_staff):
    """Staff without catalog.export_products cannot export."""
    user = make_staff("service")
    before = catalogue_counts()
    with pytest.raises(PermissionDeniedError):
        export(user, "csv")
    assert catalogue_counts() == before


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_spec_values_with_separators_round_trip(catalogue, ops_user, fmt):
    """Spec names and values holding ';', '；', '=' or '\\' are escaped on export and read
    back unchanged: the re-import finds every SKU unchanged."""
    from mercato.testing.factories import SkuFactory

    odd = {"尺寸": "10=12", "型号": "A;B；C", "路径": "C:\\x\\", "a=b": "\\;"}
    SkuFactory(code="ODD-1", product__code="ODD", specs=odd, list_price=Decimal("9.90"))
    out, _ = export(ops_user, fmt)
    if fmt == "csv":
        cell = next(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig"))))["specs"]
        # PostgreSQL's jsonb keeps its own key order: compare the pairs, not the cell.
        pairs = {r"尺寸=10\=12", r"型号=A\;B\；C", r"路径=C:\\x\\", r"a\=b=\\\;"}
        assert parse_specs(cell) == (odd, None)
        assert all(pair in cell for pair in pairs), cell
    result = import_products(actor=ops_user, file=out, fmt=fmt, mode="dry_run")
    assert result.error_count == 0, result.errors
    assert result.counts["skus_unchanged"] == 1 and result.changes == 0
    # And written back for real, the specs are the same dict.
    out, _ = export(ops_user, fmt)
    Sku.objects.filter(code="ODD-1").update(specs={})
    import_products(actor=ops_user, file=out, fmt=fmt, mode="partial")
    assert Sku.objects.get(code="ODD-1").specs == odd

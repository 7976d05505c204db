"""The import_products and export_products commands."""

import io

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError

from mercato.catalog.models import ImportJob, Product, Sku
from mercato.testing.catalogue_files import catalogue_counts, csv_bytes, sku_row

pytestmark = pytest.mark.django_db


def write(tmp_path, rows, name="products.csv"):
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows).getvalue())
    return path


def call(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue()


def test_import_command_writes_and_summarises(catalogue, ops_user, tmp_path):
    """The command imports as --user, prints the counts and writes one audit entry."""
    path = write(tmp_path, [sku_row(1), sku_row(2), sku_row(3)])
    before = LogEntry.objects.count()
    out = call("import_products", str(path), "--user", ops_user.username)

    assert "Products: 2 new" in out and "SKUs: 3 new" in out and "Written." in out
    assert Sku.objects.count() == 3
    job = ImportJob.objects.get()
    assert job.created_by == ops_user and job.status == ImportJob.Status.DONE
    assert LogEntry.objects.count() == before + 1


def test_import_command_errors_exit_non_zero_with_a_table(catalogue, tmp_path):
    """Row errors are listed (row, column, problem), the command fails, a dry run writes nothing."""
    path = write(tmp_path, [sku_row(1), sku_row(2, list_price="abc")])
    before = catalogue_counts()
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 rows have errors"):
        call_command("import_products", str(path), "--dry-run", stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert "list_price" in text and "Not a number: “abc”" in text and "      3" in text
    assert "Dry run: nothing was written." in text
    assert catalogue_counts() == before


def test_import_command_all_or_nothing(catalogue, tmp_path):
    """--all-or-nothing writes nothing when a row fails."""
    path = write(tmp_path, [sku_row(1), sku_row(2, barcode="1")])
    with pytest.raises(CommandError):
        call_command("import_products", str(path), "--all-or-nothing", stdout=io.StringIO())
    assert Product.objects.count() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], "file: no such file"),
        (["{dir}/notes.txt"], "file: use a .csv or .xlsx"),
        (["{good}", "--user", "nobody"], "--user: no user named 'nobody'"),
        (["{bad_header}"], "Required columns are missing: Category"),
    ],
)
def test_import_command_bad_arguments_name_the_argument(catalogue, tmp_path, args, message):
    """A wrong argument gives a CommandError that names it."""
    good = write(tmp_path, [sku_row(1)])
    (tmp_path / "notes.txt").write_text("x")
    bad = tmp_path / "bad.csv"
    bad.write_text("product_code,product_name,sku_code,list_price\nP1,n,S1,1\n")
    args = [a.format(dir=tmp_path, good=good, bad_header=bad) for a in args]
    with pytest.raises(CommandError, match=message):
        call("import_products", *args)


def test_import_command_refuses_a_user_without_permission(catalogue, make_staff, tmp_path):
    """--user of another department: refused, nothing written."""
    path = write(tmp_path, [sku_row(1)])
    with pytest.raises(CommandError, match="catalog.import_products"):
        call("import_products", str(path), "--user", make_staff("service").username)
    assert Product.objects.count() == 0


def test_export_command_writes_the_file(catalogue, tmp_path):
    """export_products writes every SKU; the format follows the file name or --format."""
    call("import_products", str(write(tmp_path, [sku_row(1), sku_row(2)])))
    out = call("export_products", str(tmp_path / "all.xlsx"))
    assert "Exported 2 SKUs" in out and (tmp_path / "all.xlsx").stat().st_size > 0
    call("export_products", str(tmp_path / "all.dat"), "--format", "csv")
    assert (tmp_path / "all.dat").read_text(encoding="utf-8-sig").count("\n") == 3


def test_export_command_bad_format(tmp_path, db):
    """An unknown format names --format."""
    with pytest.raises(CommandError, match="--format"):
        call("export_products", str(tmp_path / "x.pdf"))

"""The back-office import and export pages."""

import csv
import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mercato.catalog.importing import create_import_job
from mercato.catalog.models import ImportJob, Product, Sku
from mercato.testing.catalogue_files import catalogue_counts, csv_bytes, sku_row, xlsx_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("import_catalogue")]

PAGE = reverse("backoffice:imports")


def upload(rows, name="products.csv", builder=csv_bytes):
    return SimpleUploadedFile(name, builder(rows).getvalue())


def read_in(client, url, language):
    """The page as a reader who chose `language` sees it (the language cookie)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(url).content.decode()


def post(client, rows, mode, capture, **extra):
    with capture(execute=True):  # the task runs on commit (eagerly, without a broker)
        return client.post(PAGE, {"file": upload(rows, **extra), "mode": mode})


def test_upload_runs_the_job_and_shows_the_result(
    client, ops_user, django_capture_on_commit_callbacks
):
    """Upload → job → progress fragment → result with per-row errors (row, column, problem)."""
    client.force_login(ops_user)
    assert client.get(PAGE).status_code == 200
    rows = [sku_row(1), sku_row(2), sku_row(3, list_price="abc")]
    response = post(client, rows, "partial", django_capture_on_commit_callbacks)

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:import_job", args=[job.pk])
    assert job.status == ImportJob.Status.DONE and job.created_by == ops_user
    assert Sku.objects.count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "products.csv" in page and "abc" in page
    fragment = client.get(
        reverse("backoffice:import_job_progress", args=[job.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "hx-trigger" not in fragment  # finished: no more polling
    assert '<td class="num">4</td>' in fragment and "list_price" in fragment


def test_dry_run_from_the_page_writes_nothing(client, ops_user, django_capture_on_commit_callbacks):
    """A dry run through the page writes no catalogue row and says so."""
    client.force_login(ops_user)
    before = catalogue_counts()
    response = post(client, [sku_row(1), sku_row(2)], "dry_run", django_capture_on_commit_callbacks)
    assert catalogue_counts() == before
    page = client.get(response["Location"]).content.decode()
    assert ImportJob.objects.get().summary["skus_created"] == 2
    assert "P0001-S001" in page  # the preview of the first rows


def test_all_or_nothing_from_the_page(client, ops_user, django_capture_on_commit_callbacks):
    """All or nothing with one bad row: nothing written, the error listed."""
    client.force_login(ops_user)
    rows = [sku_row(1), sku_row(2, barcode="6901234567890")]
    post(client, rows, "all_or_nothing", django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert Product.objects.count() == 0 and not job.summary["written"]
    assert job.errors == [
        {"row": 3, "column": "barcode", "code": "barcode_check_digit", "params": {}}
    ]


def test_xlsx_upload(client, ops_user, django_capture_on_commit_callbacks):
    """An XLSX upload imports like a CSV."""
    client.force_login(ops_user)
    post(
        client,
        [sku_row(1)],
        "partial",
        django_capture_on_commit_callbacks,
        name="p.xlsx",
        builder=xlsx_bytes,
    )
    assert Sku.objects.get().code == "P0001-S001"


def test_running_job_polls_its_progress(client, ops_user):
    """While a job waits or runs, the fragment carries the htmx polling attributes."""
    client.force_login(ops_user)
    job = create_import_job(actor=ops_user, upload=upload([sku_row(1)]), mode="partial")
    url = reverse("backoffice:import_job_progress", args=[job.pk])
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in fragment and f'hx-get="{url}"' in fragment
    assert "<progress" in fragment


def test_bad_upload_is_a_form_error(client, ops_user):
    """A file that is neither CSV nor XLSX, or no mode, is refused with a 400 naming it."""
    client.force_login(ops_user)
    response = client.post(PAGE, {"file": SimpleUploadedFile("a.pdf", b"%PDF"), "mode": "partial"})
    assert response.status_code == 400 and ".csv" in response.content.decode()
    response = client.post(PAGE, {"file": upload([sku_row(1)]), "mode": "everything"})
    assert response.status_code == 400
    assert ImportJob.objects.count() == 0


def test_file_error_shows_a_failed_job(client, ops_user, django_capture_on_commit_callbacks):
    """A file without the required columns ends as a failed job with the reason."""
    client.force_login(ops_user)
    bad = SimpleUploadedFile("bad.csv", b"product_code,sku_code\nP1,S1\n")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PAGE, {"file": bad, "mode": "partial"})
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    assert job.message == "Required columns are missing: Product name, Category, List price"
    page = read_in(client, response["Location"], "zh-hans")
    assert "缺少必填列：商品名称、分类、售价" in page and "Required" not in page
    page = read_in(client, response["Location"], "en")
    assert "Required columns are missing: Product name, Category, List price" in page


def test_row_errors_read_in_the_readers_language(
    client, ops_user, django_capture_on_commit_callbacks
):
    """One stored job reads in Chinese to a Chinese reader and in English to an English
    one: messages, the column's label beside its name in the file, and no None for the
    price that failed."""
    client.force_login(ops_user)
    rows = [sku_row(1), sku_row(2, list_price="abc"), sku_row(3, status="待定")]
    response = post(client, rows, "dry_run", django_capture_on_commit_callbacks)
    url = response["Location"]
    page = read_in(client, url, "zh-hans")
    assert "不是数字：“abc”" in page and "未知状态“待定”：请填写 草稿、在售 或 已下架" in page
    assert '售价 <code class="mono muted">list_price</code>' in page
    assert '状态 <code class="mono muted">status</code>' in page
    assert "None" not in page and "Not a number" not in page
    page = read_in(client, url, "en")
    assert "Not a number: “abc”" in page and "Unknown status “待定”" in page
    assert 'List price <code class="mono muted">list_price</code>' in page


def test_a_job_stored_before_codes_shows_its_message(client, ops_user):
    """Errors stored as English text (before they had codes) still show, as written."""
    client.force_login(ops_user)
    job = create_import_job(actor=ops_user, upload=upload([sku_row(1)]), mode="dry_run")
    old = {"row": 3, "column": "list_price", "message": "Not a number: 'abc'"}
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE, errors=[old], preview=[{"row": 3, "list_price": "None"}]
    )
    page = client.get(reverse("backoffice:import_job", args=[job.pk])).content.decode()
    assert "Not a number: &#x27;abc&#x27;" in page and "None" not in page


def test_too_large_a_file_is_refused_in_the_readers_language(client, ops_user, monkeypatch):
    """A file over the upload limit is a form error, in Chinese on a Chinese page."""
    monkeypatch.setattr("mercato.catalog.importing.jobs.MAX_UPLOAD_BYTES", 2 * 1024 * 1024)
    client.force_login(ops_user)
    big = SimpleUploadedFile("big.csv", b"x" * (2 * 1024 * 1024 + 1))
    response = client.post(PAGE, {"file": big, "mode": "partial"})  # Chinese by default
    assert response.status_code == 400
    assert "文件不能超过 2 MB" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_others_are_refused(client, make_staff):
    """Customer service gets 403 on every page; marketing may export but not import."""
    service, marketing = make_staff("service"), make_staff("marketing")
    client.force_login(service)
    before = catalogue_counts()
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"file": upload([sku_row(1)]), "mode": "partial"}).status_code == 403
    assert client.get(reverse("backoffice:export_products")).status_code == 403
    client.force_login(marketing)
    assert client.get(PAGE).status_code == 200
    assert client.post(PAGE, {"file": upload([sku_row(1)]), "mode": "partial"}).status_code == 403
    job = create_import_job(actor=None, upload=upload([sku_row(1)]), mode="partial")
    assert client.get(reverse("backoffice:import_job", args=[job.pk])).status_code == 403
    assert catalogue_counts() == before and ImportJob.objects.count() == 1


def test_export_downloads(client, ops_user, make_staff, django_capture_on_commit_callbacks):
    """The export button downloads every SKU; without view_cost_price the column is absent."""
    client.force_login(ops_user)
    post(client, [sku_row(1), sku_row(2)], "partial", django_capture_on_commit_callbacks)
    response = client.get(reverse("backoffice:export_products"), {"format": "csv"})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )
    assert [r["sku_code"] for r in rows] == ["P0001-S001", "P0001-S002"]
    assert rows[0]["cost_price"] == "1500.00"
    client.force_login(make_staff("marketing"))
    response = client.get(reverse("backoffice:export_products"), {"format": "xlsx"})
    assert response.status_code == 200 and response["Content-Disposition"].endswith('.xlsx"')
    response = client.get(reverse("backoffice:export_products"), {"format": "pdf"})
    assert response.status_code == 404

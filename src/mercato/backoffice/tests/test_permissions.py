"""The permission matrix, through the views: allowed → the change happens; refused → 403 and
nothing changes."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, reverse

from mercato.staff.models import StaffProfile
from mercato.staff.roles import DEPARTMENT_CODES

from .conftest import ON_SALE, snapshot

pytestmark = pytest.mark.django_db

CATALOG_READERS = {"service", "marketing", "procurement", "tech", "operations", "finance"}
ALLOWED = {
    "view_products": CATALOG_READERS,
    "edit_product": {"operations"},
    "sku_price": {"operations"},
    "bulk_price": {"operations"},
    "publish": {"operations"},
    "create_staff": {"hr"},
    "view_audit": {"tech"},
}


def _ok(response) -> bool:
    return response.status_code in (200, 302)


@pytest.mark.parametrize("department", DEPARTMENT_CODES)
def test_view_product_list(client, login, catalogue, department):
    """Every department but HR may look at the catalogue; HR gets 403."""
    login(department)
    response = client.get("/backoffice/catalog/products/")
    assert response.status_code == (200 if department in ALLOWED["view_products"] else 403)


@pytest.mark.parametrize("department", DEPARTMENT_CODES)
def test_edit_product(client, login, catalogue, department):
    """Only operations may save the product form; others get 403 and the product is as before."""
    login(department)
    product = catalogue["product"]
    before = snapshot(product)
    response = client.post(
        f"/backoffice/catalog/products/{product.pk}/",
        {"code": "P100", "name": "改过的名字", "category": catalogue["smart"].pk},
    )
    if department in ALLOWED["edit_product"]:
        assert response.status_code == 302
        product.refresh_from_db()
        assert product.name == "改过的名字"
    else:
        assert response.status_code == 403
        assert snapshot(product) == before


@pytest.mark.parametrize("department", DEPARTMENT_CODES)
def test_change_price_with_the_sku_form(client, login, catalogue, department):
    """A price posted through the SKU form changes only for operations."""
    login(department)
    product = catalogue["product"]
    sku = product.skus.order_by("pk").first()
    before = snapshot(product)
    response = client.post(
        f"/backoffice/catalog/skus/{sku.pk}/",
        {"list_price": "1799.00", "cost_price": "1500.00", "weight_g": 0, "volume_cm3": 0,
         "is_active": "on", "barcode": ""},
    )  # fmt: skip
    sku.refresh_from_db()
    if department in ALLOWED["sku_price"]:
        assert response.status_code == 302
        assert sku.list_price == Decimal("1799.00")
    else:
        assert response.status_code == 403
        assert snapshot(product) == before


@pytest.mark.parametrize("department", DEPARTMENT_CODES)
def test_change_price_with_bulk_apply(client, login, catalogue, department):
    """Bulk apply changes prices only for operations; a refused apply changes nothing."""
    login(department)
    product = catalogue["product"]
    skus = list(product.skus.order_by("pk"))
    before = snapshot(product)
    data = {"mode": "percent", "value": "-10", "sku": [s.pk for s in skus]}
    data.update({f"expected_{s.pk}": str(s.list_price) for s in skus})
    response = client.post("/backoffice/catalog/prices/apply/", data)
    if department in ALLOWED["bulk_price"]:
        assert response.status_code == 302
        assert {s.list_price for s in product.skus.all()} == {Decimal("1799.10")}
    else:
        assert response.status_code == 403
        assert snapshot(product) == before


@pytest.mark.parametrize("department", DEPARTMENT_CODES)
def test_publish(client, login, catalogue, department):
    """Only operations may put a product on sale."""
    login(department)
    product = catalogue["product"]
    before = snapshot(product)
    response = client.post(
        f"/backoffice/catalog/products/{product.pk}/status/", {"status": ON_SALE}
    )
    product.refresh_from_db()
    if department in ALLOWED["publish"]:
        assert response.status_code == 302
        assert product.status == ON_SALE
    else:
        assert response.status_code == 403
        assert snapshot(product) == before


@pytest.mark.parametrize("department", DEPARTMENT_CODES)
def test_create_staff(client, login, department):
    """Only HR may create staff accounts; for anyone else no account appears."""
    login(department)
    count = StaffProfile.objects.count()
    response = client.post(
        "/backoffice/staff/new/",
        {"username": "newbie", "password": "a-Long-pass-9931", "employee_no": "E9999",
         "display_name": "新同事", "department": "service", "title": ""},
    )  # fmt: skip
    exists = get_user_model().objects.filter(username="newbie").exists()
    if department in ALLOWED["create_staff"]:
        assert response.status_code == 302
        assert exists
    else:
        assert response.status_code == 403
        assert not exists
        assert StaffProfile.objects.count() == count


@pytest.mark.parametrize("department", DEPARTMENT_CODES)
def test_view_audit_log(client, login, department):
    """技术部 reads the audit log; other departments get 403."""
    login(department)
    response = client.get("/backoffice/audit/")
    assert response.status_code == (200 if department in ALLOWED["view_audit"] else 403)


def test_department_lead_may_view_audit_log(client, login):
    """The lead role adds the audit log to any department."""
    login("service", roles=["lead"])
    assert client.get("/backoffice/audit/").status_code == 200


@pytest.mark.parametrize("department", ["operations", "service", "hr", "tech"])
def test_import_page(client, login, department):
    """The import page (when built) is open to operations and closed to departments without
    import/export permissions."""
    try:
        url = reverse("backoffice:imports")
    except NoReverseMatch:
        pytest.skip("the import page is not built yet")
    login(department)
    response = client.get(url)
    assert response.status_code == (200 if department == "operations" else 403)

"""Audit log viewer, HR's staff pages and the API token page."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mercato.staff.models import ApiToken, StaffProfile

pytestmark = pytest.mark.django_db
AUDIT = "/backoffice/audit/"


def _audit_queries(client, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(AUDIT, params or {}).status_code == 200
    return len(ctx.captured_queries)


def test_audit_list_shows_actor_object_and_changes(client, login, catalogue):
    """A price change by a user shows who, on what, and old → new."""
    from mercato.catalog import services

    ops = login("operations")
    sku = catalogue["product"].skus.first()
    services.update_sku(actor=ops, sku_id=sku.pk, list_price="1888.00")
    login("tech")
    body = client.get(AUDIT, {"actor": ops.username}).content.decode()
    assert ops.username in body and sku.code in body
    assert "1999.00" in body and "1888.00" in body


def test_audit_filters(client, login, catalogue):
    """What (one type of record), object id and date range narrow the list."""
    from django.contrib.contenttypes.models import ContentType

    from mercato.catalog.models import Product

    login("tech")
    product = catalogue["product"]
    kind = f"ct:{ContentType.objects.get_for_model(Product).pk}"
    rows = client.get(AUDIT, {"kind": kind, "reference": str(product.pk)}).context["page"]
    assert rows.paginator.count >= 1
    assert all(e.subject.endswith(f"#{product.pk}") for e in rows.object_list)
    assert {e.kind_label for e in rows.object_list} == {"商品"}
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert client.get(AUDIT, {"since": tomorrow}).context["page"].paginator.count == 0


def test_audit_list_query_count_does_not_grow(
    client, login, catalogue, django_assert_max_num_queries
):
    """5 or 60 entries on the page: the same number of queries, within budget."""
    from mercato.catalog import services

    ops = login("operations")
    sku = catalogue["product"].skus.first()
    login("tech")
    LogEntry.objects.all().delete()
    for i in range(5):
        services.update_sku(actor=ops, sku_id=sku.pk, weight_g=i + 1)
    client.get(AUDIT)
    few = _audit_queries(client)
    for i in range(55):
        services.update_sku(actor=ops, sku_id=sku.pk, weight_g=100 + i)
    assert _audit_queries(client) == few
    with django_assert_max_num_queries(10):
        client.get(AUDIT, {"actor": ops.username})


def test_staff_list_masks_phones_for_hr(client, login, make_staff):
    """HR sees staff phone numbers masked (HR lacks core.view_full_phone)."""
    from mercato.staff import services

    services.create_staff(
        actor=None,
        username="kefu",
        password="x-pass-1234",
        department_code="service",
        employee_no="E1",
        phone="13812345678",
    )
    login("hr")
    body = client.get("/backoffice/staff/").content.decode()
    assert "138****5678" in body and "13812345678" not in body


def test_hr_creates_and_changes_staff(client, login):
    """HR creates an account, then moves it, grants the lead role and deactivates it."""
    login("hr")
    response = client.post(
        "/backoffice/staff/new/",
        {"username": "xinren", "password": "a-Long-pass-9931", "employee_no": "E777",
         "display_name": "新人", "department": "service", "roles": ["lead"]},
    )  # fmt: skip
    assert response.status_code == 302
    profile = StaffProfile.objects.get(employee_no="E777")
    assert profile.role_codes == ["lead"]
    client.post(
        f"/backoffice/staff/{profile.pk}/",
        {"department": "marketing", "roles": [], "title": "专员"},
    )
    profile.refresh_from_db()
    assert profile.department.code == "marketing" and profile.role_codes == []
    assert profile.user.is_active is False


def test_hr_cannot_grant_the_sysadmin_role(client, login):
    """The superuser-style role is not offered to HR, and posting it is a field error."""
    login("hr")
    response = client.post(
        "/backoffice/staff/new/",
        {"username": "root2", "password": "a-Long-pass-9931", "employee_no": "E778",
         "display_name": "X", "department": "tech", "roles": ["sysadmin"]},
    )  # fmt: skip
    assert response.status_code == 400 and "roles" in response.context["form"].errors
    assert not StaffProfile.objects.filter(employee_no="E778").exists()


def test_only_a_sysadmin_is_offered_the_sysadmin_role(client, login, make_staff):
    """The HR form lists the sysadmin role for a superuser only."""
    login("hr")
    assert 'value="sysadmin"' not in client.get("/backoffice/staff/new/").content.decode()
    login("tech", roles=["sysadmin"])
    assert 'value="sysadmin"' in client.get("/backoffice/staff/new/").content.decode()


def test_hr_saving_a_sysadmin_keeps_the_role(client, login, make_staff):
    """HR, who is not offered the role, moves a sysadmin without taking the role away."""
    admin = make_staff("tech", roles=["sysadmin"])
    login("hr")
    page = client.get(f"/backoffice/staff/{admin.staff_profile.pk}/").content.decode()
    assert 'value="sysadmin"' not in page
    response = client.post(
        f"/backoffice/staff/{admin.staff_profile.pk}/",
        {"department": "tech", "roles": ["lead"], "title": "架构师", "is_active": "on"},
    )
    assert response.status_code == 302
    profile = StaffProfile.objects.select_related("user").get(pk=admin.staff_profile.pk)
    assert profile.role_codes == ["lead", "sysadmin"] and profile.user.is_superuser


def test_hr_cannot_deactivate_their_own_account(client, login):
    """Unticking "account active" on one's own account: 400 on that field, still active."""
    me = login("hr")
    response = client.post(
        f"/backoffice/staff/{me.staff_profile.pk}/",
        {"department": "hr", "roles": [], "title": "HR"},
    )
    assert response.status_code == 400
    assert "is_active" in response.context["form"].errors
    profile = StaffProfile.objects.select_related("user").get(user=me)
    assert profile.user.is_active and profile.title == ""


def test_staff_form_errors_name_the_field(client, login, make_staff):
    """A taken username and a weak password are reported on their fields."""
    make_staff("service", username="taken")
    login("hr")
    response = client.post(
        "/backoffice/staff/new/",
        {"username": "taken", "password": "a-Long-pass-9931", "employee_no": "E779",
         "display_name": "X", "department": "tech"},
    )  # fmt: skip
    assert response.status_code == 400 and "username" in response.context["form"].errors
    response = client.post(
        "/backoffice/staff/new/",
        {"username": "fresh", "password": "123", "employee_no": "E780",
         "display_name": "X", "department": "tech"},
    )  # fmt: skip
    assert "password" in response.context["form"].errors


def test_api_token_shown_once_then_revoked(client, login):
    """A new token's raw value is on the next page only; revoke marks it revoked."""
    user = login("marketing")
    response = client.post("/backoffice/me/tokens/", {"name": "报表脚本"}, follow=True)
    raw = response.context["new_token"]["raw"]
    assert raw.startswith("mk_") and raw in response.content.decode()
    assert raw not in client.get("/backoffice/me/tokens/").content.decode()
    token = ApiToken.objects.get(user=user)
    client.post(f"/backoffice/me/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_cannot_revoke_someone_elses_token(client, login, make_staff):
    """Another user's token id is 'not found' and stays active."""
    from mercato.staff import services

    other = make_staff("tech")
    token, _raw = services.create_api_token(actor=other, name="x")
    login("marketing")
    client.post(f"/backoffice/me/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is None

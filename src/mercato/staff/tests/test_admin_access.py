"""Django's admin is 技术部's: every other department gets 403 there, and personal data in
it is masked for anyone without core.view_full_phone."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Permission
from django.urls import reverse

from mercato.staff.roles import DEPARTMENT_CODES
from mercato.testing.factories import ORDER_ADDRESS as ADDRESS
from mercato.testing.factories import make_customer, make_order

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("department", DEPARTMENT_CODES)
def test_only_the_technology_department_opens_the_admin(client, make_staff, department):
    """/admin/ answers 200 to 技术部 and 403 to the other six departments."""
    client.force_login(make_staff(department))
    response = client.get("/admin/")
    assert response.status_code == (200 if department == "tech" else 403)


@pytest.mark.parametrize("department", [d for d in DEPARTMENT_CODES if d != "tech"])
def test_other_departments_see_no_customer_data_in_the_admin(client, make_staff, department):
    """Procurement (which may view orders) and the rest get 403 on the order pages, and
    the answer carries no phone number."""
    order = make_order()
    client.force_login(make_staff(department))
    for url in (
        reverse("admin:orders_order_changelist"),
        reverse("admin:orders_order_change", args=[order.pk]),
        reverse("admin:core_user_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 403
        assert ADDRESS.mobile not in response.content.decode()


def test_a_superuser_of_any_department_opens_the_admin(client, make_staff):
    client.force_login(make_staff("operations", roles=["sysadmin"]))
    assert client.get("/admin/").status_code == 200


def test_the_admin_log_in_refuses_other_departments(client, make_staff):
    """A marketing colleague's right password at /admin/login/ is refused, with a pointer to
    the back office, and no session starts."""
    make_staff("marketing", username="shichang", password="pass-1234-word")
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "shichang", "password": "pass-1234-word", "next": "/admin/"},
    )
    assert response.status_code == 200
    assert "/backoffice/" in response.content.decode()
    assert SESSION_KEY not in client.session
    make_staff("tech", username="jishu", password="pass-1234-word")
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "jishu", "password": "pass-1234-word", "next": "/admin/"},
    )
    assert response.status_code == 302 and SESSION_KEY in client.session


def test_customers_get_403_not_an_invitation_to_log_in(client):
    client.force_login(make_customer().user)
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/").status_code == 403


def test_the_admin_masks_phone_and_address_without_the_permission(client, make_staff):
    """A 技术部 member given orders.view_order (but not core.view_full_phone) sees the order
    with 138****8000 and a masked street; a superuser sees them in full."""
    customer = make_customer(mobile="13912345678")
    order = make_order(customer=customer)
    tech = make_staff("tech")
    tech.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(tech)
    change = reverse("admin:orders_order_change", args=[order.pk])
    listing = client.get(reverse("admin:orders_order_changelist")).content.decode()
    page = client.get(change).content.decode()
    assert order.number in listing and "13912345678" not in listing
    assert "138****8000" in page
    for secret in (ADDRESS.mobile, ADDRESS.detail, "13912345678"):
        assert secret not in page
    client.force_login(make_staff("tech", roles=["sysadmin"]))
    page = client.get(change).content.decode()
    assert ADDRESS.mobile in page and ADDRESS.detail in page


def test_the_user_admin_masks_customer_log_ins_without_the_permission(client, make_staff):
    """A customer's username is their mobile number: masked in the user list too."""
    make_customer(mobile="13912345678")
    tech = make_staff("tech")
    tech.user_permissions.add(Permission.objects.get(codename="view_user"))
    client.force_login(tech)
    body = client.get(reverse("admin:core_user_changelist")).content.decode()
    assert "139****5678" in body and "13912345678" not in body


def test_a_person_named_anywhere_never_shows_a_full_number():
    """str() of a customer's user or customer row (an event's "by", an audit entry) masks
    the mobile number it would otherwise fall back to."""
    customer = make_customer(mobile="13912345678")
    assert str(customer.user) == "139****5678"
    assert str(customer) == "139****5678"

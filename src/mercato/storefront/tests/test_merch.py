"""Home-page slots: operations edit them in the back office; the home page follows the schedule."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mercato.catalog.models import HomeSlot
from mercato.catalog.services import create_home_slot
from mercato.core.errors import PermissionDeniedError, ValidationFailed

pytestmark = pytest.mark.django_db


def test_operations_add_a_banner_in_the_back_office_and_it_shows(client, phone_shop, ops_user):
    """An operations user saves a banner; the home page shows it at once."""
    client.force_login(ops_user)
    response = client.post(
        "/backoffice/merch/",
        {"kind": "banner", "title": "双十一大促", "link": "/c/shouji/", "position": 0,
         "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()
    assert "双十一大促" in client.get("/").content.decode()


def test_slot_schedule_start_and_end(client, phone_shop, ops_user):
    """A slot before its start or after its end is not shown; within it is."""
    now = timezone.now()
    product = phone_shop["products"][0]
    create_home_slot(
        actor=ops_user, kind="featured", product_id=product.pk, starts_at=now + timedelta(days=1)
    )
    create_home_slot(
        actor=ops_user, kind="banner", title="上周的横幅", ends_at=now - timedelta(minutes=1)
    )
    create_home_slot(
        actor=ops_user, kind="category", category_id=phone_shop["root"].pk, title="数码楼层"
    )
    html = client.get("/").content.decode()
    assert "上周的横幅" not in html and "数码楼层" in html
    assert html.count(product.name) == 1  # in the 数码 block, not as a featured product


def test_slot_rules(ops_user, phone_shop, make_staff):
    """Other departments may not edit slots; links stay on site; blocks need a top category."""
    with pytest.raises(PermissionDeniedError):
        create_home_slot(actor=make_staff("finance"), kind="banner", title="x")
    with pytest.raises(ValidationFailed) as bad:
        create_home_slot(actor=ops_user, kind="banner", title="x", link="https://evil.example/")
    assert "link" in bad.value.field_errors
    with pytest.raises(ValidationFailed) as bad:
        create_home_slot(actor=ops_user, kind="category", category_id=phone_shop["phones"].pk)
    assert "category" in bad.value.field_errors
    assert not HomeSlot.objects.exists()


def test_back_office_page_needs_the_permission(client, phone_shop, make_staff):
    """Finance staff get 403 on the slots page."""
    client.force_login(make_staff("finance"))
    assert client.get("/backoffice/merch/").status_code == 403

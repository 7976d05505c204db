"""The warehouse network page in Chromium: axe's WCAG 2.2 A/AA rules find nothing on it
(two maps, the legend, the province and new-site tables), and applying the plan from
the browser moves the province to its new warehouse."""

import datetime

import pytest
from django.utils import timezone

from mercato.inventory.models import WarehouseProvince
from mercato.testing.a11y import share_session, violations
from mercato.testing.procurement import make_network_shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_page_passes_axe_and_applies_in_one_click(
    live_server, client, make_staff, browser_page
):
    make_network_shop(
        orders={"四川省": 6, "上海市": 2}, placed_at=timezone.now() - datetime.timedelta(days=3)
    )
    client.force_login(make_staff("procurement", roles=["procurement_lead"]))
    page = browser_page
    share_session(client, page, live_server.url)
    page.goto(live_server.url + "/backoffice/procurement/network/")
    assert page.locator("svg[role=img]").count() == 2
    assert violations(page) == []
    with page.expect_navigation():  # the POST, then the redirect back to the page
        page.click("#apply-plan")
    served = WarehouseProvince.objects.filter(province="四川省").values_list(
        "warehouse__code", flat=True
    )
    assert list(served) == ["CD"]
    assert page.locator("#no-changes").count() == 1

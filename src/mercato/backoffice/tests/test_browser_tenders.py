"""End to end in Chromium: a buyer runs a tender — creates it, invites two suppliers, opens
it; one supplier bids through its link without an account, the buyer enters the other's
bid; the prices stay sealed until the deadline; after it the buyer awards down the
ranking and the award becomes draft purchase orders."""

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from mercato.procurement.models import POStatus, PurchaseOrder, Tender, TenderStatus
from mercato.testing.a11y import share_session, violations
from mercato.testing.factories import SkuFactory
from mercato.testing.procurement import make_shanghai_warehouse
from mercato.testing.tenders import make_qualified_supplier

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _log_in(page, base, user):
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    share_session(client, page, base)


def test_a_buyer_runs_a_tender_to_award_and_purchase_orders(
    live_server, browser_page, make_staff, settings
):
    settings.ROOT_URLCONF = "mercato.backoffice.tests.urls_live"
    buyer = make_staff("procurement", username="caigou")
    make_shanghai_warehouse()
    SkuFactory(code="MON-27")
    x = make_qualified_supplier("X", 0, name="上海显示器厂")
    y = make_qualified_supplier("Y", 1, name="深圳屏幕公司")
    page, base = browser_page, live_server.url
    deadline = timezone.localtime() + datetime.timedelta(days=1)

    # The buyer writes the tender, invites both suppliers and opens it.
    _log_in(page, base, buyer)
    page.goto(f"{base}/backoffice/procurement/tenders/new/")
    page.fill("input[name=title]", "27英寸显示器采购")
    page.fill("input[name=deadline]", deadline.strftime("%Y-%m-%dT%H:%M"))
    page.fill("textarea[name=lines]", "MON-27, sh, 100")
    page.check(f"input[name=suppliers][value='{x.pk}']")
    page.check(f"input[name=suppliers][value='{y.pk}']")
    page.click("#create-tender")
    page.wait_for_url(re.compile(r"/backoffice/procurement/tenders/\d+/$"))
    page.click("#open-tender")
    page.wait_for_load_state()
    assert page.locator("#tender-status").inner_text() == "投标中"
    tender_url = page.url
    link = page.locator(f"#bid-links input[aria-label$='{x.name}']").input_value()

    # The buyer enters Y's bid (¥10.50, in 10 days).
    day = deadline.date()
    page.click("#enter-bid summary")
    page.select_option("#bid-supplier", str(y.pk))
    page.fill("#delivery-date", (day + datetime.timedelta(days=10)).isoformat())
    page.fill("input[name^=price_]", "10.50")
    page.fill("input[name^=quantity_]", "100")
    page.click("#save-bid")
    page.wait_for_load_state()

    # Supplier X bids through its link, without logging in (¥10.00 for 60, in 5 days).
    page.context.clear_cookies()
    page.goto(link)
    assert not violations(page)
    page.fill("#delivery-date", (day + datetime.timedelta(days=5)).isoformat())
    page.fill("input[name^=price_]", "10.00")
    page.fill("input[name^=quantity_]", "60")
    page.click("#submit-bid")
    page.wait_for_load_state()
    assert page.locator("#bid-recorded").count() == 1
    page.goto(link)  # the used link is refused
    assert "已使用" in page.locator("#bid-refused").inner_text()

    # Sealed: the buyer sees that two bids came in, no price.
    _log_in(page, base, buyer)
    page.goto(tender_url)
    assert page.locator("#bid-count").inner_text() == "2"
    content = page.content()
    assert "10.50" not in content and "10.00" not in content

    # After the deadline: the ranking, then the award down it (60 to X, 40 to Y).
    with time_machine.travel(deadline + datetime.timedelta(hours=2), tick=True):
        page.goto(tender_url)
        assert page.locator("#tender-status").inner_text() == "已截标"
        rows = page.locator("table.ranking tbody tr")
        assert rows.nth(0).locator("td").nth(1).inner_text() == "上海显示器厂"
        assert page.locator("table.ranking input").nth(0).input_value() == "60"
        assert page.locator("table.ranking input").nth(1).input_value() == "40"
        assert not violations(page)
        page.click("#award")
        page.wait_for_load_state()
        assert page.locator("#tender-status").inner_text() == "已定标"
        page.locator("#tender-orders a").first.click()
        page.wait_for_url(re.compile(r"/backoffice/procurement/orders/PO\d+/$"))
        assert page.locator("#po-status").inner_text() == "草稿"

    orders = PurchaseOrder.objects.order_by("supplier__code")
    assert [(o.supplier.code, o.status, o.lines.get().quantity) for o in orders] == [
        ("X", POStatus.DRAFT, 60),
        ("Y", POStatus.DRAFT, 40),
    ]
    assert orders[0].lines.get().unit_price == 10
    assert orders.first().note.startswith("招标 TD")
    assert Tender.objects.get().status == TenderStatus.AWARDED
    assert page.errors == []

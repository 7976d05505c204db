"""End to end in Chromium, for purchasing: a buyer orders above the lead limit, the 采购主管
approves and the buyer sends it; a warehouse clerk receives it by scanning, rejects one
unit at the quality check and puts the rest away to a bin."""

import re
from decimal import Decimal

import pytest

from mercato.catalog.models import Sku
from mercato.inventory.locations import define_bins
from mercato.inventory.models import Stock
from mercato.procurement.models import POStatus, PurchaseOrder
from mercato.testing.factories import SkuFactory
from mercato.testing.procurement import make_shanghai_warehouse, make_supplier

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pass-1234-word"


def _log_in(page, base, username):
    page.context.clear_cookies()
    page.goto(f"{base}/backoffice/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{base}/backoffice/")


def test_an_order_is_approved_sent_and_received_by_scanning(
    live_server, browser_page, make_staff, settings
):
    settings.ROOT_URLCONF = "mercato.backoffice.tests.urls_live"
    settings.MERCATO_PO_LEAD_LIMIT = Decimal("100")
    settings.MERCATO_PO_OVER_RECEIPT = Decimal("0")
    make_staff("procurement", username="caigou")
    make_staff("procurement", roles=["procurement_lead"], username="zhuguan")
    make_staff("procurement", username="cangguan")
    supplier = make_supplier()
    warehouse = make_shanghai_warehouse()
    define_bins(actor=None, warehouse_id=warehouse.pk, bins=[("A", "A-01-01")])
    sku = SkuFactory(code="TEA-001", barcode="6901234567892", cost_price="0.00")
    page, base = browser_page, live_server.url

    # The buyer creates an order of 3 × ¥50.00 = ¥150.00 (above the lead limit) and submits.
    _log_in(page, base, "caigou")
    page.goto(f"{base}/backoffice/procurement/orders/new/")
    page.select_option("select[name=supplier]", str(supplier.pk))
    page.select_option("select[name=warehouse]", str(warehouse.pk))
    page.fill("input[name=promised_date]", "2026-12-31")
    page.fill("textarea[name=lines]", "TEA-001, 3, 50.00")
    page.click("#create-po")
    page.wait_for_url(re.compile(r"/backoffice/procurement/orders/PO\d+/$"))
    page.click("#submit-po")
    page.wait_for_load_state()
    assert page.locator("#po-status").inner_text() == "待主管审批"
    number = PurchaseOrder.objects.get().number

    # The lead approves; the buyer marks it sent.
    _log_in(page, base, "zhuguan")
    page.goto(f"{base}/backoffice/procurement/orders/{number}/")
    page.click("#approve-po")
    page.wait_for_load_state()
    _log_in(page, base, "caigou")
    page.goto(f"{base}/backoffice/procurement/orders/{number}/")
    page.click("#send-po")
    page.wait_for_load_state()
    assert page.locator("#po-status").inner_text() == "已下单"

    # The clerk scans three units; a fourth is refused (no tolerance).
    _log_in(page, base, "cangguan")
    page.goto(f"{base}/backoffice/procurement/receiving/")
    page.click(f"text={number}")
    page.wait_for_url(re.compile(rf"/orders/{number}/receive/$"))
    for _unit in range(3):
        page.fill("#scan-code", "6901234567892")
        page.press("#scan-code", "Enter")
        page.wait_for_load_state()
    line = PurchaseOrder.objects.get().lines.get()
    assert page.input_value(f"input[name=received_{line.pk}]") == "3"
    page.fill("#scan-code", "6901234567892")
    page.press("#scan-code", "Enter")
    page.wait_for_load_state()
    assert page.locator("text=最多还能收 0 件").count() == 1
    # Quality check: one unit rejected with its reason; the rest put away to A-01-01.
    page.fill(f"input[name=rejected_{line.pk}]", "1")
    page.fill(f"input[name=reason_{line.pk}]", "外包装破损")
    page.fill(f"input[name=bin_{line.pk}]", "A-01-01")
    page.click("#record-receipt")
    page.wait_for_url(re.compile(rf"/orders/{number}/$"))
    assert page.locator("#po-status").inner_text() == "已到齐"

    stock = Stock.objects.get(sku=sku, warehouse=warehouse)
    assert stock.on_hand == 2 and stock.bin.code == "A-01-01"
    assert Sku.objects.get(pk=sku.pk).cost_price == Decimal("50.00")
    assert PurchaseOrder.objects.get().status == POStatus.RECEIVED
    assert page.errors == []

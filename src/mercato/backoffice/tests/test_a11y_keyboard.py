"""The back office with the keyboard only (issue 18), in Chromium: a product edit and a
bulk price change, with the focus where a keyboard user expects it after each step; a
background bulk action's result read out when it ends.

Apart from test_a11y_browser.py on purpose: that module's seeded data stays until its last
test, and this transactional test brings its own (pytest-django runs transactional tests
after the others, so in that module it would meet the seeded rows).
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from mercato.catalog.models import Product, Sku
from mercato.fulfillment.models import BulkJob
from mercato.testing.a11y import focused, follow, share_session, tab_to
from mercato.testing.factories import make_order, priced_line
from mercato.testing.payments import paid_payment

pytestmark = [pytest.mark.browser]


@pytest.fixture
def office(phone_shop, rates):
    """The phone shop's catalogue, an order and a paid payment."""
    sku = phone_shop["skus"][("黑色", "128GB")]
    make_order(lines=[priced_line(sku=sku, unit_price="2999.00")])
    paid_payment()
    return phone_shop


@pytest.mark.django_db(transaction=True)
def test_product_edit_and_price_change_with_the_keyboard_only(
    live_server, browser_page, make_staff, office
):
    from playwright.sync_api import expect

    page, base = browser_page, live_server.url
    make_staff("operations", username="kb-ops", password="kb-pass-1234")
    product = office["products"][0]

    # Log in: the user name has the focus; Tab to the password; Enter sends.
    page.goto(base + "/backoffice/login/")
    assert focused(page)["name"] == "username"
    page.keyboard.type("kb-ops")
    page.keyboard.press("Tab")
    page.keyboard.type("kb-pass-1234")
    follow(page)
    expect(page).to_have_url(base + "/backoffice/")

    # The skip link first, then the workspace's own links.
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "跳到主要内容"
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"
    tab_to(page, lambda f: f["href"] == "/backoffice/catalog/products/")
    follow(page)

    # The product list → the product → its form: a new name, Enter saves.
    expect(page.locator("h1")).to_have_text("商品列表")
    tab_to(page, lambda f: f["href"] == f"/backoffice/catalog/products/{product.pk}/")
    follow(page)
    tab_to(page, lambda f: f["id"] == "id_name")
    page.keyboard.press("Control+A")
    page.keyboard.type("华为 手机 1 旗舰版")
    follow(page)
    expect(page.locator(".messages")).to_contain_text("商品已保存")
    assert Product.objects.get(pk=product.pk).name == "华为 手机 1 旗舰版"
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "跳到主要内容"

    # Back to the list; tick the product (Space), then change its prices.
    page.goto(base + "/backoffice/catalog/products/")
    tab_to(page, lambda f: f["name"] == "product" and f["value"] == str(product.pk))
    page.keyboard.press("Space")
    tab_to(page, lambda f: f["text"] == "为勾选的商品改价")
    follow(page)
    expect(page.locator("h1")).to_have_text("批量改价")
    tab_to(page, lambda f: f["id"] == "id_mode")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "id_value"
    page.keyboard.type("-10")
    tab_to(page, lambda f: f["text"] == "预览")
    page.keyboard.press("Enter")
    # The preview is the answer: the focus moves to its heading, and Tab reaches 应用.
    expect(page.locator("#preview h2")).to_be_focused()
    tab_to(page, lambda f: f["id"] == "apply-prices")
    follow(page)
    expect(page.locator(".messages .msg-success")).to_be_visible()
    prices = set(Sku.objects.filter(product=product).values_list("list_price", flat=True))
    assert prices == {Decimal("2699.10")}
    assert not page.errors


@pytest.mark.django_db(transaction=True)
def test_a_background_jobs_result_is_read_out_when_it_ends(
    live_server, browser_page, client, make_staff
):
    """The job page polls its progress; the poll leaves the focus where the user put it,
    and when the job ends its summary goes to the live region a screen reader reads."""
    from playwright.sync_api import expect

    page, base = browser_page, live_server.url
    clerk = make_staff("procurement", roles=["order_processing"])
    client.force_login(clerk)
    share_session(client, page, base)
    job = BulkJob.objects.create(
        action=BulkJob.Action.APPROVE, status=BulkJob.Status.RUNNING, created_by=clerk,
        item_ids=[1, 2, 3, 4], total=4, processed=2, succeeded=2,
    )  # fmt: skip
    page.goto(base + reverse("backoffice:bulk_job", args=[job.pk]))
    expect(page.locator("#bulk-progress progress")).to_have_attribute("value", "50")
    # Nobody started the poll (the focus is on the page itself), yet the result is heard.
    assert focused(page)["tag"] == "BODY"

    BulkJob.objects.filter(pk=job.pk).update(
        status=BulkJob.Status.DONE, processed=4, succeeded=3, failed=1,
        failures=[{"item": 4, "label": "D20261204001", "message": "订单已审核"}],
    )  # fmt: skip
    summary = page.locator("#bulk-summary")
    expect(summary).to_be_visible()
    expect(page.locator("#announcer")).to_have_text(summary.inner_text().strip())
    assert focused(page)["tag"] == "BODY"  # the poll moved nobody's focus

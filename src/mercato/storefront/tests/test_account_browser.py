"""End to end in Chromium, on a phone and a desktop: sign up with an SMS code, then add an
address by pasting it whole and confirming the filled-in form."""

import os
from pathlib import Path

import pytest

from mercato.customers.models import Address, Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASTED = "张三 13812345678 广东省深圳市南山区科技园科苑路15号"


@pytest.fixture(params=[(390, 844), (1280, 800)], ids=["phone", "desktop"])
def page(request, browser_page):
    width, height = request.param
    browser_page.set_viewport_size({"width": width, "height": height})
    return browser_page


def test_sign_up_then_add_an_address_by_pasting_it(live_server, page, sms_outbox):
    """A visitor signs up with an SMS code, pastes an address, checks the filled form,
    corrects the district and saves it as the default address."""
    from playwright.sync_api import expect

    base = live_server.url
    page.goto(f"{base}/")
    page.click("a[href='/account/signup/']")
    page.fill("input[name=mobile]", "139 0000 1111")
    page.click("button[name=action][value=send]")
    page.wait_for_selector(".form-info")
    code = sms_outbox[-1].code
    page.fill("input[name=code]", code)
    page.fill("input[name=password]", "Shop-Pass-2026")
    page.fill("input[name=name]", "李四")
    page.click("button[name=action][value=signup]")
    page.wait_for_url(f"{base}/account/")
    assert Customer.objects.get().mobile == "13900001111"

    page.click("a[href='/account/addresses/new/']")
    page.fill("textarea[name=pasted]", PASTED)
    page.click(".paste-box button")
    # htmx swaps the filled fields in: the customer sees them before anything is saved.
    expect(page.locator("#id_recipient")).to_have_value("张三")
    assert page.input_value("#id_mobile") == "13812345678"
    assert page.input_value("#id_province") == "广东省"
    assert page.input_value("#id_city") == "深圳市"
    assert page.input_value("#id_district") == "南山区"
    assert page.input_value("#id_detail") == "科技园科苑路15号"
    assert not Address.objects.exists()
    # The page fits the viewport: nothing scrolls sideways on the phone.
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")

    shots = os.environ.get("MERCATO_SCREENSHOT_DIR")  # set it to look at the pages
    if shots:
        width = page.viewport_size["width"]
        page.screenshot(path=str(Path(shots) / f"account-address-{width}.png"), full_page=True)

    # The customer corrects the district with the selects (htmx refreshes the choices).
    page.select_option("#id_district", "福田区")
    page.click("button[name=action][value=save]")
    page.wait_for_url(f"{base}/account/addresses/")
    address = Address.objects.get()
    assert (address.recipient, address.district, address.is_default) == ("张三", "福田区", True)
    assert "福田区" in page.text_content(".address-list")

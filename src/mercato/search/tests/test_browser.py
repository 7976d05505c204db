import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "viewport", [{"width": 360, "height": 740}, {"width": 1280, "height": 800}]
)
def test_search_box_suggestion_opens_the_product_page(
    live_server, shop, chromium_launch_args, viewport
):
    """Typing `huawei` shows suggestions; choosing one opens that product's page."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(**chromium_launch_args)
        page = browser.new_page(viewport=viewport)
        page.goto(f"{live_server.url}/search/")
        # The box is a WAI-ARIA combobox (issue 18), its suggestions options of a listbox.
        page.get_by_role("combobox").fill("huawei mate")
        suggestion = page.get_by_role("option", name=re.compile("Mate 60"))
        expect(suggestion).to_be_visible()
        suggestion.click()
        page.wait_for_url(f"**/p/{shop['mate'].slug}/")
        expect(page.locator("h1")).to_contain_text("Mate 60")
        browser.close()

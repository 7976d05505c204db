"""In Chromium: the cart shows the 满减 tier still to reach, and changing a quantity in
place (htmx) updates the promotion, the total after it and the next tier."""

import pytest

from mercato.cart.models import CartLine

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_cart_shows_the_next_tier_and_follows_a_quantity_change(
    live_server, phone_shop, browser_page
):
    from playwright.sync_api import expect

    from mercato.testing.promotions import make_promotion

    tiers = [{"threshold": "3000", "amount": "100"}, {"threshold": "6000", "amount": "300"}]
    make_promotion(name="数码节满减", tiers=tiers)
    page = browser_page
    product = phone_shop["products"][0]
    black = phone_shop["skus"][("黑色", "128GB")]
    page.goto(f"{live_server.url}/p/{product.slug}/?sku={black.pk}")
    page.click("button.add-to-cart")
    expect(page.locator("#mini-cart .mini-count")).to_have_text("1")

    page.goto(f"{live_server.url}/cart/")
    expect(page.locator(".cart-tier-hint")).to_have_text("还差 ¥1.00 可减 ¥100.00（数码节满减）")
    page.evaluate("window.stayed = true")
    line_id = CartLine.objects.get(sku=black).pk
    page.locator(f"#line-{line_id}").get_by_role("button", name="增加一件").click()

    expect(page.locator(".cart-promotions")).to_contain_text("数码节满减 −¥100.00")
    expect(page.locator(".cart-promotion-total")).to_have_text("¥5898.00")
    expect(page.locator(".cart-tier-hint")).to_have_text("还差 ¥2.00 可减 ¥300.00（数码节满减）")
    assert page.evaluate("window.stayed === true")  # changed in place, no reload

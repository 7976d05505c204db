"""The cart pages: adding from the product page, changing, selecting, removing, notices,
the header's mini-cart; with htmx (partial answers) and without JavaScript (redirects)."""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client

from mercato.cart.models import Cart, CartLine
from mercato.cart.services import add_to_cart, get_or_create_cart, set_cart_limit
from mercato.catalog.models import ProductStatus, Sku
from mercato.customers.services import create_customer

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def guest_cart(client) -> Cart | None:
    return Cart.objects.filter(session_key=client.session.session_key, customer=None).first()


def lines_of(client) -> dict[int, int]:
    cart = guest_cart(client)
    return dict(cart.lines.values_list("sku_id", "quantity")) if cart else {}


def add(client, sku, quantity=1, **extra):
    data = {"sku": sku.pk, "quantity": quantity, "next": f"/p/{sku.product.slug}/"}
    return client.post("/cart/add/", data, **extra)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def only_line(client) -> CartLine:
    return guest_cart(client).lines.get()


# Adding -------------------------------------------------------------------------------
def test_add_without_javascript_goes_back_to_the_product_with_a_message(client, black):
    """The plain form adds the SKU and returns to its product page saying so."""
    response = add(client, black, 2)
    assert response.status_code == 302
    assert response["Location"] == f"/p/{black.product.slug}/?sku={black.pk}"
    page = client.get(response["Location"])
    assert "已加入购物车" in text(page)
    assert lines_of(client) == {black.pk: 2}


def test_add_with_htmx_answers_a_note_and_the_mini_cart(client, black):
    """htmx gets the confirmation and the header's count, swapped out of band."""
    add(client, black, 1)
    response = add(client, black, 2, **HTMX)
    body = text(response)
    assert response.status_code == 200
    assert "已加入购物车" in body
    assert 'id="mini-cart"' in body and 'hx-swap-oob="true"' in body
    assert re.search(r'class="mini-count"[^>]*>3</b>', body)
    assert lines_of(client) == {black.pk: 3}


def test_spec_values_sent_without_javascript_choose_the_sku(client, black, white):
    """Without the script the hidden sku field is stale; the chosen spec values win."""
    data = {"sku": black.pk, "颜色": "白色", "存储容量": "256GB", "quantity": 1, "next": "/p/x/"}
    client.post("/cart/add/", data)
    assert lines_of(client) == {white.pk: 1}


def test_spec_values_naming_another_sku_check_that_sku(client, black, white):
    """The row read for the hidden field's SKU is not the chosen SKU's: the chosen one is
    read and checked itself (here it is off sale, the hidden field's is not)."""
    white.is_active = False
    white.save(update_fields=["is_active"])
    data = {"sku": black.pk, "颜色": "白色", "存储容量": "256GB", "quantity": 1, "next": "/p/x/"}
    response = client.post("/cart/add/", data, **HTMX)
    assert response.status_code == 400
    assert lines_of(client) == {}


def test_spec_values_naming_the_sent_sku_add_it(client, black, django_assert_num_queries):
    """The real form sends the spec values of the SKU in its hidden field: the SKU is read
    once (its specs and its sale state), then the product's SKUs to match the values."""
    data = {"sku": black.pk, "quantity": 1, "next": "/p/x/", **black.specs}
    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 7):
        client.post("/cart/add/", data)
    assert lines_of(client) == {black.pk: 1}


@pytest.mark.parametrize(
    "next_url, location",
    [
        ("/p/x/", "/p/x/?sku={sku}"),
        ("x", "x?sku={sku}"),  # relative, no "/": was tried as a view name, a 500
        ("https://evil.example/", "/cart/"),
        ("", "/cart/"),
    ],
)
def test_a_plain_add_goes_back_where_it_came_from(client, black, next_url, location):
    response = client.post("/cart/add/", {"sku": black.pk, "quantity": 1, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == location.format(sku=black.pk)
    assert lines_of(client) == {black.pk: 1}


def test_a_spec_combination_that_does_not_exist_is_refused(client, phone_shop, black):
    data = {"sku": black.pk, "颜色": "紫色", "存储容量": "256GB", "quantity": 1, "next": "/"}
    response = client.post("/cart/add/", data, **HTMX)
    assert response.status_code == 400
    assert "没有这种规格组合" in text(response)
    assert lines_of(client) == {}


@pytest.mark.parametrize(
    "quantity, message",
    [
        ("0", "数量至少为 1"),
        ("-3", "数量至少为 1"),
        ("abc", "请输入整数数量"),
        ("1.5", "请输入整数数量"),
        ("", "请输入整数数量"),
        ("100000000000000000000000", "每单最多购买 99 件"),
    ],
)
def test_bad_quantities_are_refused_and_add_nothing(client, black, quantity, message):
    """Each bad quantity gets its message, with htmx (400) and without (message, redirect)."""
    response = add(client, black, quantity, **HTMX)
    assert response.status_code == 400
    assert message in text(response)
    assert not Session.objects.exists()  # a new visitor's refused add makes no session
    response = add(client, black, quantity, follow=True)
    assert message in text(response)
    assert lines_of(client) == {}
    assert not Cart.objects.exists()  # a refused add leaves no empty cart behind


def test_unknown_deleted_and_off_shelf_skus_are_refused(client, phone_shop, black):
    """A made-up id, a deleted SKU and an off-shelf product each get a clear message."""
    gone = Sku.objects.get(pk=phone_shop["skus"][("白色", "128GB")].pk)
    gone_id = gone.pk
    gone.delete()
    for sku_id, message in [
        ("999999", "该商品不存在"),
        ("abc", "该商品不存在"),
        (str(gone_id), "该商品不存在"),
    ]:
        response = client.post("/cart/add/", {"sku": sku_id, "quantity": 1}, **HTMX)
        assert response.status_code == 400 and message in text(response), sku_id
    product = phone_shop["products"][2]
    product.status = ProductStatus.OFF_SHELF
    product.save()
    response = add(client, product.skus.first(), 1, **HTMX)
    assert response.status_code == 400 and "已下架" in text(response)
    assert lines_of(client) == {}


def test_purchase_limit_and_site_maximum(client, black, settings):
    """A SKU's 限购 and the site's maximum per item are each told to the shopper."""
    set_cart_limit(sku_id=black.pk, max_per_order=2)
    add(client, black, 2)
    response = add(client, black, 1, **HTMX)
    assert response.status_code == 400 and "每单最多购买 2 件" in text(response)
    settings.MERCATO_CART_MAX_QUANTITY = 3
    set_cart_limit(sku_id=black.pk, max_per_order=None)
    response = add(client, black, 2, **HTMX)
    assert response.status_code == 400 and "每单最多购买 3 件" in text(response)
    assert lines_of(client) == {black.pk: 2}


def test_product_page_button_posts_with_this_visitors_csrf_token(black):
    """The product body is cached for everyone, yet each visitor's form carries their own
    CSRF token, and the plain form works with CSRF checks on."""
    tokens = []
    for _ in range(2):
        client = Client(enforce_csrf_checks=True)
        page = text(client.get(f"/p/{black.product.slug}/"))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        assert token != "__csrf_token__"
        assert re.search(r'class="add-to-cart"[^>]*>', page).group(0).count("disabled") == 0
        tokens.append(token)
        data = {"sku": black.pk, "quantity": 1, "csrfmiddlewaretoken": token, "next": "/"}
        assert client.post("/cart/add/", data).status_code == 302
        assert lines_of(client) == {black.pk: 1}
    assert tokens[0] != tokens[1]


def test_add_without_csrf_token_is_refused(black):
    client = Client(enforce_csrf_checks=True)
    client.get("/")
    assert client.post("/cart/add/", {"sku": black.pk, "quantity": 1}).status_code == 403
    assert not CartLine.objects.exists()


# The cart page ------------------------------------------------------------------------
def test_cart_page_lists_lines_with_prices_specs_and_totals(client, black, white):
    add(client, black, 2)
    add(client, white, 1)
    page = text(client.get("/cart/"))
    assert "华为 手机 1" in page
    assert "颜色: 黑色 / 存储容量: 128GB" in page
    assert "¥5998.00" in page  # 2 × 2999.00
    assert 'class="cart-total">¥8997.00' in page
    assert "已选 3 件" in page
    assert 'class="mini-count"' in page  # the header's count comes with the page
    assert 'class="button checkout" href="/checkout/"' in page


def test_cart_page_in_english(client, black):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    add(client, black, 2)
    page = text(client.get("/cart/"))
    assert "Shopping cart" in page and "2 items selected" in page and "Remove" in page


def test_empty_cart_page_creates_no_cart(client, phone_shop):
    page = text(client.get("/cart/"))
    assert "购物车是空的" in page
    assert not Cart.objects.exists()


def test_change_quantity_with_htmx_updates_the_body_and_the_mini_cart(client, black):
    add(client, black, 1)
    line = only_line(client)
    response = client.post(f"/cart/lines/{line.pk}/quantity/", {"quantity": "3"}, **HTMX)
    body = text(response)
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="cart-body"')
    assert "¥8997.00" in body
    assert re.search(r'id="mini-cart" class="mini-cart" hx-swap-oob="true"', body)
    assert re.search(r'class="mini-count"[^>]*>3</b>', body)
    assert lines_of(client) == {black.pk: 3}


def test_change_quantity_without_javascript_redirects_to_the_cart(client, black):
    add(client, black, 1)
    line = only_line(client)
    response = client.post(f"/cart/lines/{line.pk}/quantity/", {"quantity": "2"})
    assert response.status_code == 302 and response["Location"] == "/cart/"
    assert lines_of(client) == {black.pk: 2}


@pytest.mark.parametrize(
    "quantity, message",
    [
        ("0", "数量至少为 1"),
        ("-1", "数量至少为 1"),
        ("99999999999999999999", "每单最多购买 99 件"),
        ("two", "请输入整数数量"),
    ],
)
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_bad_quantity_names_the_item_and_changes_nothing(client, black, quantity, message, htmx):
    add(client, black, 2)
    line = only_line(client)
    extra = HTMX if htmx else {}
    response = client.post(f"/cart/lines/{line.pk}/quantity/", {"quantity": quantity}, **extra)
    assert response.status_code == 400
    assert "华为 手机 1：" in text(response) and message in text(response)
    assert lines_of(client) == {black.pk: 2}


def test_another_carts_line_is_not_found(client, black, white):
    """Changing, selecting or removing a line of someone else's cart is a 404."""
    other = get_or_create_cart(customer=create_customer(mobile="13900139000"))
    theirs = add_to_cart(cart=other, sku_id=white.pk, quantity=1)
    add(client, black, 1)
    for action, data in [
        ("quantity", {"quantity": "5"}),
        ("quantity", {"quantity": "0"}),
        ("select", {"selected": "0"}),
        ("remove", {}),
    ]:
        for extra in ({}, HTMX):
            url = f"/cart/lines/{theirs.pk}/{action}/"
            assert client.post(url, data, **extra).status_code == 404, (action, data)
    theirs.refresh_from_db()
    assert theirs.quantity == 1 and theirs.selected
    for line_id in ("99999999999999999999", "0"):
        assert client.post(f"/cart/lines/{line_id}/remove/").status_code == 404


def test_a_guest_without_a_cart_gets_404_for_any_line(client, black):
    assert client.post("/cart/lines/1/remove/").status_code == 404


def test_remove_a_line(client, black, white):
    add(client, black, 1)
    add(client, white, 1)
    line = guest_cart(client).lines.get(sku=black)
    response = client.post(f"/cart/lines/{line.pk}/remove/", **HTMX)
    assert response.status_code == 200
    assert lines_of(client) == {white.pk: 1}
    assert re.search(r'class="mini-count"[^>]*>1</b>', text(response))


def test_select_lines_and_select_all_change_the_total_and_the_checkout_button(client, black, white):
    add(client, black, 1)
    add(client, white, 2)
    line = guest_cart(client).lines.get(sku=black)
    body = text(client.post(f"/cart/lines/{line.pk}/select/", {"selected": "0"}, **HTMX))
    assert 'class="cart-total">¥5998.00' in body
    assert not CartLine.objects.get(pk=line.pk).selected
    body = text(client.post("/cart/select/", {"selected": "0"}, **HTMX))
    assert 'class="cart-total">¥0.00' in body
    assert re.search(r'<button class="button checkout" disabled', body)
    assert "请勾选要购买的商品" in body
    response = client.post("/cart/select/", {"selected": "1"})
    assert response.status_code == 302
    assert all(CartLine.objects.values_list("selected", flat=True))


# Notices ------------------------------------------------------------------------------
def test_price_change_notice_until_acknowledged(client, black):
    """A new price is shown old → new on every view until the shopper says 知道了."""
    add(client, black, 1)
    Sku.objects.filter(pk=black.pk).update(list_price=Decimal("2799.00"))
    for _ in range(2):
        page = text(client.get("/cart/"))
        assert "以下商品价格有变化" in page
        assert "<s>¥2999.00</s> → <b>¥2799.00</b>" in page
        assert "知道了" in page
    body = text(client.post("/cart/acknowledge/", **HTMX))
    assert "以下商品价格有变化" not in body and 'class="cart-total">¥2799.00' in body
    assert "以下商品价格有变化" not in text(client.get("/cart/"))


def test_off_shelf_and_short_stock_notices(client, phone_shop, black, white):
    """An off-shelf line is named and left out of the total; short stock shows what is left."""
    add(client, white, 2)
    other = phone_shop["products"][2]
    add(client, other.skus.first(), 1)
    CartLine.objects.filter(sku=white).update(quantity=4)  # 2 in stock
    other.status = ProductStatus.OFF_SHELF
    other.save()
    page = text(client.get("/cart/"))
    assert f"{other.name} 已下架，无法购买" in page
    assert "华为 手机 1 库存不足：仅剩 2 件" in page
    assert 'class="cart-total">¥11996.00' in page  # the off-shelf line is not counted


def test_out_of_stock_notice(client, phone_shop):
    product = phone_shop["products"][1]  # no stock in any warehouse
    add(client, product.skus.first(), 1)
    assert f"{product.name} 暂时无货" in text(client.get("/cart/"))


# Query budget -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url, queries",
    [
        # cart, lines with SKU and product, stock, images, running promotions (cached
        # between requests: read here because the test's cache starts empty)
        ("/cart/", 5),
        ("/cart/mini/", 3),  # asked on every shop page: no images
    ],
)
@pytest.mark.parametrize("lines", [1, 4])
def test_guest_query_budgets_do_not_grow_with_lines(
    client, phone_shop, lines, url, queries, django_assert_num_queries
):
    """The session comes from the cache; the rest is the same for any number of lines."""
    for sku in list(phone_shop["skus"].values())[:lines]:
        add(client, sku, 1)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def test_a_new_guests_first_add_query_budget(client, black, django_assert_num_queries):
    """A visitor without a session: the SKU with its purchase limit and specs (one read for
    both the chosen spec values and the add), then the session (no look-up of the new key
    first, no second write at the end of the request), the cart and its line, written
    without a look-up or a lock, all or nothing: on PostgreSQL one statement with no
    transaction around it (core.db.insert_after), elsewhere three in a transaction (inside
    the test's, a savepoint: 2 statements more). Exact, so a new query is a decision."""
    with django_assert_num_queries(2 if connection.vendor == "postgresql" else 6):
        response = add(client, black, 2)
    assert response.status_code == 302
    assert lines_of(client) == {black.pk: 2}
    with django_assert_num_queries(0):  # its session comes from the cache
        client.session.load()


def test_member_cart_page_query_budget(client, black, white, django_assert_num_queries):
    customer = create_customer(mobile="13900139000")
    client.force_login(customer.user)
    add(client, black, 1)
    add(client, white, 1)
    with django_assert_num_queries(6):  # as a guest's, plus the session's user
        assert client.get("/cart/").status_code == 200


# Mini-cart ----------------------------------------------------------------------------
def test_mini_cart_loads_by_htmx_on_cached_pages(client, black):
    """Shop pages carry a placeholder that fetches the count, so their cache stays shared."""
    page = text(client.get("/"))
    assert 'hx-get="/cart/mini/" hx-trigger="load" hx-target="this"' in page
    assert re.search(r'class="mini-count"[^>]*>0</b>', text(client.get("/cart/mini/")))
    assert not Cart.objects.exists()
    add(client, black, 2)
    mini = client.get("/cart/mini/")
    assert "no-cache" in mini["Cache-Control"] or "max-age=0" in mini["Cache-Control"]
    body = text(mini)
    assert re.search(r'class="mini-count"[^>]*>2</b>', body)
    assert "华为 手机 1" in body and "¥5998.00" in body


def test_add_in_english(client, black, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Added to your cart." in text(add(client, black, 1, **HTMX))
    settings.MERCATO_CART_MAX_QUANTITY = 2
    response = add(client, black, 5, **HTMX)
    assert response.status_code == 400
    assert "At most 2 of this item per order." in text(response)


def test_a_price_sent_with_the_form_is_ignored(client, black):
    """The cart keeps the catalogue's price, whatever a tampered form says."""
    client.post("/cart/add/", {"sku": black.pk, "quantity": 1, "price": "0.01", "next": "/"})
    assert only_line(client).price_seen == Decimal("2999.00")
    assert 'class="cart-total">¥2999.00' in text(client.get("/cart/"))


# Merge at log-in ----------------------------------------------------------------------
PASSWORD = "Sh0pping-2026!"


@pytest.fixture
def outbox(sms_outbox):
    return sms_outbox


@pytest.fixture
def member(black):
    customer = create_customer(mobile="13812345678", password=PASSWORD)
    cart = get_or_create_cart(customer=customer)
    add_to_cart(cart=cart, sku_id=black.pk, quantity=1)
    return customer


def test_guest_cart_merges_at_password_log_in(client, member, black, white):
    add(client, black, 2)
    add(client, white, 1)
    response = client.post("/account/login/", {"login": "13812345678", "password": PASSWORD})
    assert response.status_code == 302
    member_cart = Cart.objects.get(customer=member)
    assert dict(member_cart.lines.values_list("sku_id", "quantity")) == {black.pk: 3, white.pk: 1}
    assert not Cart.objects.filter(customer=None).exists()
    assert re.search(r'class="mini-count"[^>]*>4</b>', text(client.get("/cart/mini/")))


def test_guest_cart_merges_at_sms_log_in(client, member, white, outbox):
    add(client, white, 1)
    client.post("/account/login/code/", {"mobile": "13812345678", "action": "send"})
    code = outbox[-1].code
    response = client.post("/account/login/code/", {"mobile": "13812345678", "code": code})
    assert response.status_code == 302
    cart = Cart.objects.get(customer=member)
    assert white.pk in set(cart.lines.values_list("sku_id", flat=True))
    assert not Cart.objects.filter(customer=None).exists()


def test_guest_cart_becomes_the_new_members_cart_at_sign_up(client, white, outbox):
    add(client, white, 2)
    client.post("/account/signup/", {"mobile": "13912345678", "action": "send"})
    code = outbox[-1].code
    client.post("/account/signup/", {"mobile": "13912345678", "code": code})
    cart = Cart.objects.get(customer__mobile="13912345678")
    assert dict(cart.lines.values_list("sku_id", "quantity")) == {white.pk: 2}


# Promotions ---------------------------------------------------------------------------
def test_the_cart_shows_the_promotion_it_gets_and_how_far_the_next_tier_is(client, black, white):
    """满3000减100 / 满6000减300: one phone at ¥2,999 is ¥1 short of the first tier; two
    (¥5,998) get ¥100 off and are ¥2 short of the next."""
    from mercato.testing.promotions import make_promotion

    tiers = [{"threshold": "3000", "amount": "100"}, {"threshold": "6000", "amount": "300"}]
    make_promotion(name="数码节满减", tiers=tiers)
    add(client, black, 1)
    page = text(client.get("/cart/"))
    assert "还差 ¥1.00 可减 ¥100.00（数码节满减）" in page
    assert "cart-promotions" not in page
    add(client, white, 1)
    page = text(client.get("/cart/"))
    assert "数码节满减 <b>−¥100.00</b>" in page
    assert 'class="cart-promotion-total">¥5898.00' in page
    assert "还差 ¥2.00 可减 ¥300.00（数码节满减）" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Spend ¥2.00 more to save ¥300.00 (数码节满减)." in text(client.get("/cart/"))

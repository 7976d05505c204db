"""An uncached product page: a fixed, small number of queries; the page around its body
filled in from a shell gives what the template renders; and every edit a shopper would
see (name, price, stock, a published review) is on the next request."""

import re
import warnings
from urllib.parse import quote

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.core.cache import cache
from django.db.models import F
from django.middleware.csrf import _unmask_cipher_token
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.utils import translation

from mercato.catalog import selectors, shopcache
from mercato.catalog.models import CacheVersion, Product, ProductImage, ProductPopularity
from mercato.catalog.services import (
    create_category,
    move_category,
    set_product_status,
    update_category,
    update_product,
    update_sku,
)
from mercato.catalog.services.products import refresh_price_range
from mercato.inventory.services import adjust_stock
from mercato.orders.models import Order, OrderStatus
from mercato.reviews import services as reviews
from mercato.storefront import pagecache
from mercato.storefront.page_data import product_page_data
from mercato.testing.factories import (
    BrandFactory,
    make_category,
    make_customer,
    make_order,
    make_phone,
    priced_line,
)

pytestmark = pytest.mark.django_db


def test_an_uncached_product_page_makes_four_queries(phone_shop, django_assert_num_queries):
    """Nothing of the product kept: the versions, the product with its rating row, its
    first images and its category's ancestors, its SKUs with which have stock, and the
    related products' cards (with their first images)."""
    url = f"/p/{phone_shop['products'][0].slug}/"
    Client().get(url)  # the process's one-off reads (statements compiled, features probed)
    for province in ("", "上海市"):
        visitor = Client()
        if province:
            visitor.cookies["province"] = quote(province)
        cache.clear()
        with django_assert_num_queries(4):
            assert visitor.get(url).status_code == 200


def bump_shop_only() -> None:
    """What bench/run.py's rotating targets do, and a stock state's change (no content)."""
    if not CacheVersion.objects.filter(name=shopcache.NAME).update(version=F("version") + 1):
        CacheVersion.objects.create(name=shopcache.NAME, version=1)


def versions() -> tuple[int, int]:
    return shopcache.shop_versions()


def test_a_product_page_with_its_document_kept_makes_two_queries(
    phone_shop, django_assert_num_queries
):
    """After a bump of the shop version alone (a stock state), the page is not in the cache
    but its product's document is (with the related cards): the versions, and the SKUs
    with which have stock and the product's prices and rating row. The same page as
    without it."""
    url = f"/p/{phone_shop['products'][0].slug}/"
    for province in ("", "上海市"):
        visitor = Client()
        if province:
            visitor.cookies["province"] = quote(province)
        cache.clear()
        first = visitor.get(url).content.decode()  # the document kept
        bump_shop_only()
        with django_assert_num_queries(2):
            again = visitor.get(url).content.decode()
        token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
        assert token.sub("", again) == token.sub("", first)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_page_shell_gives_the_rendered_page(phone_shop, language):
    request = RequestFactory().get("/p/x/?sku=1&next=a")
    request.user = AnonymousUser()
    data = {"title": 'A <b>&"B"', "meta": "<meta name=x>", "body": "<p>body</p>"}
    with translation.override(language):
        expected = render_to_string("storefront/page.html", data, request)
        for _ in range(2):  # rendered, then from the process's shell
            assert pagecache.shop_page_html(request, data) == expected
    assert "/p/x/?sku=1&amp;next=a" in expected and "A &lt;b&gt;&amp;&quot;B&quot;" in expected


def publish_review(sku, text: str, django_user_model) -> None:
    moderator = django_user_model.objects.create_user("mod", password="x", is_staff=True)
    moderator.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="reviews", codename="moderate_content")
    )
    customer = make_customer(name="王小明")
    order = make_order(customer=customer, lines=[priced_line(sku=sku)])
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.DELIVERED)
    item = reviews.submit_review(
        customer=customer, order_line_id=order.lines.get().pk, stars=4, text=text
    )
    reviews.moderate(actor=moderator, kind="review", item_id=item.pk, publish=True)


def test_edits_show_on_the_next_request(
    client, phone_shop, ops_user, django_user_model, django_capture_on_commit_callbacks
):
    """Name, price, stock and a review, each seen once cached, then changed. The product's
    document is kept by then (fetched twice under the version): a stock state leaves it
    (its bump is the shop version's alone), the SKUs' stock is read beside it."""
    black = phone_shop["skus"][("黑色", "128GB")]
    product = black.product
    url = f"/p/{product.slug}/"
    client.cookies["province"] = quote("上海市")

    def page() -> str:
        return client.get(url).content.decode()

    assert "华为 手机 1" in page() and "有货" in page()
    with django_capture_on_commit_callbacks(execute=True):
        update_product(actor=ops_user, product_id=product.pk, name="华为 新款手机")
    assert "<h1>华为 新款手机</h1>" in page()
    with django_capture_on_commit_callbacks(execute=True):
        update_sku(actor=ops_user, sku_id=black.pk, list_price="2599.00")
    assert "¥2599.00" in page() and '"price":"2599.00"' in page()
    content = versions()[1]
    with django_capture_on_commit_callbacks(execute=True):
        adjust_stock(
            actor=None,
            sku_id=black.pk,
            warehouse_id=phone_shop["warehouses"][0].pk,
            delta=-5,
            reason="盘点",
        )
    assert versions()[1] == content, "a stock state leaves the content version"
    html = page()
    assert '<span class="out">无货</span>' in html and "schema.org/OutOfStock" in html
    assert "暂无评价" in page()
    with django_capture_on_commit_callbacks(execute=True):
        publish_review(black, "很好用的手机", django_user_model)
    html = page()
    assert "很好用的手机" in html and '"aggregateRating"' in html and "暂无评价" not in html


def test_the_product_page_trail_of_a_deep_category(db):
    """Ten levels: the compiled trail (eight ancestors a query) gives what the ORM's does."""
    parent = None
    for level in range(10):
        parent = make_category(f"层{level}", parent=parent, slug=f"level-{level}")
    trail = selectors.category_trail_rows(category=parent)
    expected = selectors.category_trail(category=parent)
    assert [(c.pk, c.name, c.slug) for c in trail] == [(c.pk, c.name, c.slug) for c in expected]
    assert [c.name for c in trail] == [f"层{level}" for level in range(10)]


def test_trail_images_and_related_cards_show_their_edits_on_the_next_request(
    client, phone_shop, ops_user, django_capture_on_commit_callbacks
):
    """The trail and the images come with the product's row, the related cards from a
    memo keyed by their rows: a renamed category, a new image and a related product's new
    price are each on the next request."""
    p1, p2 = phone_shop["products"][:2]
    url = f"/p/{p1.slug}/"

    def page() -> str:
        return client.get(url).content.decode()

    assert '<a href="/c/shuma/">数码</a>' in page() and "¥899.00" in page()
    with django_capture_on_commit_callbacks(execute=True):
        update_category(actor=ops_user, category_id=phone_shop["root"].pk, name="数码产品")
    assert '<a href="/c/shuma/">数码产品</a>' in page()
    with django_capture_on_commit_callbacks(execute=True):
        ProductImage.objects.create(
            product=p1, image="products/new.jpg", alt="新图", width=9, height=9
        )
    assert 'alt="新图" width="9"' in page()
    with django_capture_on_commit_callbacks(execute=True):
        for sku in p2.skus.all():
            update_sku(actor=ops_user, sku_id=sku.pk, list_price="799.00")
    assert "¥799.00" in page() and "¥899.00" not in page()


@pytest.mark.parametrize("images", [0, 1, 5, 6, 9])
def test_the_images_read_with_the_product_are_the_orms(
    phone_shop, images, django_assert_num_queries
):
    """In position order (ties by id), whatever their number: up to five with the product's
    row, six or more in a query of their own."""
    product = phone_shop["products"][0]
    for n in range(images):
        ProductImage.objects.create(
            product=product, image=f"p/{n}.jpg", alt=f"图{n}", width=n + 1, height=2 * n + 1,
            position=(7 * n) % 4,
        )  # fmt: skip
    expected = list(
        ProductImage.objects.filter(product=product)
        .order_by("position", "id")
        .values_list("image", "alt", "width", "height")
    )
    product_page_data(slug=product.slug, province="")  # statements compiled, features probed
    with django_assert_num_queries(2 if images < 6 else 3):
        data, _ = product_page_data(slug=product.slug, province="")
    found = [(i.image.name, i.alt, i.width, i.height) for i in data.page.images]
    assert found == expected


@pytest.mark.parametrize("depth", [1, 2, 4, 5, 7])
def test_the_trail_read_with_the_product_is_the_orms(depth, django_assert_num_queries):
    """A category up to four levels deep has its ancestors with the product's row; a deeper
    one reads them in a query of their own."""
    category = None
    for level in range(depth):
        category = make_category(f"层{level}", parent=category, slug=f"level-{level}")
    product, _ = make_phone(category, BrandFactory(), 1, price="10.00")
    product_page_data(slug=product.slug, province="")  # statements compiled, features probed
    with django_assert_num_queries(2 if depth <= 4 else 3):
        data, _ = product_page_data(slug=product.slug, province="")
    expected = selectors.category_trail(category=category)
    assert [(c.pk, c.path, c.depth, c.name, c.slug) for c in data.trail] == [
        (c.pk, c.path, c.depth, c.name, c.slug) for c in expected
    ]


def test_what_the_document_keeps_shows_its_edits_on_the_next_request(
    client, phone_shop, ops_user, django_capture_on_commit_callbacks
):
    """The document outlives a stock-only bump, not any edit of what it holds: a renamed
    product, category or brand, an image added or removed, a category moved, a bulk
    write (an import's) ending in refresh_price_range, are each on the next request,
    seen after the document was kept and a stock-only bump."""
    p1 = phone_shop["products"][0]
    url = f"/p/{p1.slug}/"

    def page() -> str:
        client.get(url)  # kept: the page and the document
        bump_shop_only()  # the page gone, the document kept
        return client.get(url).content.decode()

    def edit(change) -> None:
        before = versions()
        with django_capture_on_commit_callbacks(execute=True):
            change()
        after = versions()
        assert after[0] > before[0] and after[1] > before[1], "shop and content bumped"

    assert "<h1>华为 手机 1</h1>" in page()
    edit(lambda: update_product(actor=ops_user, product_id=p1.pk, name="华为 新款"))
    assert "<h1>华为 新款</h1>" in page()
    root = phone_shop["root"].pk
    edit(lambda: update_category(actor=ops_user, category_id=root, name="数码产品"))
    html = page()
    assert '<a href="/c/shuma/">数码产品</a>' in html and '"name":"数码产品"' in html
    brand = p1.brand
    brand.name = "华为技术"

    edit(brand.save)
    assert "<td>华为技术</td>" in page()
    image = ProductImage(product=p1, image="products/new.jpg", alt="新图", width=9, height=9)
    edit(image.save)
    assert 'alt="新图" width="9"' in page()
    edit(image.delete)
    assert "新图" not in page()
    other = create_category(actor=ops_user, name="配件", slug="peijian")
    edit(
        lambda: move_category(
            actor=ops_user, category_id=phone_shop["phones"].pk, target_id=other.pk,
            position="last-child",
        )
    )  # fmt: skip
    html = page()
    assert '<a href="/c/peijian/">配件</a>' in html and "数码产品" not in html

    def bulk_rename() -> None:  # an import writes rows without saving models
        Product.objects.filter(pk=p1.pk).update(name="华为 导入")
        refresh_price_range([p1.pk])

    edit(bulk_rename)
    assert "<h1>华为 导入</h1>" in page()
    # The related cards (kept with the document): another product's price, its sales
    # order, and it taken off sale.
    p2 = phone_shop["products"][1]
    for sku in p2.skus.all():
        edit(lambda sku=sku: update_sku(actor=ops_user, sku_id=sku.pk, list_price="799.00"))
    assert "¥799.00" in page()
    names = re.compile(r'<span class="card-name">([^<]+)</span>')
    assert names.findall(page()) == ["小米 手机 3", "华为 手机 2"]

    def sold() -> None:  # what orders.popularity does with a day's sales (both: no NULLs)
        ProductPopularity.objects.create(product=p2, units_sold=9)
        ProductPopularity.objects.create(product=phone_shop["products"][2], units_sold=1)
        shopcache.bump_shop_version()

    edit(sold)
    assert names.findall(page()) == ["华为 手机 2", "小米 手机 3"]
    edit(lambda: set_product_status(actor=ops_user, product_id=p2.pk, status="draft"))
    assert names.findall(page()) == ["小米 手机 3"]


@pytest.mark.parametrize("how", ["service", "without a content bump"])
def test_a_product_taken_off_sale_is_gone_with_its_document_kept(
    client, phone_shop, ops_user, django_capture_on_commit_callbacks, how
):
    """The SKUs' statement tells the document's product is no longer on sale (a write that
    bumped the shop version alone, say): the page answers as for a product off sale."""
    product = phone_shop["products"][0]
    url = f"/p/{product.slug}/"
    assert client.get(url).status_code == 200  # the document kept
    if how == "service":
        with django_capture_on_commit_callbacks(execute=True):
            set_product_status(actor=ops_user, product_id=product.pk, status="draft")
    else:
        Product.objects.filter(pk=product.pk).update(status="draft")
        bump_shop_only()
    assert client.get(url).status_code == 404


def test_a_new_visitor_gets_a_csrf_token_django_accepts(client, phone_shop):
    """core.csrf.get_token: the page's form token masks the cookie's secret, as Django's
    get_token does, and an add to cart with it passes the CSRF check; a visitor with a
    cookie keeps its secret."""
    client = Client(enforce_csrf_checks=True)
    black = phone_shop["skus"][("黑色", "128GB")]
    url = f"/p/{black.product.slug}/"
    tokens = set()
    for _ in range(2):
        html = client.get(url).content.decode()
        found = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert found and len(set(found)) == 1
        token = found[0]
        assert len(token) == 64 and token.isascii() and token.isalnum()
        assert _unmask_cipher_token(token) == client.cookies["csrftoken"].value
        tokens.add(token)
    assert len(tokens) == 2, "a fresh mask each time, the same secret"
    response = client.post(
        "/cart/add/",
        {"sku": black.pk, "quantity": 1, "next": "/cart/", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    stranger = Client(enforce_csrf_checks=True)
    stranger.cookies["csrftoken"] = client.cookies["csrftoken"].value
    refused = stranger.post(
        "/cart/add/",
        {"sku": black.pk, "quantity": 1, "next": "/cart/", "csrfmiddlewaretoken": "x" * 64},
    )
    assert refused.status_code == 403


def test_a_slug_longer_than_any_products_is_not_found_without_a_document(client, db):
    """No document key for it (a key too long for a cache): the page answers 404."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # CacheKeyWarning: a key over 250 characters
        assert client.get(f"/p/{'a' * 300}/").status_code == 404

"""An uncached product page: a fixed, small number of queries; the page around its body
filled in from a shell gives what the template renders; and every edit a shopper would
see (name, price, stock, a published review) is on the next request."""

from urllib.parse import quote

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.core.cache import cache
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.utils import translation

from mercato.catalog import selectors
from mercato.catalog.models import ProductImage
from mercato.catalog.services import update_category, update_product, update_sku
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
    """The version, the product with its rating row, its first images and its category's
    ancestors, its SKUs with which have stock, and the related products' cards (with their
    first images)."""
    url = f"/p/{phone_shop['products'][0].slug}/"
    Client().get(url)  # the process's one-off reads (statements compiled, features probed)
    for province in ("", "上海市"):
        visitor = Client()
        if province:
            visitor.cookies["province"] = quote(province)
        cache.clear()
        with django_assert_num_queries(4):
            assert visitor.get(url).status_code == 200


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
    """Name, price, stock and a review, each seen once cached, then changed."""
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
    with django_capture_on_commit_callbacks(execute=True):
        adjust_stock(
            actor=None,
            sku_id=black.pk,
            warehouse_id=phone_shop["warehouses"][0].pk,
            delta=-5,
            reason="盘点",
        )
    assert '<span class="out">无货</span>' in page()
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
        data = product_page_data(slug=product.slug, province="")
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
        data = product_page_data(slug=product.slug, province="")
    expected = selectors.category_trail(category=category)
    assert [(c.pk, c.path, c.depth, c.name, c.slug) for c in data.trail] == [
        (c.pk, c.path, c.depth, c.name, c.slug) for c in expected
    ]

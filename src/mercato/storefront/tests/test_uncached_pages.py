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
from mercato.catalog.services import update_product, update_sku
from mercato.inventory.services import adjust_stock
from mercato.orders.models import Order, OrderStatus
from mercato.reviews import services as reviews
from mercato.storefront import pagecache
from mercato.testing.factories import make_category, make_customer, make_order, priced_line

pytestmark = pytest.mark.django_db


def test_an_uncached_product_page_makes_six_queries(phone_shop, django_assert_num_queries):
    """The version, the product with its rating row, its SKUs with which have stock, its
    images, the category trail and the related products' cards (with their first images)."""
    url = f"/p/{phone_shop['products'][0].slug}/"
    Client().get("/")  # the process's one-off reads
    for province in ("", "上海市"):
        visitor = Client()
        if province:
            visitor.cookies["province"] = quote(province)
        cache.clear()
        with django_assert_num_queries(6):
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

"""What an anonymous GET of a shop page costs: the whole page from the cache, one query,
no session, no CSRF token where nothing posts, no message storage, no audit context; and
that visitors with a session, a message or a form still get what is theirs."""

import re

import pytest
from django.conf import settings
from django.db.models.signals import pre_save
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client

from mercato.customers.services import create_customer

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def shop_urls(phone_shop) -> list[str]:
    return ["/", "/c/shouji/?brand=huawei", f"/p/{phone_shop['products'][0].slug}/"]


def test_a_second_anonymous_visit_is_the_cached_page_for_one_query(
    client, phone_shop, django_assert_num_queries
):
    """Home, a category with a facet and a product: the cached whole page, for the one query
    that reads the shop's version; the same bytes as the page rendered."""
    for url in shop_urls(phone_shop):
        first = client.get(url)
        receivers = len(pre_save.receivers)
        with django_assert_num_queries(1):
            again = Client().get(url)
        assert again.status_code == 200
        strip = TOKEN.sub("", first.content.decode())
        assert TOKEN.sub("", again.content.decode()) == strip
        request = again.wsgi_request
        assert not request.session.accessed  # no session read, none written
        assert settings.SESSION_COOKIE_NAME not in again.cookies
        assert not hasattr(request._messages, "_loaded_data")  # message storage untouched
        assert len(pre_save.receivers) == receivers  # no audit signal per request
        assert "Cookie" in again["Vary"]


def test_pages_without_a_form_that_posts_make_no_csrf_token(client, phone_shop):
    for url in shop_urls(phone_shop)[:2]:
        for _ in range(2):
            response = Client().get(url)
            assert settings.CSRF_COOKIE_NAME not in response.cookies
            assert "csrfmiddlewaretoken" not in response.content.decode()
            assert "X-CSRFToken" not in response.content.decode()


def test_each_visitor_of_a_cached_product_page_gets_a_token_that_posts(phone_shop):
    """The add-to-cart form carries this visitor's CSRF token, not the first visitor's."""
    url = f"/p/{phone_shop['products'][0].slug}/"
    black = phone_shop["skus"][("黑色", "128GB")]
    secrets = set()
    for _ in range(2):
        visitor = Client(enforce_csrf_checks=True)
        page = visitor.get(url)
        token = TOKEN.search(page.content.decode()).group(1)
        secret = page.cookies[settings.CSRF_COOKIE_NAME].value
        assert _unmask_cipher_token(token) == secret
        secrets.add(secret)
        added = visitor.post(
            "/cart/add/",
            {"sku": black.pk, "quantity": "1", "csrfmiddlewaretoken": token, "next": url},
        )
        assert added.status_code == 302
    assert len(secrets) == 2


def test_a_member_sees_their_own_header_and_a_message_is_not_a_cached_page(client, phone_shop):
    url = f"/p/{phone_shop['products'][0].slug}/"
    assert "/account/login/" in Client().get(url).content.decode()  # cached for everyone
    customer = create_customer(mobile="13900139001")
    client.force_login(customer.user)
    page = client.get(url).content.decode()
    assert "/account/login/" not in page and "/account/" in page
    black = phone_shop["skus"][("黑色", "128GB")]
    guest = Client()
    guest.get(url)
    guest.post("/cart/add/", {"sku": black.pk, "quantity": "1", "next": url})
    guest.cookies.pop(settings.SESSION_COOKIE_NAME)  # the message alone marks the visitor
    assert 'class="messages"' in guest.get(url).content.decode()  # 已加入购物车
    assert 'class="messages"' not in Client().get(url).content.decode()


def test_the_language_switch_is_a_link_back_to_the_page(client, phone_shop):
    url = f"/p/{phone_shop['products'][0].slug}/"
    response = client.get("/language/", {"language": "en", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert 'lang="en"' in client.get(url).content.decode()
    assert client.get("/language/", {"language": "xx", "next": "/"}).cookies == {}
    away = client.get("/language/", {"language": "zh-hans", "next": "https://evil.example/"})
    assert away["Location"] == "/"


def test_every_page_gets_the_configured_content_security_policy(client, phone_shop, settings):
    url = f"/p/{phone_shop['products'][0].slug}/"
    policy = client.get(url)["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert client.get(url)["Content-Security-Policy"] == policy  # from the cache too
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert client.get(url)["Content-Security-Policy"] == "default-src 'none'"

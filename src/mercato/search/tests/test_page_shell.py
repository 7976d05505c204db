"""A visitor without a session gets the search page from a shell rendered once per
language (storefront.views_search, pagecache.shell): the same page, byte for byte, as the
one rendered for them in full, with their own query, path and CSRF token."""

import re

import pytest
from django.conf import settings
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.utils.autoreload import file_changed

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


def with_session_cookie() -> Client:
    """A visitor whose session cookie names no session: rendered in full, still anonymous."""
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = "no-such-session"
    return client


@pytest.mark.parametrize(
    "params",
    [
        {"q": "华为 手机"},
        {"q": "手机", "brand": "huawei", "sort": "price_desc", "page": "2"},
        {"q": '<script>"&'},
        {"q": "__csrf_token__ \ue000query\ue000 手机"},  # the slots' names, typed
        {"q": "没有这种东西"},
    ],
)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_shell_page_is_the_page_rendered_in_full(shop, params, language):
    shared = Client(headers={"accept-language": language}).get("/search/", params)
    full = with_session_cookie().get("/search/", params, headers={"accept-language": language})
    assert shared.status_code == full.status_code == 200
    html = shared.content.decode()
    assert TOKEN.sub("", html) == TOKEN.sub("", full.content.decode())
    assert shared["Vary"] == full["Vary"]
    # The visitor's own token, also set as their cookie.
    secret = shared.cookies[settings.CSRF_COOKIE_NAME].value
    assert _unmask_cipher_token(TOKEN.search(html).group(1)) == secret


def test_each_visitor_gets_their_own_token(shop):
    tokens = {TOKEN.search(Client().get("/search/", {"q": "手机"}).content.decode()).group(1)}
    tokens.add(TOKEN.search(Client().get("/search/", {"q": "手机"}).content.decode()).group(1))
    assert len(tokens) == 2


def test_an_edited_template_shows_without_a_restart(shop, tmp_path):
    """The development server: a file changed, the next page has a fresh shell."""
    from mercato.storefront import pagecache

    Client().get("/search/", {"q": "手机"})
    assert pagecache._shells
    file_changed.send(sender=None, file_path=tmp_path / "base.html")
    assert not pagecache._shells

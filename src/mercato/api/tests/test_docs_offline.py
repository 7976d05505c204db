"""/api/docs works without the internet: Swagger UI's assets come from the project."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.django_db


class _AssetLinks(HTMLParser):
    """Every URL a page makes the browser fetch: script src, link href, img src."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img") and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])


def _asset_urls(html: str) -> list[str]:
    parser = _AssetLinks()
    parser.feed(html)
    return parser.urls


def test_docs_page_loads_only_same_origin_assets_and_they_are_served(client):
    """The docs page names no other host (no CDN), and each script, style sheet and icon it
    names is served by Mercato itself."""
    response = client.get("/api/docs")
    assert response.status_code == 200
    # Nothing inline left to allow: the page is under the site's Content-Security-Policy.
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    urls = _asset_urls(response.content.decode())
    assert any(u.endswith(".js") for u in urls) and any(u.endswith(".css") for u in urls)
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{url} is loaded from another host"
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert b"".join(asset.streaming_content if asset.streaming else [asset.content])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_with_every_other_host_blocked(live_server, browser_page):
    """In Chromium with every request to another host refused, /api/docs still shows the
    API's title and its operations, the page tried to reach no other host, and the site's
    Content-Security-Policy refused nothing on it."""
    page = browser_page
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    own = urlsplit(live_server.url).netloc
    refused: list[str] = []

    def only_own_host(route):
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", only_own_host)
    page.goto(f"{live_server.url}/api/docs")
    page.locator(".swagger-ui .info .title").filter(has_text="Mercato API").wait_for()
    page.locator(".opblock-summary-path", has_text="/api/catalog/products").first.wait_for()
    assert refused == []
    assert page.errors == []
    assert not [text for text in console if "Content Security Policy" in text]

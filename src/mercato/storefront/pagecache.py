"""The shop's page cache, keyed by the catalogue's version counter.

A page's body (everything but the header with its log-in links) as a dict of strings,
rendered once per (page, parameters, language, province) and shop version (catalog/
shopcache.py, which services bump when a product, price, stock state or home slot changes),
shared by every visitor (`cached`). A visitor without a session (`shareable`: no log-in, no
guest cart, no message waiting) gets it inside the page's frame, rendered once per process
with slots and filled by joining strings (`shop_page_html`): nothing rendered, no session
read and no CSRF token made, except where the page holds a form that posts (the product
page's add-to-cart, marked with CSRF_SLOT), which gets this visitor's token.

A product page also keeps what it shows that no stock state changes (its product's text,
trail and images, the related cards: storefront.page_data's document) under the content version
(catalog.shopcache), read in the same round trip as the page (`cached_with_document`).

The whole page is not kept beside its body: filling the frame costs less than reading and
writing a second copy of the page (docs/performance.md, "Uncached product pages, third pass").
"""

import hashlib
import re

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.autoreload import file_changed
from django.utils.cache import patch_vary_headers
from django.utils.html import conditional_escape
from django.utils.translation import get_language

from mercato.catalog.shopcache import page_seconds, shop_versions
from mercato.core.csrf import get_token

CSRF_SLOT = "__csrf_token__"  # where a cached page's form takes the visitor's CSRF token
_VERSION = "_mercato_shop_versions"


def versions(request) -> tuple[int, int]:
    """The shop version and the content version, read once per request (one statement)."""
    found = getattr(request, _VERSION, None)
    if found is None:
        found = shop_versions()
        setattr(request, _VERSION, found)
    return found


def version(request) -> int:
    """The shop version, read once per request."""
    return versions(request)[0]


def content_version(request) -> int:
    """The content version (catalog.shopcache), read with the shop version."""
    return versions(request)[1]


def _key(request, prefix: str, parts: tuple) -> str:
    raw = "|".join(str(p) for p in (*parts, get_language()))
    digest = hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()
    return f"{prefix}:{version(request)}:{digest}"


def shareable(request) -> bool:
    """True when the visitor sees what every visitor without a session sees."""
    cookies = request.COOKIES
    return (
        settings.SESSION_COOKIE_NAME not in cookies
        and CookieStorage.cookie_name not in cookies
        and not getattr(request, "htmx", False)
    )


def cached(request, parts: tuple, build) -> dict:
    """`build()` → dict of strings, cached under `parts` + language + shop version."""
    key = _key(request, "sf", parts)
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, page_seconds())
    return value


def cached_with_document(request, parts: tuple, document_key: str, build) -> dict:
    """cached() for a page that also keeps a document under `document_key` (a key that
    carries its own version, content_version()): both read in one round trip; on a miss
    `build(document or None)` → (the page's dict, a document to keep or None)."""
    key = _key(request, "sf", parts)
    found = cache.get_many([key, document_key])
    value = found.get(key)
    if value is None:
        value, document = build(found.get(document_key))
        if document is None:
            cache.set(key, value, page_seconds())
        else:
            cache.set_many({key: value, document_key: document}, page_seconds())
    return value


def page_response(request, html: str, status: int = 200) -> HttpResponse:
    """The HTML as a response, with this visitor's CSRF token in the page's form, if any."""
    if CSRF_SLOT in html:
        html = html.replace(CSRF_SLOT, get_token(request))
    response = HttpResponse(html, status=status)
    # What the page shows depends on the language, province and session cookies.
    patch_vary_headers(response, ("Cookie",))
    return response


# A page around its per-request parts (storefront/page.html around a body: head, header,
# footer, chat; the search page around its results) is the same for every visitor without a
# session but for those parts: rendered once per process, template, language and URL prefix
# with slots in their places, then filled by joining strings. The product page's frame was
# about a third of an uncached page's template time. Private-use characters mark the slots:
# no shop text holds them, and what fills a slot is never read as one.
_SLOT = re.compile("\ue000(\\w+)\ue000")
_shells: dict[tuple, list[str]] = {}


def slot(name: str) -> str:
    """Where `fill` puts the value of `name`."""
    return f"\ue000{name}\ue000"


def shell(template: str, context, request=None) -> list[str]:
    """`template` rendered with `context()` (slot() where a value goes), kept per process,
    template, language and URL prefix, cut at its slots: [text, name, text, name, ..., text]."""
    key = (template, get_language(), get_script_prefix())
    found = _shells.get(key)
    if found is None:
        html = render_to_string(template, context(), request)
        found = _shells[key] = _SLOT.split(html)
    return found


def fill(parts: list[str], values: dict) -> str:
    """A shell's parts with each slot's value put in, in one pass."""
    return "".join(part if i % 2 == 0 else values[part] for i, part in enumerate(parts))


@receiver(setting_changed)  # a test changed a setting a page may show (static files, languages)
@receiver(file_changed)  # the development server: a template edited
def _forget_shells(**kwargs) -> None:
    _shells.clear()


class _PathSlot:
    """Stands in for the request where the template asks for the page's path."""

    def get_full_path(self) -> str:
        return slot("path")


def _page_slots() -> dict:
    return {"title": slot("title"), "meta": slot("meta"), "body": slot("body"),
            "request": _PathSlot()}  # fmt: skip


def shop_page_html(request, data: dict) -> str:
    """storefront/page.html around `data` (title, meta, body), as `render_to_string` gives it;
    for a `shareable` visitor from the shell, for others rendered (their log-in links)."""
    if not shareable(request):
        return render_to_string("storefront/page.html", data, request)
    values = {
        "title": conditional_escape(data["title"]),
        "meta": data["meta"],
        "body": data["body"],
        "path": conditional_escape(request.get_full_path()),
    }
    return fill(shell("storefront/page.html", _page_slots, request), values)

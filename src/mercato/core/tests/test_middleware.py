"""core.middleware's versions of Django's and the libraries' middleware answer as those do
(docs/performance.md, "The fixed cost of a request"): the same status, headers and cookies
for the same requests, with what gave the same result every request done once."""

import asyncio
import re

import pytest
from axes.middleware import AxesMiddleware as LibraryAxesMiddleware
from csp import decorators as csp_decorators
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from django.contrib import messages
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.sessions.backends import cached_db
from django.core.cache import caches
from django.http import HttpResponse, JsonResponse
from django.middleware.common import CommonMiddleware as DjangoCommonMiddleware
from django.middleware.security import SecurityMiddleware as DjangoSecurityMiddleware
from django.test import Client, RequestFactory
from django.utils import translation
from django.utils.functional import empty
from django.utils.module_loading import import_string

from mercato.core import middleware
from mercato.core.sessions import SessionStore

LIBRARY = {  # core.middleware's class -> the class it stands for
    "mercato.core.middleware.SecurityMiddleware": "django.middleware.security.SecurityMiddleware",
    "mercato.core.middleware.CommonMiddleware": "django.middleware.common.CommonMiddleware",
    "mercato.core.middleware.MessageMiddleware":
        "django.contrib.messages.middleware.MessageMiddleware",
    "mercato.core.middleware.AxesMiddleware": "axes.middleware.AxesMiddleware",
}  # fmt: skip


def answers(client, requests) -> list:
    out = []
    for method, path, extra in requests:
        response = getattr(client, method)(path, **extra)
        # All but the random request id and never_cache's Expires (this second).
        headers = {k: v for k, v in response.items() if k not in ("X-Request-ID", "Expires")}
        cookies = sorted(
            # The attributes (not the random value, nor the expiry's second).
            (name, {k: v for k, v in morsel.items() if v and k != "expires"})
            for name, morsel in response.cookies.items()
        )
        out.append((response.status_code, headers, cookies))
    return out


@pytest.mark.django_db
def test_the_same_answers_as_the_library_classes(settings, phone_shop):
    product = f"/p/{phone_shop['products'][0].slug}/"
    requests = [
        ("get", "/healthz", {}),
        ("get", product, {}),
        ("get", product, {"HTTP_COOKIE": "django_language=en"}),
        ("get", "/c/shouji/", {"HTTP_X_REQUEST_ID": "abc-1"}),
        ("get", "/no/such/page", {}),  # 404, no slash appended: nothing matches either
        ("get", "/cart", {}),  # APPEND_SLASH's redirect
        ("get", "/healthz", {"HTTP_HOST": "evil.example"}),  # DisallowedHost: 400
        ("get", "/healthz", {"HTTP_HOST": "localhost:8000"}),
        ("post", "/cart/add/", {"data": {"sku": "1"}}),  # no CSRF token: 403
        ("get", "/api/docs", {}),
    ]
    ours = answers(Client(enforce_csrf_checks=True), requests)
    settings.MIDDLEWARE = [LIBRARY.get(path, path) for path in settings.MIDDLEWARE]
    assert answers(Client(enforce_csrf_checks=True), requests) == ours
    assert [status for status, _, _ in ours] == [200, 200, 200, 200, 404, 301, 400, 200, 403, 200]


def test_each_stands_for_its_library_class(settings):
    for ours, library in LIBRARY.items():
        assert ours in settings.MIDDLEWARE and library not in settings.MIDDLEWARE
        assert issubclass(import_string(ours), import_string(library))
    # axes' own check looks for its dotted path: silenced, as MIDDLEWARE has the subclass.
    assert settings.SILENCED_SYSTEM_CHECKS == ["axes.W002"]


def test_the_referrer_policy_as_django_writes_it(settings):
    settings.SECURE_REFERRER_POLICY = " same-origin ,  strict-origin"
    request = RequestFactory().get("/")
    for cls in (middleware.SecurityMiddleware, DjangoSecurityMiddleware):
        response = cls(lambda r: HttpResponse())(request)
        assert response["Referrer-Policy"] == "same-origin,strict-origin"


def test_a_host_allowed_later_is_allowed_and_one_refused_later_is_refused(settings, client):
    settings.ALLOWED_HOSTS = ["shop.example"]
    assert client.get("/healthz", HTTP_HOST="shop.example").status_code == 200
    assert client.get("/healthz", HTTP_HOST="other.example").status_code == 400
    settings.ALLOWED_HOSTS = ["other.example"]
    assert client.get("/healthz", HTTP_HOST="shop.example").status_code == 400
    assert client.get("/healthz", HTTP_HOST="other.example").status_code == 200


def test_a_disallowed_user_agent_is_refused_as_by_django(settings):
    settings.DISALLOWED_USER_AGENTS = [re.compile("BadBot")]
    request = RequestFactory().get("/", HTTP_USER_AGENT="BadBot/1.0")
    for cls in (middleware.CommonMiddleware, DjangoCommonMiddleware):
        with pytest.raises(Exception, match="Forbidden user agent"):
            cls(lambda r: HttpResponse()).process_request(request)


def test_vary_and_content_language_follow_the_response_and_the_active_language():
    def switching(request):
        translation.activate("en")  # a view that switched the language
        response = JsonResponse({})
        response["Vary"] = "Cookie"
        return response

    with translation.override("zh-hans"):
        plain = middleware.ChosenLanguageMiddleware(lambda r: JsonResponse({}))(
            RequestFactory().get("/")
        )
        switched = middleware.ChosenLanguageMiddleware(switching)(RequestFactory().get("/"))
    assert (plain["Vary"], plain["Content-Language"]) == ("Accept-Language", "zh-hans")
    assert (switched["Vary"], switched["Content-Language"]) == ("Cookie, Accept-Language", "en")


def test_the_chosen_language_is_the_request_language_code():
    for cookie, code in (("en", "en"), ("zh-hans", "zh-hans"), ("xx", "zh-hans"), ("", "zh-hans")):
        request = RequestFactory().get("/", HTTP_COOKIE=f"django_language={cookie}")
        with translation.override(None):
            middleware.activate_chosen_language(request)
            assert request.LANGUAGE_CODE == code == translation.get_language()


def test_the_message_storage_follows_the_setting(settings):
    request = RequestFactory().get("/")
    request.session = SessionStore()
    middleware.MessageMiddleware(lambda r: HttpResponse()).process_request(request)
    # __class__, not type(): ours is made when first used (a lazy object until then).
    assert request._messages.__class__.__module__ == "mercato.core.messages"
    settings.MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
    for cls in (middleware.MessageMiddleware, DjangoMessageMiddleware):
        cls(lambda r: HttpResponse()).process_request(request)
        assert request._messages.__class__.__name__ == "SessionStorage"


def _messages_cookie(view) -> tuple[str | None, str | None]:
    """The messages cookie after `view` under ours and under Django's MessageMiddleware."""
    values = []
    for cls in (middleware.MessageMiddleware, DjangoMessageMiddleware):
        request = RequestFactory().get("/")
        request.session = SessionStore()
        response = cls(view)(request)
        morsel = response.cookies.get("messages")
        values.append(morsel.value.split(":")[0] if morsel else None)  # the payload, unsigned
    return tuple(values)


def test_a_request_that_uses_no_message_builds_no_storage_and_stores_nothing():
    seen = []

    def view(request):
        # Ours: a SimpleLazyObject, its `_wrapped` `empty` until used (Django's: none).
        seen.append(getattr(request._messages, "_wrapped", None))
        return HttpResponse()

    assert _messages_cookie(view) == (None, None)
    assert seen[0] is empty


def test_messages_added_or_read_are_stored_as_by_django():
    def add(request):
        messages.success(request, "已加入购物车。")
        return HttpResponse()

    ours, django = _messages_cookie(add)
    assert ours == django and ours is not None

    def read(request):
        request.COOKIES["messages"] = "bad"  # a tampered cookie: read, found invalid
        list(messages.get_messages(request))
        return HttpResponse()

    assert _messages_cookie(read) == (None, None)


def test_axes_decides_sync_or_async_once():
    async def inner(request):
        return HttpResponse()

    request = RequestFactory().get("/")
    sync = middleware.AxesMiddleware(lambda r: HttpResponse())
    assert sync(request).status_code == 200
    asynchronous = middleware.AxesMiddleware(inner)
    assert asyncio.run(asynchronous(request)).status_code == 200
    assert isinstance(asynchronous, LibraryAxesMiddleware)


def test_request_ids_are_32_hex_digits_each_new():
    ids = {middleware.new_request_id() for _ in range(100)}
    assert len(ids) == 100 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)


def test_a_session_store_starts_as_djangos_and_finds_the_cache_when_used(settings):
    ours, django = SessionStore("k" * 32), cached_db.SessionStore("k" * 32)
    assert "_cache" not in vars(ours)  # not looked up for a request that never reads it
    assert {k: v for k, v in vars(django).items() if k != "_cache"} == vars(ours)
    assert ours._cache is caches[settings.SESSION_CACHE_ALIAS] is django._cache


@pytest.mark.parametrize(
    "decorate",
    [
        lambda view: view,
        csp_decorators.csp_update({"img-src": ["https://img.example"]}),
        csp_decorators.csp_replace({"script-src": ["'none'"]}),
        csp_decorators.csp_exempt(),
    ],
)
def test_the_policy_header_as_django_csp_writes_it(decorate):
    """The fixed policy on a plain response; a view's own (csp's decorators) the library's."""
    view = decorate(lambda request: HttpResponse())
    headers = []
    for cls in (middleware.CSPMiddleware, LibraryCSPMiddleware):
        request = RequestFactory().get("/")
        headers.append(cls(view)(request).get("Content-Security-Policy"))
    assert headers[0] == headers[1]

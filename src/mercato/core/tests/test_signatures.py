"""Signed values remembered within their second (core.signatures): the same strings as
Django's, the session's and the messages cookie's; request.htmx read from META."""

from unittest import mock

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage as DjangoCookieStorage
from django.contrib.sessions.backends.base import SessionBase
from django.core import signing
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from mercato.core import signatures
from mercato.core.messages import CookieStorage
from mercato.core.middleware import HtmxMiddleware
from mercato.core.sessions import SessionStore

NOW = 1_796_000_000.2  # any fixed second


@pytest.fixture
def frozen():
    signatures._signed.clear()
    with mock.patch("time.time", return_value=NOW) as clock:
        yield clock
    signatures._signed.clear()


def test_an_empty_session_encodes_as_djangos_and_is_signed_once_a_second(frozen):
    store = SessionStore()
    django_way = SessionBase.encode(store, {})
    with mock.patch.object(signing, "dumps", wraps=signing.dumps) as sign:
        assert store.encode({}) == django_way
        assert SessionStore().encode({}) == django_way
        assert sign.call_count == 1
        frozen.return_value = NOW + 1  # the next second: signed again, its own timestamp
        later = store.encode({})
        assert sign.call_count == 2
    assert later != django_way
    assert store.decode(later) == {}
    # A session with data is signed each time, as Django does.
    assert store.decode(store.encode({"a": 1})) == {"a": 1}


def test_a_value_signed_as_the_second_ticks_is_not_kept_for_the_earlier_second(frozen):
    calls = []

    def sign():
        calls.append(1)
        return signing.TimestampSigner(salt="x").sign("v")  # signed in the next second

    with mock.patch.object(signing.TimestampSigner, "timestamp", lambda self: "zz"):
        signatures.signed_this_second(("k",), sign)
        signatures.signed_this_second(("k",), sign)
    assert len(calls) == 2


def _cookie(storage_class, request, *texts):
    storage = storage_class(request)
    for text in texts:
        storage.add(constants.SUCCESS, text)
    response = HttpResponse()
    storage.update(response)
    return response.cookies[storage.cookie_name].value


def test_the_messages_cookie_is_djangos_byte_for_byte(frozen):
    request = RequestFactory().get("/")
    ours = _cookie(CookieStorage, request, "Added to your cart.")
    assert ours == _cookie(DjangoCookieStorage, request, "Added to your cart.")
    assert _cookie(CookieStorage, request, "Added to your cart.") == ours  # remembered
    two = _cookie(CookieStorage, request, "one", "two")
    assert two == _cookie(DjangoCookieStorage, request, "one", "two")
    request.COOKIES[CookieStorage.cookie_name] = two
    assert [m.message for m in CookieStorage(request)] == ["one", "two"]
    assert list(CookieStorage(request))[0] == Message(constants.SUCCESS, "one")


def test_a_new_secret_key_signs_anew(frozen):
    request = RequestFactory().get("/")
    before = _cookie(CookieStorage, request, "Added to your cart.")
    with override_settings(SECRET_KEY="another secret key, long enough for the checks 0123"):
        after = _cookie(CookieStorage, request, "Added to your cart.")
        assert after == _cookie(DjangoCookieStorage, request, "Added to your cart.")
        assert SessionStore().encode({}) == SessionBase.encode(SessionStore(), {})
    assert after != before


def test_request_htmx_reads_the_hx_headers_from_meta():
    seen = {}

    def view(request):
        seen.update(is_htmx=bool(request.htmx), target=request.htmx.target)
        seen["headers_built"] = "headers" in request.__dict__
        return HttpResponse()

    factory = RequestFactory()
    HtmxMiddleware(view)(factory.post("/", headers={"HX-Request": "true", "HX-Target": "cart"}))
    assert seen == {"is_htmx": True, "target": "cart", "headers_built": False}
    HtmxMiddleware(view)(factory.post("/"))
    assert seen == {"is_htmx": False, "target": None, "headers_built": False}
    request = factory.get(
        "/",
        headers={
            "HX-Request": "true",
            "HX-Prompt": "%E4%BD%A0",
            "HX-Prompt-URI-AutoEncoded": "true",
        },
    )
    HtmxMiddleware(lambda r: HttpResponse())(request)
    assert request.htmx.prompt == "你"

"""core.csrf.get_token gives what Django's gives: a token Django's check accepts, the
secret it masks in request.META for the cookie, characters uniform over the alphabet."""

from collections import Counter
from unittest import mock

import pytest
from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CsrfViewMiddleware,
    _unmask_cipher_token,
)
from django.middleware.csrf import get_token as django_get_token
from django.test import RequestFactory

from mercato.core import random_strings
from mercato.core.csrf import get_token
from mercato.core.random_strings import random_string


def test_a_new_visitor_gets_a_secret_and_a_token_that_masks_it():
    request = RequestFactory().get("/")
    token = get_token(request)
    secret = request.META["CSRF_COOKIE"]
    assert len(token) == 64 and set(token) <= set(CSRF_ALLOWED_CHARS)
    assert len(secret) == 32 and _unmask_cipher_token(token) == secret
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    again = get_token(request)
    assert again != token and _unmask_cipher_token(again) == secret  # a new mask each time


def test_a_known_visitor_keeps_the_secret_and_django_reads_the_same():
    request = RequestFactory().get("/")
    secret = request.META["CSRF_COOKIE"] = "a" * 16 + "Z9" * 8
    ours, djangos = get_token(request), django_get_token(request)
    assert _unmask_cipher_token(ours) == _unmask_cipher_token(djangos) == secret
    assert request.META["CSRF_COOKIE"] == secret


def test_djangos_check_accepts_the_token_for_the_cookie():
    page = RequestFactory().get("/")
    token = get_token(page)
    middleware = CsrfViewMiddleware(lambda request: None)
    post = RequestFactory().post(
        "/", {"csrfmiddlewaretoken": token}, HTTP_COOKIE=f"csrftoken={page.META['CSRF_COOKIE']}"
    )
    middleware.process_request(post)
    assert middleware.process_view(post, lambda request: None, (), {}) is None
    forged = RequestFactory().post(
        "/", {"csrfmiddlewaretoken": token}, HTTP_COOKIE="csrftoken=" + "b" * 32
    )
    middleware.process_request(forged)
    assert middleware.process_view(forged, lambda request: None, (), {}).status_code == 403


@pytest.mark.parametrize(
    "alphabet", [CSRF_ALLOWED_CHARS, "abc", "0123456789abcdefghijklmnopqrstuvwxyz"]
)
def test_random_strings_are_uniform_over_the_alphabet(alphabet):
    drawn = [random_string(32, alphabet) for _ in range(3000)]
    assert len(set(drawn)) == 3000 and all(len(s) == 32 for s in drawn)
    counts = Counter("".join(drawn))
    assert set(counts) == set(alphabet)
    expected = 32 * 3000 / len(alphabet)
    # Each character within 15% of its share (a 62-character alphabet: 1,548 each, the
    # standard deviation about 39): a byte mapped unevenly would be off by a third or more.
    assert all(abs(n - expected) < 0.15 * expected for n in counts.values())
    # Every position takes every character: no position of the draw is stuck.
    assert all(len({s[i] for s in drawn}) == len(alphabet) for i in range(32))


def test_a_draw_short_of_characters_is_topped_up():
    dropped_only = bytes([255] * 40)  # above 248 (62) and 252 (36): all dropped
    with mock.patch.object(random_strings.os, "urandom", side_effect=[dropped_only, bytes(40)]):
        assert random_string(32, CSRF_ALLOWED_CHARS) == CSRF_ALLOWED_CHARS[0] * 32

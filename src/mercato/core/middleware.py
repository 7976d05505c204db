import os
import re
from collections.abc import Callable
from functools import lru_cache, partial
from urllib.parse import unquote

import axes.middleware
import csp.constants
import csp.middleware
import django_htmx.middleware
from asgiref.sync import iscoroutinefunction
from csp.middleware import CheckableLazyObject
from csp.utils import build_policy
from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.contrib.messages import middleware as messages_middleware
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse
from django.http.request import split_domain_port, validate_host
from django.middleware import common, security
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.locale import LocaleMiddleware
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject, empty
from django.utils.module_loading import import_string

from .logging import request_id_var, request_var

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def new_request_id() -> str:
    """32 hex digits, 128 random bits (what uuid4().hex gave, in one call instead of ten)."""
    return os.urandom(16).hex()


class RequestIdMiddleware:
    """Takes X-Request-ID from the proxy when it looks sane, else makes one; echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # META, not request.headers: that builds a dict of every header (HtmxMiddleware
        # below reads META too).
        incoming = request.META.get("HTTP_X_REQUEST_ID")
        rid = incoming if incoming and _SAFE_ID.match(incoming) else new_request_id()
        request.request_id = rid
        token = request_id_var.set(rid)
        request_token = request_var.set(request)  # log lines name the client IP (logging.py)
        try:
            response = self.get_response(request)
        finally:
            request_var.reset(request_token)
            request_id_var.reset(token)
        response["X-Request-ID"] = rid
        return response


def activate_chosen_language(request) -> None:
    """The UI language is the one the visitor chose (the language cookie set by /language/
    or /i18n/setlang/), else Simplified Chinese. The browser's Accept-Language is not
    used: Mercato serves a Chinese shop first, and English is a choice, not a guess."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    try:
        language = translation.get_supported_language_variant(chosen) if chosen else None
    except LookupError:
        language = None
    language = language or settings.LANGUAGE_CODE
    translation.activate(language)
    # What get_language() then gives (the code, lower case): asking it is a dozen calls.
    request.LANGUAGE_CODE = translation.to_language(language)


class ChosenLanguageMiddleware(LocaleMiddleware):
    """LocaleMiddleware with the visitor's chosen language (activate_chosen_language)."""

    def process_request(self, request):
        activate_chosen_language(request)

    def process_response(self, request, response):
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        if is_language_prefix_patterns_used(urlconf)[0]:
            return super().process_response(request, response)
        # What LocaleMiddleware does without i18n_patterns (Mercato's URLs have none),
        # without looking for a language in the path first; a response with no Vary yet
        # (most) gets the header without patch_vary_headers parsing it.
        if "Vary" in response.headers:
            patch_vary_headers(response, ("Accept-Language",))
        else:
            response.headers["Vary"] = "Accept-Language"
        if "Content-Language" not in response.headers:
            # The language active now: a view may have switched it.
            response.headers["Content-Language"] = translation.get_language()
        return response


class SecurityMiddleware(security.SecurityMiddleware):
    """Django's, its Referrer-Policy value split and stripped once, not per response."""

    def __init__(self, get_response):
        super().__init__(get_response)
        if isinstance(self.referrer_policy, str):
            self.referrer_policy = tuple(v.strip() for v in self.referrer_policy.split(","))


class CommonMiddleware(common.CommonMiddleware):
    """Django's, with the Host check remembered per Host value.

    Django's process_request validates the Host against ALLOWED_HOSTS (request.get_host(),
    40 calls) on every request only to refuse a bad one (DisallowedHost, answered 400) and
    for PREPEND_WWW. Here the verdict for each Host value is remembered: an allowed Host
    costs a dictionary look-up; a refused one goes through request.get_host(), which raises
    as before. With PREPEND_WWW or DISALLOWED_USER_AGENTS set, Django's code runs."""

    def process_request(self, request):
        if (
            settings.PREPEND_WWW
            or settings.DISALLOWED_USER_AGENTS
            or not _host_allowed(request._get_raw_host())
        ):
            return super().process_request(request)  # a refused Host: DisallowedHost
        return None


@lru_cache(maxsize=256)
def _host_allowed(host: str) -> bool:
    """HttpRequest.get_host()'s verdict on a raw Host value (Django 5.2)."""
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]
    domain, _port = split_domain_port(host)
    return bool(domain and validate_host(domain, allowed_hosts))


@receiver(setting_changed)
def _forget_hosts(*, setting, **kwargs):
    if setting in ("ALLOWED_HOSTS", "DEBUG", "USE_X_FORWARDED_HOST", "USE_X_FORWARDED_PORT"):
        _host_allowed.cache_clear()


class MessageMiddleware(messages_middleware.MessageMiddleware):
    """Django's, the storage class imported once per MESSAGE_STORAGE value, not per request,
    and the storage made when it is first used: most requests (the API's, redirects after
    a POST) show and add no message, and Django built it for each of them (a cookie and a
    session storage, ~15 us of an order placement's CPU) only to have it store nothing at
    the end (BaseStorage.update does nothing for a storage neither read nor added to)."""

    def process_request(self, request):
        storage = _message_storage(settings.MESSAGE_STORAGE)
        request._messages = SimpleLazyObject(partial(storage, request))

    def process_response(self, request, response):
        messages = getattr(request, "_messages", None)
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:
            return response  # never used
        return super().process_response(request, response)


@lru_cache(maxsize=4)
def _message_storage(path: str):
    return import_string(path)


class AxesMiddleware(axes.middleware.AxesMiddleware):
    """django-axes' middleware, deciding sync or async once, as Django does for its own:
    axes asked asgiref whether the middleware was a coroutine function on every request
    (about 20 calls) to pick the same branch each time."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self._async = iscoroutinefunction(self)

    def __call__(self, request):
        if self._async:
            return self.__acall__(request)
        response = self.get_response(request)
        if settings.AXES_ENABLED and getattr(request, "axes_locked_out", None):
            credentials = getattr(request, "axes_credentials", None)
            response = axes.middleware.get_lockout_response(request, response, credentials)
        return response


class _HtmxDetails(django_htmx.middleware.HtmxDetails):
    def _get_header_value(self, name: str) -> str | None:
        # As django-htmx's, from META (HX-Request is HTTP_HX_REQUEST).
        meta, key = self.request.META, "HTTP_" + name.upper().replace("-", "_")
        value = meta.get(key) or None
        if value and meta.get(f"{key}_URI_AUTOENCODED") == "true":
            value = unquote(value)
        return value


class HtmxMiddleware(django_htmx.middleware.HtmxMiddleware):
    """django-htmx's middleware, its request.htmx reading the HX- headers from
    request.META: django-htmx reads request.headers, a dict of every header built on
    first use, for the one or two it asks for (every POST view asks `request.htmx`)."""

    def __call__(self, request):
        if self.async_mode:
            return self.__acall__(request)
        request.htmx = _HtmxDetails(request)
        return self.get_response(request)

    async def __acall__(self, request):
        request.htmx = _HtmxDetails(request)
        return await self.get_response(request)


# Early answers: view name ("namespace:name") -> function(request, **url kwargs) giving an
# HttpResponse, or None to let the request go through the whole stack.
_EARLY: dict[str, Callable[..., HttpResponse | None]] = {}


def answers_early(view_name: str):
    """Register the decorated function as the early answer of the POST view `view_name`
    (EarlyAnswerMiddleware)."""

    def register(function):
        _EARLY[view_name] = function
        return function

    return register


class _CsrfCheck(CsrfViewMiddleware):
    # Django's check, quiet on failure: CsrfViewMiddleware refuses (and logs) the request
    # again when it gets there.
    def _reject(self, request, reason):
        return False


class EarlyAnswerMiddleware:
    """Lets a POST endpoint answer some requests before the session, the user and the rest
    of the stack are loaded: the crowd on a sold-out flash sale item costs a Redis read or
    two (checkout.flash_buy.early_answer), not a whole request. Placed right after
    SecurityMiddleware; an endpoint registers with `answers_early`. Which view a POST path
    is for is remembered (_early_for), so other POSTs pay a dictionary look-up, not a
    second URL resolution.

    The early answer is only asked for requests that pass Django's CSRF check: it may count
    rate limits, which a request forged from another site must not do to its victim. The
    others go on to CsrfViewMiddleware, which refuses them as before."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.csrf = _CsrfCheck(get_response)

    def __call__(self, request):
        response = self._early(request) if request.method == "POST" else None
        return response if response is not None else self.get_response(request)

    def _early(self, request) -> HttpResponse | None:
        found = _early_for(settings.ROOT_URLCONF, request.path_info)
        if found is None:
            return None
        early, kwargs = found
        self.csrf.process_request(request)
        # No view: none is exempt.
        if self.csrf.process_view(request, None, (), {}) is not None:
            return None
        activate_chosen_language(request)
        response = early(request, **dict(kwargs))
        if response is not None:
            response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


@lru_cache(maxsize=1024)
def _early_for(urlconf: str, path: str):
    """(early answer, URL kwargs) of the view `path` resolves to, or None."""
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return None
    early = _EARLY.get(match.view_name)
    return (early, tuple(match.kwargs.items())) if early else None


@receiver(setting_changed)
def _forget_early(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _early_for.cache_clear()


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware, with the policy header built once per process.

    django-csp builds the header (and the report-only one) from the settings again for
    every response. It only differs when a view overrides the policy (csp's decorators mark
    the response) or a page uses a nonce; those responses go the library's way."""

    # What csp's decorators set on a response; any of them (even None) on this response:
    # the library's way.
    _OVERRIDES = frozenset(f"_csp_{kind}{ro}" for kind in ("config", "update", "replace")
                           for ro in ("", "_ro"))  # fmt: skip

    def process_response(self, request, response):
        if (
            getattr(request, "_csp_nonce", None) is not None
            or not self._OVERRIDES.isdisjoint(vars(response))
            or (settings.DEBUG and response.status_code in (404, 500))
        ):
            return super().process_response(request, response)
        path = request.path_info
        for header, value, excluded, exempt in _fixed_policies():
            if header not in response and not getattr(response, exempt, False):
                if not path.startswith(excluded):
                    response[header] = value
        # As the library: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


@lru_cache(maxsize=1)
def _fixed_policies() -> tuple[tuple[str, str, tuple[str, ...], str], ...]:
    """(header, policy, excluded path prefixes, exemption attribute) from the settings."""
    policies = []
    for header, name, exempt, report_only in (
        (csp.constants.HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt", False),
        (csp.constants.HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY",
         "_csp_exempt_ro", True),
    ):  # fmt: skip
        value = build_policy(report_only=report_only)
        if value:
            prefixes = (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            policies.append((header, value, tuple(prefixes), exempt))
    return tuple(policies)


@receiver(setting_changed)
def _forget_policies(*, setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _fixed_policies.cache_clear()

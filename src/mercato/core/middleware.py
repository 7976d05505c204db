import re
import uuid
from functools import lru_cache

import csp.constants
import csp.middleware
from csp.middleware import CheckableLazyObject
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from .logging import request_id_var, request_var

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Takes X-Request-ID from the proxy when it looks sane, else makes one; echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
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


class ChosenLanguageMiddleware(LocaleMiddleware):
    """The UI language is the one the visitor chose (the language cookie set by /language/
    or /i18n/setlang/), else Simplified Chinese. The browser's Accept-Language is not
    used: Mercato serves a Chinese shop first, and English is a choice, not a guess."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        try:
            language = translation.get_supported_language_variant(chosen) if chosen else None
        except LookupError:
            language = None
        translation.activate(language or settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware, with the policy header built once per process.

    django-csp builds the header (and the report-only one) from the settings again for
    every response. It only differs when a view overrides the policy (csp's decorators mark
    the response) or a page uses a nonce; those responses go the library's way."""

    _OVERRIDES = tuple(f"_csp_{kind}{ro}" for kind in ("config", "update", "replace")
                       for ro in ("", "_ro"))  # fmt: skip

    def process_response(self, request, response):
        if (
            getattr(request, "_csp_nonce", None) is not None
            or any(getattr(response, name, None) is not None for name in self._OVERRIDES)
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

import re
import uuid

from auditlog.context import auditlog_value
from auditlog.middleware import AuditlogMiddleware
from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from .http import client_ip
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
    """The UI language is the one the visitor chose (the language cookie set by
    /i18n/setlang/), else Simplified Chinese. The browser's Accept-Language is not used:
    Mercato serves a Chinese shop first, and English is a choice, not a guess."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        try:
            language = translation.get_supported_language_variant(chosen) if chosen else None
        except LookupError:
            language = None
        translation.activate(language or settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()


class AuditContextMiddleware(AuditlogMiddleware):
    """auditlog's middleware, which also forgets the request's actor and IP afterwards:
    auditlog leaves them in the thread's context, where a later write in the same thread
    (a test, a task run eagerly) would be attributed to this request's user.

    The IP is the client's (core/http.py), not the first X-Forwarded-For entry that
    auditlog would take from anyone who sends the header."""

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request) or None

    @staticmethod
    def _get_remote_port(request):
        return None  # X-Forwarded-Port is the client's word; the port is not needed

    def __call__(self, request):
        token = auditlog_value.set(None)
        try:
            return super().__call__(request)
        finally:
            auditlog_value.reset(token)

"""One error format for every 4xx the API sends.

    {"detail": "what went wrong", "errors": [{"field": "name", "message": "..."}]}

`install_error_handlers` maps ninja's own errors (validation, unparsable body, auth,
CSRF), Django's (Http404, PermissionDenied, ValidationError) and the services'
DomainError subclasses to it. `JsonErrorsAPI` also answers unknown paths and wrong methods
under /api/ in that format, where ninja and Django would send HTML or plain text.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404, HttpResponseNotAllowed
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from mercato.core.errors import DomainError

# Where ninja says a bad value came from; the client only needs the field's own name.
_SOURCES = {"body", "query", "path", "form", "file", "header", "cookie"}


def field_name(loc) -> str:
    """("body", "payload", "name") → "name"; ("query", "limit") → "limit"."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in _SOURCES:
        source, parts = parts[0], parts[1:]
        # A JSON body arrives as one parameter (`payload`); its name is ours, not the client's.
        if source == "body" and len(parts) > 1:
            parts = parts[1:]
    return ".".join(parts) or "body"


def error_body(detail: str, errors: list[dict] | None = None) -> dict:
    return {"detail": str(detail), "errors": errors or []}


def _validation_errors(errors: list[dict]) -> list[dict]:
    result = []
    for error in errors:
        message = str(error.get("msg", "Invalid value"))
        # pydantic prefixes messages of custom validators with "Value error, ".
        message = message.removeprefix("Value error, ")
        result.append({"field": field_name(error.get("loc", ())), "message": message})
    return result


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request, status: int, detail: str, errors: list[dict] | None = None):
        return api.create_response(request, error_body(detail, errors), status=status)

    @api.exception_handler(NinjaValidationError)
    def on_validation_error(request, exc):
        return respond(request, 422, "Invalid input", _validation_errors(exc.errors))

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request, exc):
        response = respond(
            request,
            401,
            "Authentication required: send 'Authorization: Bearer <API token>' "
            "or log in to the back office",
        )
        response["WWW-Authenticate"] = 'Bearer realm="mercato"'
        return response

    @api.exception_handler(HttpError)
    def on_http_error(request, exc):
        # ninja's own: 400 for an unparsable body, 403 for a failed CSRF check, 429, ...
        return respond(request, exc.status_code, exc.message)

    @api.exception_handler(DomainError)
    def on_domain_error(request, exc):
        return respond(request, exc.status, exc.message, exc.errors())

    @api.exception_handler(Http404)
    def on_not_found(request, exc):
        return respond(request, 404, "Not found")

    @api.exception_handler(PermissionDenied)
    def on_permission_denied(request, exc):
        return respond(request, 403, str(exc) or "Permission denied")

    @api.exception_handler(DjangoValidationError)
    def on_django_validation_error(request, exc):
        if hasattr(exc, "error_dict"):
            errors = [
                {"field": field, "message": message}
                for field, messages in exc.message_dict.items()
                for message in messages
            ]
        else:
            errors = [{"field": None, "message": m} for m in exc.messages]
        return respond(request, 422, "Invalid input", errors)

    @api.exception_handler(IntegrityError)
    def on_integrity_error(request, exc):
        # Services check uniqueness first; this is the race where a rival request won.
        return respond(request, 409, "The change conflicts with data saved meanwhile; retry")

    @api.exception_handler(DataError)
    def on_data_error(request, exc):
        return respond(request, 400, "A value is out of range for the database")

    @api.exception_handler(OverflowError)
    def on_overflow(request, exc):
        return respond(request, 400, "A number is too large")

    @api.exception_handler(SuspiciousOperation)
    def on_suspicious(request, exc):
        # Request too big, too many fields, a bad host: the client's fault, not ours.
        return respond(request, 400, "Bad request")


class JsonErrorsAPI(NinjaAPI):
    """A NinjaAPI whose URLs also answer unknown paths (404) and wrong methods (405) in JSON."""

    def _get_urls(self):
        urls = super()._get_urls()
        for pattern in urls:
            pattern.callback = self._json_errors(pattern.callback)
        # Last: anything under the API's prefix that matched no route.
        urls.append(re_path(r"^.*$", csrf_exempt(self._unknown_path), name="unknown-path"))
        return urls

    def _respond(self, request, status: int, detail: str):
        return self.create_response(request, error_body(detail), status=status)

    def _unknown_path(self, request, *args, **kwargs):
        return self._respond(request, 404, f"No API endpoint at {request.path}")

    def _json_errors(self, view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                response = view(request, *args, **kwargs)
            except Http404:
                # ninja's root view raises Http404 outside any operation's handlers.
                return self._unknown_path(request)
            if isinstance(response, HttpResponseNotAllowed):
                allowed = response["Allow"]
                response = self._respond(
                    request, 405, f"Method {request.method} not allowed; use {allowed}"
                )
                response["Allow"] = allowed
            return response

        return wrapper

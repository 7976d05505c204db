"""The answers to errors nobody caught (handler500): a page in the shop's layout, or the
API's one JSON error body under /api/; never Django's bare "Server Error (500)".

A database that did not answer is not a bug in the request: a lock or statement timeout
(core.db.use_timeouts) or a lost connection (PostgreSQL restarted) answers 503 "busy" or
"unavailable, try again" with Retry-After, after which the same request gets through (the
checkout page retries placement by itself with the same idempotency key).

These render without the request's context processors: the error may be the database or
the session store being away, and the page must not need them.
"""

import logging
import sys

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from mercato.core.db import database_trouble

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
FALLBACK = (
    '<!doctype html><html><head><meta charset="utf-8"><title>Mercato</title></head>'
    '<body><h1>{title}</h1><p>{text}</p><p><a href="/">Mercato</a></p></body></html>'
)


def _answer(request, *, status: int, title: str, text: str, headers: dict):
    request_id = getattr(request, "request_id", "")
    if request.path.startswith(API_PREFIX):
        detail = f"{title} {text}" + (f" (request {request_id})" if request_id else "")
        response = JsonResponse({"detail": detail, "errors": []}, status=status)
    else:
        context = {"title": title, "text": text, "request_id": request_id}
        try:
            body = render_to_string("storefront/500.html", context)
        except Exception:  # noqa: BLE001 - the page of last resort must not fail itself
            logger.exception("The error page could not be rendered")
            body = FALLBACK.format(title=title, text=text)
        response = HttpResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name] = value
    return response


def server_error(request):
    """handler500. Django calls it while handling the exception, so sys.exception() is the
    error that reached it."""
    trouble = database_trouble(sys.exception())
    if trouble:
        retry_after = int(getattr(settings, "MERCATO_BUSY_RETRY_AFTER", 2))
        if trouble == "busy":
            title = _("The shop is very busy right now.")
        else:
            title = _("The shop cannot reach its database for a moment.")
        return _answer(
            request,
            status=503,
            title=title,
            text=_("Your request was not completed. Please try again in a few seconds."),
            headers={"Retry-After": str(retry_after)},
        )
    return _answer(
        request,
        status=500,
        title=_("Sorry, something went wrong on our side."),
        text=_(
            "Please try again in a moment. If it keeps happening, tell customer service "
            "the code below."
        ),
        headers={},
    )

"""Request IDs and the client IP in every log line, and an optional JSON log format."""

import contextvars
import json
import logging

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
# The request being served; its client IP is worked out only when a line is logged.
request_var: contextvars.ContextVar = contextvars.ContextVar("request", default=None)


def current_request_id() -> str | None:
    """The request ID of the request being served: the audit log's correlation id
    (AUDITLOG_CID_GETTER), so an entry leads to the request's log lines."""
    rid = request_id_var.get()
    return None if rid == "-" else rid


EXPECTED = "_mercato_expected_refusal"


def expected_refusal(request) -> None:
    """Mark `request`'s 4xx answer as one its endpoint gives as a matter of course (a
    flash sale's "sold out" to its crowd), so django.request does not log it as a warning
    (ExpectedRefusalFilter): thousands a second during a sale, nothing to act on."""
    setattr(request, EXPECTED, True)


class ExpectedRefusalFilter(logging.Filter):
    """On the django.request logger: drops the lines of answers marked expected_refusal."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(getattr(record, "request", None), EXPECTED, False)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        from .http import client_ip

        record.request_id = request_id_var.get()
        # django.request and django.security pass the request with the record.
        request = getattr(record, "request", None) or request_var.get()
        record.client_ip = client_ip(request) if hasattr(request, "META") else "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "client_ip": getattr(record, "client_ip", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)

"""One log line per request, and the request id that ties it to the answer.

Each request gets an id: a sane incoming ``X-Request-ID`` (a load balancer's, so its log and ours
meet), else a new one. It is in ``g.request_id``, in the ``X-Request-ID`` header of every answer
and in every problem+json body (``feedback/http.py``), so a kiosk's or a user's report of an
error finds its log line.

The line (logger ``feedback.requests``) holds the request id, method, route (the URL rule, e.g.
``/kiosk/enroll/<code>``, never the path or its query string, which can carry a code), endpoint,
status, duration and who called: ``device_id`` (kiosk API) or ``user_id`` (admin site, read API).
Never a body, a comment, a header or a token. ``LOG_FORMAT=json`` writes every log record of the
process as one JSON object a line (the production default); ``text`` the plain format.
"""

from __future__ import annotations

import json
import logging
import re
import time
import traceback
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

log = logging.getLogger("feedback.requests")

HEADER = "X-Request-ID"
# An incoming id is kept only when it is short and plain: it lands in logs and answers verbatim.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def request_id() -> str | None:
    """This request's id (made on first use if the hook has not run yet); None outside a request."""
    if not has_request_context():
        return None
    rid = g.get("request_id")
    if rid is None:
        incoming = request.headers.get(HEADER, "")
        rid = incoming if _SANE_ID.fullmatch(incoming) else uuid.uuid4().hex
        g.request_id = rid
    return rid


def elapsed() -> float:
    """Seconds since this request began (since its first hook ran)."""
    started = g.get("request_started")
    return time.perf_counter() - started if started is not None else 0.0


def init_app(app: Flask) -> None:
    """Register the hooks; call before any other ``before_request`` so the clock starts first."""
    app.before_request(_begin)
    app.after_request(_finish)


def _begin() -> None:
    g.request_started = time.perf_counter()
    request_id()


def _finish(response: Response) -> Response:
    response.headers[HEADER] = request_id() or ""
    fields = request_fields(response.status_code, elapsed())
    log.info("%s %s %s", fields["method"], fields["route"] or "-", fields["status"], extra={"fields": fields})
    return response


def request_fields(status: int, seconds: float) -> dict[str, Any]:
    """What the request's log line says: fixed names and values the app chose, nothing the caller typed
    except a sane request id."""
    rule = request.url_rule
    fields: dict[str, Any] = {
        "request_id": request_id(),
        "method": request.method,
        "route": rule.rule if rule is not None else None,
        "endpoint": request.endpoint,
        "status": status,
        "duration_ms": round(seconds * 1000, 1),
    }
    fields.update(_caller())
    return fields


def _caller() -> dict[str, int]:
    """The kiosk or the user the request authenticated as, if it did (never loaded here)."""
    kiosk = g.get("kiosk") or g.get("device")
    if kiosk is not None:
        return {"device_id": kiosk.id}
    user = g.get("user") or g.get("_login_user")  # read API token / Flask-Login, when already loaded
    if user is not None and getattr(user, "is_authenticated", False):
        return {"user_id": user.id}
    return {}


class JsonFormatter(logging.Formatter):
    """Every record as one JSON object: time, level, logger, message, and the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "fields", None) or {})
        if "request_id" not in line:
            rid = request_id()
            if rid:
                line["request_id"] = rid
        if record.exc_info:
            line["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    """The plain format, with a request's fields after its message (``key=value``)."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = getattr(record, "fields", None)
        if fields:
            extra = " ".join(f"{k}={v}" for k, v in fields.items() if k not in ("method", "route", "status"))
            text = f"{text} {extra}"
        return text


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def configure_logging(app: Flask) -> None:
    """Log to stderr, which gunicorn collects, in ``LOG_FORMAT``. A process whose logging is already
    set up (the test runner, an embedding host) keeps its own handlers."""
    root = logging.getLogger()
    if app.debug or root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(app.config["LOG_FORMAT"]))
    root.addHandler(handler)
    root.setLevel(logging.INFO)

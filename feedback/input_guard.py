"""Refuse what no route can handle, once, before any view or extension sees the request: an
over-long URL, an id no column holds, and text no database can store.

An integer in a route's path (``<int:...>``) matches only up to 32 bits, the size of the id
columns: a larger one is a 404, not a query the database fails on. A URL longer than
``MAX_URL_LENGTH`` answers 414. Gunicorn's own request-line limit is set above
it (gunicorn.conf.py), so a long query string gets this problem+json answer instead of the
server's bare HTML page.

PostgreSQL refuses the NUL character in text, and neither database driver can encode an unpaired
UTF-16 surrogate (``"\\udc00"``, which JSON can spell but UTF-8 cannot hold). Such input used to
travel through the views into a query and fail there: a 500, on public pages too. No visitor,
kiosk or manager ever means to send either, so a request carrying one anywhere (the path, the
query string, a form field or file name, a JSON body) is answered 400: problem+json under /api/,
a plain 400 page elsewhere. Checking the request as a whole covers every route, including ones
added later.
"""

from __future__ import annotations

import re

from flask import Flask, abort, current_app, request
from werkzeug.routing import IntegerConverter

from feedback.http import ApiError
from feedback.schemas.fields import MAX_INT32

# A JSON escape: ``\\uXXXX`` (group 1 is its hex digits) or any other (``\\\\``, ``\\n``...). Scanning
# escapes left to right keeps an escaped backslash apart from the escape that follows it.
_ESCAPE = re.compile(rb"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)


def json_flaw(raw: bytes) -> str | None:
    """What makes a JSON text unstorable, or None: a NUL (escaped or raw) or an unpaired surrogate.

    Works on the raw bytes, whatever their nesting depth, without parsing them (the view parses
    once, and answers malformed JSON itself).
    """
    if b"\x00" in raw:
        return "Contains a NUL character."
    if b"\\u" not in raw:
        return None
    high_end = None  # where the last high surrogate escape ended, awaiting its low half
    for match in _ESCAPE.finditer(raw):
        digits = match.group(1)
        code = int(digits, 16) if digits is not None else None
        if high_end is not None:
            paired = code is not None and 0xDC00 <= code <= 0xDFFF and match.start() == high_end
            high_end = None
            if not paired:
                return "Contains an unpaired surrogate (\\ud800-\\udfff)."
            continue
        if code == 0:
            return "Contains a NUL character."
        if code is not None and 0xD800 <= code <= 0xDBFF:
            high_end = match.end()
        elif code is not None and 0xDC00 <= code <= 0xDFFF:
            return "Contains an unpaired surrogate (\\ud800-\\udfff)."
    return "Contains an unpaired surrogate (\\ud800-\\udfff)." if high_end is not None else None


def cleans(*names: str):
    """Mark a view whose form fields ``names`` are free text it cleans itself (the phone survey's
    comment: control characters become spaces, so a pasted NUL does not cost the visitor's answer)."""

    def mark(view):
        view.cleans_fields = frozenset(names)
        return view

    return mark


def _has_nul(multidict, skip=frozenset()) -> bool:
    return any(
        "\x00" in key or (key not in skip and any("\x00" in value for value in values))
        for key, values in multidict.lists()
    )


def _has_nul_name(files) -> bool:
    return any("\x00" in (upload.filename or "") for _name, uploads in files.lists() for upload in uploads)


def request_flaw() -> tuple[str, str] | None:
    """(where, message) of the first unstorable text in the current request, or None."""
    if "\x00" in request.path:
        return "path", "Contains a NUL character."
    if _has_nul(request.args):
        return "query", "Contains a NUL character."
    if request.is_json:
        message = json_flaw(request.get_data(cache=True))
        return ("body", message) if message else None
    forms = ("application/x-www-form-urlencoded", "multipart/form-data")
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    skip: frozenset[str] = getattr(view, "cleans_fields", frozenset())
    if request.mimetype in forms and (_has_nul(request.form, skip) or _has_nul_name(request.files)):
        return "body", "Contains a NUL character."
    return None


def url_length() -> int:
    """Length of the URL as sent (path and query string), as gunicorn counts it."""
    environ = request.environ
    query = environ.get("QUERY_STRING", "")
    rebuilt = len(environ.get("PATH_INFO", "")) + (len(query) + 1 if query else 0)
    return max(len(environ.get("RAW_URI") or ""), rebuilt)


def _refuse():
    limit = current_app.config.get("MAX_URL_LENGTH")
    if limit and url_length() > limit:
        detail = f"The URL is longer than {limit} characters; send fewer or shorter parameters."
        if request.path.startswith("/api/"):
            raise ApiError(414, "URI Too Long", detail, {"url": [f"At most {limit} characters."]})
        abort(414, description=detail)
    flaw = request_flaw()
    if flaw is None:
        return
    where, message = flaw
    if request.path.startswith("/api/"):
        raise ApiError(400, "Bad Request", f"The request {where} {message[0].lower()}{message[1:]}", {where: [message]})
    abort(400, description=f"The request {where} {message[0].lower()}{message[1:]}")


class RowIdConverter(IntegerConverter):
    """``<int:...>`` in every route: a row id, at most 32 bits (the columns' size), so a larger
    number matches no route (404) instead of failing in the database."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(url_map, fixed_digits, min, MAX_INT32 if max is None else max, signed)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = RowIdConverter  # before the blueprints add their routes
    # First of all before-request hooks: rate limits, CSRF and sign-in look-ups come after.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse)

"""Exports of the admin site: the responses and the aggregates of the current filter as CSV,
and the read API's summary JSON.

Every export takes the dashboards' URL filters (``from``, ``to``, ``office``, ``location``
(repeatable), ``channel``; see :func:`admin_app.filters.selection`), limited to the signed-in
user's scope: a location or office outside it answers 404. The aggregates and the summary
also take ``group`` (day, week, month, hour, location) and ``include_suspect``.

The responses CSV is streamed: the view checks the filter and the scope, then hands a
generator to the server, which pulls CSV chunks from a server-side cursor as it sends them.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Response, abort, jsonify, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import login_required
from marshmallow import ValidationError, fields

from admin_app.filters import Selection, selection
from admin_app.pages import admin_bp
from admin_app.view_helpers import CSV_MIME
from admin_app.view_helpers import download as _download
from admin_app.view_helpers import first_then as _first_then
from feedback.replica import reads
from feedback.services import aggregation, exports

FILTER_KEYS = ("from", "to", "office", "location", "channel")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _group(default: str | None) -> str | None:
    group = request.args.get("group") or default
    if group is not None and group not in aggregation.GROUPS:
        abort(400, description=_("Invalid group: one of %(groups)s.", groups=", ".join(aggregation.GROUPS)))
    return group


def _include_suspect() -> bool:
    raw = request.args.get("include_suspect")
    if not raw:
        return False
    try:
        return fields.Boolean().deserialize(raw)
    except ValidationError:
        abort(400, description=_("Invalid include_suspect: true or false."))


def filename(kind: str, sel: Selection, extension: str, *extra: str) -> str:
    """``responses_2026-01-01_2026-01-31_alpha-office_A-1_kiosk.csv``: the filter in the name."""
    parts = [kind, sel.start.isoformat(), sel.end.isoformat()]
    if sel.args.get("office"):
        parts.append(sel.args["office"])
    codes = sel.args.get("location") or []
    parts.extend(codes if len(codes) <= 3 else [f"{len(codes)}-locations"])
    if sel.channel:
        parts.append(sel.channel)
    parts.extend(e for e in extra if e)
    name = "_".join(_UNSAFE.sub("-", part).strip("-") or "x" for part in parts)
    return f"{name[:150]}.{extension}"


@admin_bp.get("/export/responses.csv")
@login_required
def export_responses():
    sel = selection()
    # Plain values only: the generator runs after this view's database session was closed.
    location_ids, start, end, channel = list(sel.location_ids), sel.start, sel.end, sel.channel
    rows = exports.response_rows(reads(), location_ids, start, end, channel=channel)
    chunks = exports.csv_chunks(exports.RESPONSE_COLUMNS, rows, guard=False)
    header = next(chunks)  # no database work yet
    body = _first_then(header, stream_with_context(chunks))
    return _download(Response(body, mimetype=CSV_MIME), filename("responses", sel, "csv"))


@admin_bp.get("/export/aggregates.csv")
@login_required
def export_aggregates():
    sel = selection()
    group, include_suspect = _group("day"), _include_suspect()
    rows = exports.aggregates(
        reads(),
        sel.location_ids,
        sel.start,
        sel.end,
        channel=sel.channel,
        group=group,
        include_suspect=include_suspect,
    )
    text = exports.csv_text(exports.AGGREGATE_COLUMNS, rows)
    name = filename("aggregates", sel, "csv", f"by-{group}", "with-suspect" if include_suspect else "")
    return _download(Response(text, mimetype=CSV_MIME), name)


@admin_bp.get("/export/summary.json")
@login_required
def export_summary():
    """Exactly what ``GET /api/v1/summary`` answers for the same filter."""
    sel = selection()
    group, include_suspect = _group(None), _include_suspect()
    result = aggregation.summarize(
        reads(),
        sel.location_ids,
        sel.start,
        sel.end,
        channel=sel.channel,
        group=group,
        include_suspect=include_suspect,
    )
    name = filename("summary", sel, "json", f"by-{group}" if group else "", "with-suspect" if include_suspect else "")
    return _download(jsonify(result), name)


def export_url(endpoint: str, **overrides) -> str:
    """The URL of an export keeping the filter (and, but for the responses, the group) of the
    current request; ``overrides`` replace values (None or "" drops one), other keys are ignored."""
    keys = FILTER_KEYS if endpoint == "admin.export_responses" else (*FILTER_KEYS, "group", "include_suspect")
    args: dict[str, Any] = {
        key: request.args.getlist(key) if key == "location" else request.args.get(key) for key in keys
    }
    args.update((key, value) for key, value in overrides.items() if key in keys)
    if args.get("group") not in aggregation.GROUPS:
        args.pop("group", None)
    return url_for(endpoint, **{key: value for key, value in args.items() if value})


@admin_bp.context_processor
def _export_links():
    return {"export_url": export_url}

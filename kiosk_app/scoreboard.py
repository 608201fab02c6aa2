"""The public scoreboard of an office: /scores/<office-slug>, no sign-in.

Only for offices that opted in (``Office.scoreboard_public``; anything else answers 404, like an
unknown slug). It shows each active location's satisfaction this quarter and last, the target,
the number of responses and the 95 % interval, in English or Spanish (``?lang=``, else the
browser's language, as on the phone survey). Nothing on it comes from a single visitor: no
comments, no times, and the share is withheld for a location with fewer than
``SCOREBOARD_MIN_RESPONSES`` responses, so a handful of answers is not over-read.

Cached three ways: ``Cache-Control: public, max-age=SCOREBOARD_CACHE_SECONDS`` for browsers and
proxies, an ETag for conditional GETs (304), and the rendered page kept in this process for the
same time per (office, language), so a busy page costs one rollup query per interval. The office
is looked up on every request, so withdrawing the scoreboard takes effect at once here.
"""

from __future__ import annotations

import hashlib
import threading
import time

import babel.numbers
from flask import Response, abort, current_app, render_template, request
from flask_babel import force_locale, format_date, format_decimal, get_locale

from feedback import clock, numbers
from feedback.extensions import db
from feedback.i18n import LANGUAGE_NAMES, select_locale
from feedback.services import standards
from kiosk_app.pages import kiosk_bp

_MAX_ENTRIES = 256


class PageCache:
    """Rendered pages with their ETag, kept ``ttl`` seconds (0 = not kept). Thread-safe."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pages: dict[tuple, tuple[float, str, str]] = {}

    def get(self, key: tuple) -> tuple[str, str] | None:
        with self._lock:
            entry = self._pages.get(key)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1], entry[2]

    def put(self, key: tuple, body: str, ttl: float) -> tuple[str, str]:
        etag = hashlib.sha256(body.encode()).hexdigest()[:32]
        if ttl > 0:
            now = time.monotonic()
            with self._lock:
                if len(self._pages) >= _MAX_ENTRIES:
                    self._pages = {k: v for k, v in self._pages.items() if v[0] > now}
                if len(self._pages) < _MAX_ENTRIES:
                    self._pages[key] = (now + ttl, body, etag)
        return body, etag

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


def page_cache(app) -> PageCache:
    return app.extensions.setdefault("scoreboard_cache", PageCache())


def _formats() -> dict:
    """Number and date formatting in the page's language (called inside ``force_locale``)."""

    def target(value) -> str:  # as published: 85.5 % stays 85.5 %
        return babel.numbers.format_percent(numbers.half_up(value, 6), locale=get_locale(), decimal_quantization=False)

    return {
        "target": target,
        "count": lambda n: format_decimal(n, "#,##0"),
        "date": lambda day: format_date(day, "long"),
    }


def _render(office, lang: str) -> str:
    now = clock.now()
    board = standards.scoreboard(db.session, office, now=now)
    with force_locale(lang):
        return render_template(
            "scoreboard/office.html",
            lang=lang,
            language_names=LANGUAGE_NAMES,
            board=board,
            office=office,
            today=standards.local_today(office, now),
            min_responses=current_app.config["SCOREBOARD_MIN_RESPONSES"],
            withheld=standards.withheld,
            **_formats(),
        )


@kiosk_bp.get("/scores/<slug>")
def scoreboard(slug: str):
    office = standards.published_office(db.session, slug)
    if office is None:
        abort(404)
    lang = select_locale()
    ttl = max(0, int(current_app.config["SCOREBOARD_CACHE_SECONDS"]))
    cache = page_cache(current_app)
    key = (office.id, office.slug, lang)
    body, etag = (ttl and cache.get(key)) or cache.put(key, _render(office, lang), ttl)
    response = Response(body, mimetype="text/html")
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={ttl}"
    response.vary.add("Accept-Language")  # the language may come from the browser's preference
    return response.make_conditional(request)

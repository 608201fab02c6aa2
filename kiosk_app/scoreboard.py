"""The public scoreboard of an office: /scores/<office-slug>, no sign-in.

Only for offices that opted in (``Office.scoreboard_public``; anything else answers 404, like an
unknown slug). It shows each active location's satisfaction this quarter and last, the target,
the number of responses and the 95 % interval, in each of the office's visitor languages
(``?lang=``, else the browser's language, as on the phone survey; Arabic right to left). Nothing
on it comes from a single visitor: no comments, no times, and the share is withheld for a location with fewer than
``SCOREBOARD_MIN_RESPONSES`` responses, so a handful of answers is not over-read.

Cached three ways: ``Cache-Control: public, max-age=SCOREBOARD_CACHE_SECONDS`` for browsers and
proxies, an ETag for conditional GETs (304), and the rendered page in the cache the nodes share
(``feedback/cache.py``: Redis with ``REDIS_URL``, else this process) for the same time per
(office, language), filed under the version tokens of the office's counters: a response folded
into their rollups, a spam mark, a target or publishing change files new pages at once, on every
node. The office is looked up on every request, so withdrawing the scoreboard takes effect at once.
"""

from __future__ import annotations

import hashlib

import babel.numbers
from flask import Flask, Response, abort, current_app, render_template, request
from flask_babel import force_locale, format_date, format_decimal, get_locale

from feedback import cache as shared_cache
from feedback import clock, numbers
from feedback.extensions import db
from feedback.i18n import LANGUAGE_NAMES, offered, visitor_language
from feedback.services import standards
from kiosk_app.pages import kiosk_bp


def page_cache(app: Flask) -> _Pages:
    """The cached pages of ``app`` (tests clear them between tests)."""
    return _Pages(app)


class _Pages:
    def __init__(self, app: Flask):
        self.app = app

    def clear(self) -> None:
        with self.app.app_context():
            shared_cache.clear()


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
            language_names={code: LANGUAGE_NAMES[code] for code in offered(office.visitor_languages)},
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
    lang = visitor_language(offered(office.visitor_languages))
    ttl = max(0, int(current_app.config["SCOREBOARD_CACHE_SECONDS"]))
    body, etag = _page(office, lang, ttl)
    response = Response(body, mimetype="text/html")
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={ttl}"
    response.vary.add("Accept-Language")  # the language may come from the browser's preference
    return response.make_conditional(request)


def _page(office, lang: str, ttl: int) -> tuple[str, str]:
    """The page and its ETag: from the shared cache when its counters' figures have not changed
    since it was kept, else rendered (and kept for ``ttl`` seconds)."""
    version = shared_cache.versions(loc.id for loc in office.locations) if ttl else None
    key = f"scores:{office.id}:{office.slug}:{lang}:{version}"
    found = shared_cache.get(key) if version else None
    if found is not None:
        return found
    body = _render(office, lang)
    page = (body, hashlib.sha256(body.encode()).hexdigest()[:32])
    if version:
        shared_cache.put(key, page, ttl)
    return page

"""The HTML error pages: the admin site's (its menu when signed in) and the visitors' (bilingual)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Response, render_template, request
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from feedback.i18n import LANGUAGES, visitor_language

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Wording:
    """What an error page says: a heading and one sentence of what to do."""

    title: str  # lazy: translated when shown
    text: str


WORDING = {
    400: Wording(_l("The request could not be understood"), _l("Please go back and try again.")),
    403: Wording(
        _l("You do not have access to this page"),
        _l("If you need it, ask an administrator for access."),
    ),
    404: Wording(_l("Page not found"), _l("Please check the address, or go back and try again.")),
    410: Wording(_l("This page is no longer available"), _l("It has been removed or has expired.")),
    429: Wording(_l("Too many requests"), _l("Please wait a few minutes and try again.")),
    500: Wording(
        _l("Something went wrong"),
        _l("Nothing was saved. Please try again; if it happens again, tell your administrator."),
    ),
    503: Wording(_l("This service is not available right now"), _l("Please try again in a moment.")),
}
EXPIRED_FORM = Wording(_l("This page has expired"), _l("Please go back, reload the page and try again."))
OUTAGE = Wording(
    _l("Temporarily unavailable"),
    _l("The database is not answering. Please try again in a moment."),
)
OTHER = Wording(_l("The request could not be completed"), _l("Please go back and try again."))


def wording(status: int, exc: BaseException | None = None) -> Wording:
    from flask_wtf.csrf import CSRFError

    if isinstance(exc, CSRFError):
        return EXPIRED_FORM
    return WORDING.get(status, OTHER)


def is_admin_path() -> bool:
    return request.path == "/admin" or request.path.startswith("/admin/")


def error_page(status: int, exc: BaseException | None = None, headers: dict[str, str] | None = None) -> Response:
    """The page for ``status`` on this request: the admin site's, or the visitors' bilingual one."""
    words = wording(status, exc)
    try:
        if is_admin_path():
            html = _admin_page(status, words, exc)
        elif status == 404 and request.path.startswith("/scores/"):
            html = scoreboard_missing_page()
        else:
            html = visitor_page(words)
    except Exception:  # a page that cannot be drawn must not hide the error it reports
        log.exception("the %s page could not be rendered", status)
        return Response(f"{status} {gettext('The request could not be completed')}", status, mimetype="text/plain")
    response = Response(html, status=status, headers=headers)
    response.vary.add("Accept-Language")
    if status >= 500 or status == 429:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _admin_page(status: int, words: Wording, exc: BaseException | None) -> str:
    return render_template(
        "errors/admin.html",
        status=status,
        words=words,
        detail=_detail(exc),
        with_menu=_signed_in(),
        again=None,
        path=request.path,
    )


def scoreboard_missing_page() -> str:
    """``/scores/<unknown>``: the scoreboards' own look, in the visitor's language, with links to
    the scoreboards that are published (an office that did not opt in is not named)."""
    from feedback.extensions import db
    from feedback.i18n import LANGUAGE_NAMES
    from feedback.services import standards

    try:
        offices = standards.published_offices(db.session)
    except Exception:  # the list is a help; the answer is the 404
        log.warning("the published scoreboards could not be listed", exc_info=True)
        db.session.rollback()
        offices = []
    lang = visitor_language()
    with force_locale(lang):
        return render_template(
            "errors/scoreboard.html", lang=lang, language_names=LANGUAGE_NAMES, offices=offices, words=WORDING[404]
        )


def admin_unavailable_page(posted: bool, again: str) -> str:
    """The admin site's 503 for a database fault: no menu (it needs the user, from the database)."""
    return render_template(
        "errors/admin.html", status=503, words=OUTAGE, detail=None, with_menu=False, posted=posted, again=again
    )


def _detail(exc: BaseException | None) -> str | None:
    """A view's own explanation (``abort(400, description=...)``), never werkzeug's stock English."""
    if not isinstance(exc, HTTPException) or not exc.description:
        return None
    stock = type(exc).description
    return None if exc.description == stock else exc.description


def _signed_in() -> bool:
    """Whether to draw the menu; a user that cannot be loaded (the fault being reported) means no."""
    try:
        from flask_login import current_user

        return bool(current_user.is_authenticated)
    except Exception:
        log.warning("the signed-in user could not be loaded for an error page", exc_info=True)
        return False


def visitor_page(words: Wording, posted: bool = False, again: str | None = None) -> str:
    """The visitor's language first, then the others: each section translated by Flask-Babel."""
    first = visitor_language()
    sections = []
    for position, lang in enumerate([first, *(code for code in LANGUAGES if code != first)]):
        with force_locale(lang):
            sections.append(
                Markup(
                    render_template(
                        "errors/_visitor_section.html",
                        lang=lang,
                        first=position == 0,
                        title=str(words.title),
                        text=str(words.text),
                        posted=posted,
                        again=again,
                    )
                )
            )
    with force_locale(first):
        title = str(words.title)
    return render_template("errors/visitor.html", lang=first, title=title, sections=sections)

"""The languages (visitors' and the admin site's), the visitor-facing strings, the locale of a request.

Strings are marked with ``N_`` (a no-op that ``pybabel extract -k N_`` finds), ``_l`` (lazy) or
``_``/``gettext`` and translated with Flask-Babel, so the catalogues in ``feedback/translations``
are the single source of every language's wording.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "es": "Español"}  # each in its own language, never translated


def N_(text: str) -> str:
    return text


# Visitor-facing text shared by the kiosk and the phone survey.
VISITOR_TEXT = {
    "followup_positive": N_("What went well?"),
    "followup_negative": N_("What could be better?"),
    "followup_hint": N_("Choose any that apply."),
    "done": N_("Done"),
    "skip": N_("Skip"),
    "thanks": N_("Thank you!"),
    "thanks_detail": N_("Your feedback helps us improve."),
    "idle_title": N_("How did we do today?"),
    "idle_cta": N_("Tap here to tell us"),
    "scale_label": N_("Choose a rating"),
    "language": N_("Language"),
    "omb_control_number": N_("OMB Control No."),
    "omb_expires": N_("Expires"),
    "burden_link": N_("Paperwork Reduction Act statement"),
    "close": N_("Close"),
    "poster_call": N_("Scan with your phone to tell us how we did"),
}


def select_locale() -> str:
    """Flask-Babel's locale for a request, on every page (visitor and admin alike): ``?lang=``,
    else the browser's preference (``Accept-Language``). Users have no stored preference. Outside a
    request (the command line) the default language, so services may translate their messages."""
    from flask import has_request_context, request

    if not has_request_context():  # the command line, a job: the default language
        return DEFAULT_LANGUAGE
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def current_locale() -> str:
    """The language of this request's pages (``<html lang>``): Flask-Babel's selected locale."""
    from flask_babel import get_locale

    locale = get_locale()
    return str(locale.language) if locale is not None else DEFAULT_LANGUAGE


def init_app(app: Flask) -> None:
    """``current_locale()`` in every template."""
    app.jinja_env.globals["current_locale"] = current_locale

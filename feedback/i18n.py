"""The languages (visitors' and the admin site's), the visitor-facing strings, the locale of a request.

Strings are marked with ``N_`` (a no-op that ``pybabel extract -k N_`` finds), ``_l`` (lazy) or
``_``/``gettext`` and translated with Flask-Babel, so the catalogues in ``feedback/translations``
are the single source of every language's wording.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

# Visitor languages: US language-access plans' usual first six after English. An office offers a
# subset (``Office.visitor_languages``), and only those its survey has a question in.
LANGUAGES = ("en", "es", "zh", "vi", "ko", "tl", "ar")
DEFAULT_LANGUAGE = "en"
# The admin site's languages; a browser asking for another gets English there.
ADMIN_LANGUAGES = ("en", "es")
LANGUAGE_NAMES = {  # each in its own language, never translated
    "en": "English",
    "es": "Español",
    "zh": "中文（简体）",
    "vi": "Tiếng Việt",
    "ko": "한국어",
    "tl": "Tagalog",
    "ar": "العربية",
}
# BCP 47 tags for ``<html lang>`` where the short code is ambiguous (Chinese: the simplified script).
HTML_LANG = {"zh": "zh-Hans"}
RIGHT_TO_LEFT = frozenset({"ar"})


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
    if asked in ADMIN_LANGUAGES:
        return asked
    return request.accept_languages.best_match(ADMIN_LANGUAGES) or DEFAULT_LANGUAGE


def html_lang(language: str) -> str:
    """The ``lang`` attribute of a page or element in ``language``."""
    return HTML_LANG.get(language, language)


def text_direction(language: str) -> str:
    """The ``dir`` attribute: ``rtl`` for Arabic, else ``ltr``."""
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"


def offered(languages: object) -> tuple[str, ...]:
    """The known visitor languages among ``languages`` (an office's setting), in ``LANGUAGES`` order;
    English always, as every survey has an English question."""
    wanted = set(languages) if isinstance(languages, (list, tuple, set, frozenset)) else set(LANGUAGES)
    return tuple(code for code in LANGUAGES if code in wanted or code == DEFAULT_LANGUAGE)


def visitor_language(offered_languages: tuple[str, ...] = LANGUAGES) -> str:
    """A visitor page's language among ``offered_languages``: ``?lang=`` (or the form's), else the
    browser's preference (``Accept-Language``), else English. The phone survey, the public
    scoreboard and the visitors' error pages all choose here; the admin site uses ``select_locale``."""
    from flask import request

    asked = request.args.get("lang") or _form_language()
    if asked is not None and asked in offered_languages:
        return asked
    return request.accept_languages.best_match(offered_languages) or DEFAULT_LANGUAGE


def _form_language() -> str | None:
    """The posted form's ``lang`` (the phone survey's hidden field), if the body is a form."""
    from flask import request
    from werkzeug.exceptions import HTTPException

    try:
        return request.form.get("lang")
    except (HTTPException, ValueError):  # a body that does not parse (an error page): the header decides
        return None


def current_locale() -> str:
    """The language of this request's pages (``<html lang>``): Flask-Babel's selected locale."""
    from flask_babel import get_locale

    locale = get_locale()
    return str(locale.language) if locale is not None else DEFAULT_LANGUAGE


def init_app(app: Flask) -> None:
    """``current_locale()`` in every template."""
    app.jinja_env.globals["current_locale"] = current_locale
    app.jinja_env.globals["html_lang"] = html_lang
    app.jinja_env.globals["text_direction"] = text_direction
    app.jinja_env.globals["all_language_names"] = LANGUAGE_NAMES

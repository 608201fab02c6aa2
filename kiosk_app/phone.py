"""The phone survey behind each location's QR code: /s/<slug>.

Works as plain HTML forms (rate, then details, then thanks) and, with its
script, as one page that posts without reloading. The rating is stored with
channel ``qr`` on the first post; the details (or a corrected rating) update that
same response, for this phone only (its signed session cookie names its answer),
for ``PHONE_UPDATE_MINUTES``; reopened within that time, the page continues it.
A phone that answered here within the last 10 minutes is thanked but stored as suspect.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError

from feedback import clock, input_guard, metrics
from feedback.extensions import db, limiter
from feedback.i18n import LANGUAGE_NAMES, LANGUAGES, visitor_language
from feedback.schemas.phone import PhoneAnswerSchema
from feedback.services import ingest, phone, survey_links
from feedback.services.errors import InvalidInput, ServiceError
from feedback.services.kiosk_config import languages_for, pra_notice, texts

phone_bp = Blueprint("phone", __name__, template_folder="templates")

STATUS = {"unknown": 404, "retired": 410, "inactive": 410}


def _offered(location, version=None) -> tuple[str, ...]:
    """The location's visitor languages (its office's choice that its survey has a question in)."""
    return languages_for(location, version or location.survey.current_version())


def _render(template: str, lang: str, status: int = 200, languages: Sequence[str] = LANGUAGES, **context) -> Response:
    with force_locale(lang):
        names = {code: LANGUAGE_NAMES[code] for code in languages}
        html = render_template(template, lang=lang, language_names=names, **context)
    response = Response(html, status=status)
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Accept-Language")
    return response


def _message(kind: str, lang: str, status: int, location=None) -> Response:
    return _render("phone/message.html", lang, status, kind=kind, location=location)


def _survey_context(location, lang: str, version=None) -> dict:
    version = version or location.survey.current_version()
    return {
        "languages": _offered(location, version),
        "location": location,
        "version": version,
        "t": texts(version, lang),
        "pra": pra_notice(version),
        "scale_points": version.scale_def.points,
        "positive_from": version.scale_def.positive_from,
    }


def _resolve(slug: str, lang: str):
    resolved = survey_links.resolve(db.session, slug)
    if resolved.state != "active":
        return None, _message(resolved.state, lang, STATUS[resolved.state], resolved.location)
    return resolved.location, None


def _per_ip() -> str:
    return current_app.config["PHONE_LIMIT_PER_IP"]


def _per_location() -> str:
    return current_app.config["PHONE_LIMIT_PER_LOCATION"]


def _update_window() -> timedelta:
    return timedelta(minutes=current_app.config["PHONE_UPDATE_MINUTES"])


@phone_bp.get("/s/<slug>")
def survey(slug: str):
    location, problem = _resolve(slug, visitor_language())
    if problem:
        return problem
    # Reopened while its answer can still be completed: the same answer, not a second one.
    found = phone.open_answer(db.session, location, session.get("mine", {}), clock.now(), _update_window())
    answer, version = found or (None, None)
    lang = visitor_language(_offered(location, version))
    return _render(
        "phone/survey.html",
        lang,
        slug=slug,
        response_id=answer.id if answer else uuid.uuid4(),
        answer=answer,
        **_survey_context(location, lang, version),
    )


@phone_bp.post("/s/<slug>")
@input_guard.cleans("comment")
@limiter.limit(_per_ip)
@limiter.limit(_per_location, key_func=lambda: f"location:{(request.view_args or {})['slug']}")
def answer(slug: str):
    lang = visitor_language()
    location, problem = _resolve(slug, lang)
    if problem:
        return problem
    now = clock.now()
    wants_json = request.accept_mimetypes.best == "application/json"
    form: dict[str, Any] = request.form.to_dict()
    form["choice"] = request.form.getlist("choice")
    try:
        data = PhoneAnswerSchema().load(form)
    except ValidationError as exc:
        return _invalid(slug, location, lang, exc.messages, wants_json)
    lang = data["lang"] if data["lang"] in _offered(location) else visitor_language(_offered(location))
    if data["website"]:
        phone.count_dropped(db.session, location, "honeypot", now)
        metrics.rejected("honeypot")
        return jsonify(status="ok") if wants_json else _render("phone/thanks.html", lang, location=location)
    try:  # the version the visitor's page showed, even if the survey was edited since
        version = phone.answered_version(db.session, location, data["survey_version"], data["rating"])
    except InvalidInput as exc:
        return _invalid(slug, location, lang, exc.errors, wants_json)

    window = _update_window()
    repeat_window = timedelta(minutes=current_app.config["PHONE_REPEAT_MINUTES"])
    answered, own = session.get("answered", {}), session.get("mine", {})
    try:
        saved = phone.save_answer(
            db.session,
            location,
            version,
            response_id=data["id"],
            step=data["step"],
            rating=data["rating"],
            language=lang,
            choices=data["choice"],
            comment=data["comment"],
            mine=phone.mine(own, location.id, now),
            repeat=phone.is_repeat(answered, location.id, now, repeat_window),
            policy=ingest.IngestPolicy.from_config(current_app.config),
            now=now,
            window=window,
        )
    except InvalidInput as exc:
        return _invalid(slug, location, lang, exc.errors, wants_json)
    except ServiceError as exc:  # another phone's answer, or one that can no longer change
        if wants_json:
            return jsonify(status=exc.status, errors=exc.errors), exc.status
        return _message("closed", lang, exc.status, location)
    if saved.created:
        metrics.responses_stored("qr", location.id)
        session["answered"] = phone.remember(answered, location.id, now, repeat_window)
    session["mine"] = phone.remember_mine(own, location.id, data["id"], now)
    if wants_json:
        return jsonify(status="ok")
    if data["step"] == "rate":  # no script: the rating is stored, now the optional details
        return _render(
            "phone/details.html",
            lang,
            slug=slug,
            data=data,
            answer=saved.response,
            **_survey_context(location, lang, version),
        )
    return redirect(url_for("phone.thanks", slug=slug, lang=lang), code=303)


def _invalid(slug: str, location, lang: str, errors: dict | list, wants_json: bool):
    """422: the script gets the errors, a plain form the survey again (with a new id)."""
    if wants_json:
        return jsonify(status=422, errors=errors), 422
    return _render(
        "phone/survey.html",
        lang,
        422,
        slug=slug,
        response_id=uuid.uuid4(),
        errors=errors,
        **_survey_context(location, lang),
    )


@phone_bp.get("/s/<slug>/thanks")
def thanks(slug: str):
    location, problem = _resolve(slug, visitor_language())
    if problem:
        return problem
    languages = _offered(location)
    return _render("phone/thanks.html", visitor_language(languages), languages=languages, location=location)


# The phone survey's own wording for these two, with its language links; every other error
# (and these two anywhere else) is feedback/errors'.
@phone_bp.errorhandler(CSRFError)
def csrf_error(exc: CSRFError) -> Response:
    return _message("expired", visitor_language(), 400)


@phone_bp.errorhandler(429)
def too_many(exc: Exception) -> Response:
    return _message("too_many", visitor_language(), 429)

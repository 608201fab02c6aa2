"""Helpers for the phone survey tests: open the page, post its form, read what was stored."""

from __future__ import annotations

import re
import uuid
from html import unescape

from sqlalchemy import select

from feedback.database import write_transaction
from feedback.extensions import db
from feedback.models import Response, SurveyLink
from feedback.models.rollups import DroppedSubmission
from feedback.services import survey_links

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
JSON = {"Accept": "application/json"}


def slug_for(session, location) -> str:
    with write_transaction(session):
        return survey_links.current_link(session, location).slug


def hidden_fields(html: str) -> dict:
    return {name: unescape(value) for name, value in HIDDEN.findall(html)}


def open_survey(client, slug: str, *, headers=None, environ_base=(), query: str = "") -> dict:
    """GET the survey page; its form's hidden fields (csrf_token, id, survey_version, lang)."""
    page = client.get(f"/s/{slug}{query}", headers=headers or {}, environ_base=dict(environ_base))
    assert page.status_code == 200, page.status_code
    fields = hidden_fields(page.get_data(as_text=True))
    assert fields["csrf_token"] and fields["id"]
    return fields


def post(client, slug: str, form: dict, *, json: bool = False, environ_base=()):
    return client.post(f"/s/{slug}", data=form, headers=JSON if json else {}, environ_base=dict(environ_base))


def answer(
    client,
    slug: str,
    rating: int = 4,
    *,
    step: str = "send",
    choices=(),
    comment=None,
    json: bool = False,
    environ_base=(),
    resume: bool = False,
    **extra,
):
    """Open the survey and send one answer in one post (as the page's script does when its rating
    post was lost). A phone reopening the survey within the update window continues its last
    answer; unless ``resume``, this one is a new answer, as from a page opened before that one.

    Returns (response, form) so a test can post the same form again.
    """
    form = open_survey(client, slug, environ_base=dict(environ_base))
    if not resume:
        form["id"] = str(uuid.uuid4())
    form.update(rating=str(rating), step=step, **extra)
    if choices:
        form["choice"] = list(choices)
    if comment is not None:
        form["comment"] = comment
    return post(client, slug, form, json=json, environ_base=dict(environ_base)), form


def stored() -> list[dict]:
    """Every stored response, read on a connection of its own (not the app's session)."""
    with db.engine.connect() as conn:
        return [dict(row) for row in conn.execute(select(Response.__table__)).mappings()]


def dropped() -> list[dict]:
    with db.engine.connect() as conn:
        return [dict(row) for row in conn.execute(select(DroppedSubmission.__table__)).mappings()]


def link_count() -> int:
    with db.engine.connect() as conn:
        return len(conn.execute(select(SurveyLink.__table__)).all())

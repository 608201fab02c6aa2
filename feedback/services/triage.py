"""Triage of the comment inbox (case management): assign a comment to someone in scope, give it a
due date and a note, resolve it with what was done; and the inbox filters that go with it.

"In scope" for a comment: an active admin, or an active manager whose locations or offices
include the comment's location (:func:`feedback.services.users.scope_location_ids`). A manager
acts only on comments of their own scope (else NotFound, as for an unknown id) and can only
pick an assignee from the list this module offers for that comment.

Every change goes through :func:`save_case`, in one write transaction, with one audit entry
(``comment.case``, the changed fields as ``[old, new]``). Resolving needs the resolution text,
and marks an open or archived comment handled (audited as ``comment.handle``, as the inbox's
own button does); reopening a resolved case clears who resolved it and when.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext
from sqlalchemy import ColumnElement, Text, and_, case, cast, false, or_, select
from sqlalchemy.orm import selectinload

from feedback.database import DbSession, write_transaction
from feedback.models import CommentCase, Location, Response, SurveyVersion, User
from feedback.models.cases import NOTE_MAX
from feedback.scales import DRIVERS, SCALES
from feedback.services import audit
from feedback.services.actors import Actor
from feedback.services.errors import InvalidInput, NotFound

SIDES = ("negative", "positive")
ORDERS = ("newest", "negative")  # the inbox's order: newest first, or negative ratings first (then newest)
# The assignee filter: anyone (None), "me", "none" (unassigned), or a user id.
ASSIGNEE_KEYWORDS = ("me", "none")
STATES_WITH_CASES = ("open", "handled", "archived")  # spam and purged comments are not followed up


# --- who may be assigned ------------------------------------------------------------------------


def users_in_scope(session: DbSession, location_id: int) -> list[User]:
    """Active users who see ``location_id``: every admin, and the managers assigned to it or to its
    office. By e-mail."""
    office_id = session.scalar(select(Location.office_id).where(Location.id == location_id))
    query = select(User).options(selectinload(User.locations), selectinload(User.offices))
    found = []
    for user in session.scalars(query.where(User.active.is_(True)).order_by(User.email)):
        if (
            user.is_admin
            or any(loc.id == location_id for loc in user.locations)
            or any(office.id == office_id for office in user.offices)
        ):
            found.append(user)
    return found


def assignees_for_scope(session: DbSession, scope: Collection[int]) -> list[User]:
    """Users who see at least one location of ``scope``: the assignee filter's choices."""
    if not scope:
        return []
    office_ids = set(session.scalars(select(Location.office_id).where(Location.id.in_(scope))))
    query = select(User).options(selectinload(User.locations), selectinload(User.offices))
    return [
        user
        for user in session.scalars(query.where(User.active.is_(True)).order_by(User.email))
        if user.is_admin
        or any(loc.id in scope for loc in user.locations)
        or any(office.id in office_ids for office in user.offices)
    ]


# --- filters ------------------------------------------------------------------------------------


def side_condition(side: str) -> ColumnElement[bool]:
    """Ratings on one side of their own scale (positive from the scale's ``positive_from``)."""
    parts = []
    for key, scale in SCALES.items():
        versions = select(SurveyVersion.id).where(SurveyVersion.scale == key)
        rating = Response.rating >= scale.positive_from if side == "positive" else Response.rating < scale.positive_from
        parts.append(and_(Response.survey_version_id.in_(versions), rating))
    return or_(*parts)


def positive_case() -> ColumnElement[int]:
    """1 for a rating on the positive side of its version's scale, else 0 (the query joins SurveyVersion)."""
    return case(
        *[(and_(SurveyVersion.scale == k, Response.rating >= s.positive_from), 1) for k, s in SCALES.items()], else_=0
    )


def split_cursor(after: str) -> tuple[int | None, str]:
    """A negative-first page's cursor is ``<side>~<cursor>`` (side 0 negative, 1 positive, of the last
    row); a newest-first one has no side."""
    side, sep, rest = after.partition("~")
    if not sep:
        return None, after
    if side not in ("0", "1"):
        raise InvalidInput(gettext("Invalid cursor."), {"after": [gettext("Use the link to the next page.")]})
    return int(side), rest


def driver_condition(driver: str) -> ColumnElement[bool]:
    """The visitor chose ``driver`` as follow-up. The JSON list is matched as text (``"ease"`` with
    its quotes), which both databases read the same way; ``driver`` is one of DRIVERS."""
    return cast(Response.followup_chosen, Text).like(f'%"{driver}"%')


def conditions(
    user_id: int | None, *, side: str | None = None, assignee: str | None = None, driver: str | None = None
) -> list[ColumnElement[bool]]:
    """The inbox conditions for these triage filters (``user_id``: who "me" is)."""
    errors: dict[str, list[str]] = {}
    if side and side not in SIDES:
        errors["side"] = [gettext("One of %(choices)s.", choices=", ".join(SIDES))]
    if driver and driver not in DRIVERS:
        errors["driver"] = [gettext("One of %(choices)s.", choices=", ".join(DRIVERS))]
    if assignee and assignee not in ASSIGNEE_KEYWORDS and not assignee.isdigit():
        errors["assignee"] = [gettext("“me”, “none” or a user id.")]
    if errors:
        raise InvalidInput(gettext("Unknown filter."), errors)
    found: list[ColumnElement[bool]] = []
    if side:
        found.append(side_condition(side))
    if driver:
        found.append(driver_condition(driver))
    if assignee == "none":
        found.append(Response.id.not_in(select(CommentCase.response_id).where(CommentCase.assignee_id.is_not(None))))
    elif assignee:
        who = user_id if assignee == "me" else int(assignee)
        if who is None:
            found.append(false())
        else:
            found.append(Response.id.in_(select(CommentCase.response_id).where(CommentCase.assignee_id == who)))
    return found


# --- reading and changing one case --------------------------------------------------------------


def cases_for(session: DbSession, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, CommentCase]:
    """The cases of these comments (a comment without one is absent)."""
    if not ids:
        return {}
    return {c.response_id: c for c in session.scalars(select(CommentCase).where(CommentCase.response_id.in_(ids)))}


def user_names(session: DbSession, ids: Collection[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    return dict(session.execute(select(User.id, User.email).where(User.id.in_(wanted))).all()) if wanted else {}


@dataclass(frozen=True)
class CaseInput:
    assignee_id: int | None
    due: date | None
    note: str
    resolution: str
    resolved: bool


def comment_in_scope(session: DbSession, scope: Collection[int], response_id: uuid.UUID) -> Response:
    """The comment, if it is one of ``scope``'s and may have a case; else NotFound."""
    response = session.get(Response, response_id)
    if response is None or response.location_id not in scope or response.comment_state not in STATES_WITH_CASES:
        raise NotFound(gettext("No such comment."))
    return response


def _validate(session: DbSession, location_id: int, data: CaseInput) -> tuple[str | None, str | None]:
    errors: dict[str, list[str]] = {}
    note, resolution = data.note.strip(), data.resolution.strip()
    if len(note) > NOTE_MAX:
        errors["note"] = [gettext("At most %(num)d characters.", num=NOTE_MAX)]
    if len(resolution) > NOTE_MAX:
        errors["resolution"] = [gettext("At most %(num)d characters.", num=NOTE_MAX)]
    if data.resolved and not resolution:
        errors["resolution"] = [gettext("Say what was done to resolve it.")]
    if data.assignee_id is not None and data.assignee_id not in {u.id for u in users_in_scope(session, location_id)}:
        errors["assignee_id"] = [gettext("Choose someone who sees this location.")]
    if errors:
        raise InvalidInput(gettext("The case was not saved."), errors)
    return note or None, resolution or None


def save_case(
    session: DbSession, actor: Actor, scope: Collection[int], response_id: uuid.UUID, data: CaseInput, now: datetime
) -> dict[str, list]:
    """Set the case of one comment to ``data``; returns what changed as {field: [old, new]}.

    Nothing changed: no write and no audit entry. The comment row is locked first, so two
    people saving at once apply one after the other.
    """
    with write_transaction(session):
        session.execute(select(Response.id).where(Response.id == response_id).with_for_update())
        response = comment_in_scope(session, scope, response_id)
        note, resolution = _validate(session, response.location_id, data)
        case = session.get(CommentCase, response_id)
        if case is None:
            case = CommentCase(response_id=response_id, updated_at=now)
            session.add(case)
        values: dict[str, object] = {
            "assignee_id": data.assignee_id,
            "due": data.due,
            "note": note,
            "resolution": resolution,
        }
        if data.resolved and case.resolved_at is None:
            values |= {"resolved_at": now, "resolved_by_id": actor.id}
        elif not data.resolved and case.resolved_at is not None:
            values |= {"resolved_at": None, "resolved_by_id": None}
        changed = audit.changes(case, values)
        if not changed:
            if case in session.new:
                session.expunge(case)  # no empty case rows
            return {}
        case.updated_at = now
        location_code = session.scalar(select(Location.code).where(Location.id == response.location_id))
        audit.record(
            session,
            actor,
            "comment.case",
            "response",
            None,
            {"response": str(response_id), "location": location_code, **changed},
        )
        if "resolved_at" in changed and data.resolved and response.comment_state in ("open", "archived"):
            audit.record(
                session,
                actor,
                "comment.handle",
                "response",
                None,
                {
                    "response": str(response_id),
                    "location": location_code,
                    "comment_state": [response.comment_state, "handled"],
                },
            )
            response.comment_state = "handled"
    return changed

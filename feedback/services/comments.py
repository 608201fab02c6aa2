"""The comment inbox: phone comments to read, handle, flag, archive or mark as spam.

A response with a comment has a ``comment_state`` (``open`` when stored, then ``handled``,
``archived`` or ``spam``) and a ``comment_flagged`` marker. Kiosk taps have no comment and
no state, so they never show up here.

Marking a comment as spam takes its whole response out of every score: the response is
subtracted from the rollups (``rollups.apply(sign=-1)``) in the transaction that changes the
state, and added back when the mark is undone. The state change is a conditional UPDATE
(``... WHERE comment_state IN (states the action applies to)``) on rows locked first, and
the rollups move only for the rows that UPDATE changed: two people pressing "spam" at the
same moment subtract the response once. ``rollups.rebuild`` skips spam, so a rebuild agrees;
a response still pending (``services/fold.py``) is in no rollup yet, and the fold skips spam.

Every change is audited, one entry per response (``comment.<action>``, target type
``response``). The audit log's ``target_id`` is an integer and response ids are UUIDs, so
the id is in the entry's details (``response``) and ``target_id`` is None.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast
from zoneinfo import ZoneInfo

from flask_babel import gettext
from sqlalchemy import ColumnElement, Row, Table, and_, case, func, or_, select, update
from sqlalchemy.orm import joinedload

from feedback.database import DbSession, write_transaction
from feedback.models import Location, Office, Response, SurveyVersion
from feedback.models.responses import COMMENT_STATES
from feedback.scales import SCALES
from feedback.services import audit, rollups, triage
from feedback.services.actors import Actor
from feedback.services.dashboard import _like_pattern  # the same search as the location page's comments
from feedback.services.errors import InvalidInput, NotFound
from feedback.services.responses_query import decode_cursor, encode_cursor, utc_bounds

# The inbox tabs: one per state, plus the flagged comments of every state but spam.
TABS = ("open", "flagged", "handled", "archived", "spam")
PAGE_SIZE = 25
SEARCH_MAX = 100
MAX_IDS = 500  # comments changed by one action (a page is far smaller)

# State changes: action -> (new state, the states it applies to). Spam is left only by unmark_spam,
# so the rollups change in exactly two places (mark_spam and unmark_spam).
STATE_MOVES = {
    "handle": ("handled", ("open", "archived")),
    "archive": ("archived", ("open", "handled")),
    "reopen": ("open", ("handled", "archived")),
    "mark_spam": ("spam", ("open", "handled", "archived")),
    "unmark_spam": ("open", ("spam",)),
}
# Flag changes: action -> new flag; on any comment that is not spam.
FLAG_MOVES = {"flag": True, "unflag": False}
ACTIONS = (*STATE_MOVES, *FLAG_MOVES)
NOT_SPAM = tuple(s for s in COMMENT_STATES if s != "spam")


@dataclass(frozen=True)
class InboxItem:
    id: uuid.UUID
    location: Location  # with its office loaded
    client_time: datetime  # aware, UTC
    rating: int
    scale: str
    channel: str
    language: str
    text: str
    state: str
    flagged: bool
    suspect: bool
    drivers: tuple[str, ...] = ()  # the A-11 follow-up drivers the visitor chose

    @property
    def local_time(self) -> datetime:
        """When the visitor answered, in the office's time zone."""
        return self.client_time.astimezone(self.location.office.tz)


@dataclass
class InboxPage:
    items: list[InboxItem]
    counts: dict[str, int]  # per tab, with the same filters but the tab's
    next_cursor: str | None  # ``after`` of the next (older) page; None on the last page


# --- reading ------------------------------------------------------------------------------------


def _date_window(
    session: DbSession, location_ids: Collection[int], start: date | None, end: date | None
) -> ColumnElement[bool] | None:
    """A condition for client times on ``start..end`` in each location's office time zone."""
    if start is None and end is None:
        return None
    by_zone: dict[str, list[int]] = defaultdict(list)
    for loc_id, tz in session.execute(
        select(Location.id, Office.timezone).join(Location.office).where(Location.id.in_(location_ids))
    ):
        by_zone[tz].append(loc_id)
    windows = []
    for tz, ids in sorted(by_zone.items()):
        parts: list[ColumnElement[bool]] = [Response.location_id.in_(sorted(ids))]
        if start is not None:
            parts.append(Response.client_time >= utc_bounds(ZoneInfo(tz), start, start)[0])
        if end is not None:
            parts.append(Response.client_time < utc_bounds(ZoneInfo(tz), end, end)[1])
        windows.append(and_(*parts))
    return or_(*windows) if windows else Response.location_id.is_(None)


def _filters(
    session: DbSession, location_ids: Collection[int], q: str | None, start: date | None, end: date | None
) -> list[ColumnElement[bool]]:
    """Conditions shared by the list and the tab counts (everything but the tab).

    Every tab's condition compares ``comment_state``, which implies ``IS NOT NULL`` (the inbox's
    partial index) to both databases; the counts, which have no tab, add it themselves. Stating
    it again on the list made PostgreSQL misjudge the rows (57 expected instead of 4,320).
    """
    filters: list[ColumnElement[bool]] = [Response.location_id.in_(sorted(location_ids))]
    window = _date_window(session, location_ids, start, end)
    if window is not None:
        filters.append(window)
    if q:
        filters.append(Response.comment.ilike(_like_pattern(q[:SEARCH_MAX]), escape="\\"))
    return filters


def _tab_condition(tab: str) -> ColumnElement[bool]:
    if tab == "flagged":
        return and_(Response.comment_flagged.is_(True), Response.comment_state != "spam")
    return Response.comment_state == tab


def tab_counts(
    session: DbSession,
    location_ids: Collection[int],
    *,
    q: str | None = None,
    start: date | None = None,
    end: date | None = None,
    extra: Sequence[ColumnElement[bool]] = (),
) -> dict[str, int]:
    """How many comments each tab holds under these filters."""
    if not location_ids:
        return dict.fromkeys(TABS, 0)
    return _count_tabs(session, [*_filters(session, location_ids, q, start, end), *extra])


def _count_tabs(session: DbSession, filters: list) -> dict[str, int]:
    counts = dict.fromkeys(TABS, 0)
    filters = [*filters, Response.comment_state.is_not(None)]
    flagged = func.sum(case((and_(Response.comment_flagged.is_(True), Response.comment_state != "spam"), 1), else_=0))
    for state, n, n_flagged in session.execute(
        select(Response.comment_state, func.count(), flagged).where(*filters).group_by(Response.comment_state)
    ):
        if state in counts:
            counts[state] = int(n)
        counts["flagged"] += int(n_flagged or 0)
    return counts


def inbox(
    session: DbSession,
    location_ids: Collection[int],
    *,
    tab: str = "open",
    q: str | None = None,
    start: date | None = None,
    end: date | None = None,
    after: str | None = None,
    per_page: int = PAGE_SIZE,
    extra: Sequence[ColumnElement[bool]] = (),
    negative_first: bool = False,
) -> InboxPage:
    """One page of the comments of ``location_ids`` in ``tab``, newest first (``negative_first``:
    the ratings on the negative side of their scale first, each side newest first).

    ``q`` matches case-insensitively anywhere in the comment (``%`` and ``_`` match themselves);
    ``start``/``end`` are local dates of each office (either may be None). Pages are keyset
    pages: ``after`` is the ``next_cursor`` of the page before. ``extra`` are more conditions on
    ``Response`` (the triage filters of :mod:`feedback.services.triage`), for the page and counts.
    """
    if tab not in TABS:
        raise InvalidInput(gettext("Unknown tab."), {"tab": [gettext("One of %(choices)s.", choices=", ".join(TABS))]})
    if not location_ids:
        return InboxPage([], dict.fromkeys(TABS, 0), None)
    filters = [*_filters(session, location_ids, q, start, end), *extra]  # one time-zone lookup for both
    counts = _count_tabs(session, filters)
    query = (
        select(
            Response.id,
            Response.location_id,
            Response.client_time,
            Response.rating,
            SurveyVersion.scale,
            Response.channel,
            Response.language,
            Response.comment,
            Response.comment_state,
            Response.comment_flagged,
            Response.suspect,
            Response.followup_chosen,
        )
        .join(SurveyVersion, SurveyVersion.id == Response.survey_version_id)
        .where(*filters, _tab_condition(tab))
    )
    positive = triage.positive_case()
    if after:
        side, plain = triage.split_cursor(after)
        if (side is None) == negative_first:
            raise InvalidInput(gettext("Invalid cursor."), {"after": [gettext("Use the link to the next page.")]})
        moment, ident = decode_cursor(plain)
        older = or_(Response.client_time < moment, and_(Response.client_time == moment, Response.id < ident))
        query = query.where(or_(positive > side, and_(positive == side, older)) if negative_first else older)
    order: list[ColumnElement] = [Response.client_time.desc(), Response.id.desc()]
    rows = session.execute(query.order_by(*([positive] if negative_first else []), *order).limit(per_page + 1)).all()
    places = (
        {
            loc.id: loc
            for loc in session.scalars(
                select(Location)
                .options(joinedload(Location.office))
                .where(Location.id.in_({r.location_id for r in rows[:per_page]}))
            )
        }
        if rows
        else {}
    )
    items = [
        InboxItem(
            r.id,
            places[r.location_id],
            r.client_time,
            r.rating,
            r.scale,
            r.channel,
            r.language,
            r.comment or "",
            r.comment_state,
            bool(r.comment_flagged),
            bool(r.suspect),
            tuple(r.followup_chosen or ()),
        )
        for r in rows[:per_page]
    ]
    cursor = encode_cursor(items[-1]) if len(rows) > per_page else None
    if cursor and negative_first:
        cursor = f"{int(SCALES[items[-1].scale].is_positive(items[-1].rating))}~{cursor}"
    return InboxPage(items, counts, cursor)


# --- changing -----------------------------------------------------------------------------------


@dataclass
class ActionResult:
    action: str
    changed: list[uuid.UUID]  # in id order
    unchanged: int  # chosen, but already so (or spam, for actions that leave spam alone)


def _fact(row: Row, zones: dict[int, ZoneInfo]) -> rollups.Fact:
    return rollups.Fact.of(row, zones[row.location_id], row.scale)


def act(
    session: DbSession, actor: Actor, scope: Collection[int], action: str, ids: Iterable[uuid.UUID]
) -> ActionResult:
    """Apply ``action`` to the comments ``ids``, all or nothing, in one write transaction.

    Every id must be a comment of a location in ``scope`` (else NotFound and nothing changes,
    like an unknown id). Comments already in the target state are left alone and not audited.
    """
    if action not in ACTIONS:
        raise InvalidInput(
            gettext("Unknown action."), {"action": [gettext("One of %(choices)s.", choices=", ".join(ACTIONS))]}
        )
    wanted = sorted(set(ids))
    if not wanted:
        raise InvalidInput(gettext("Choose at least one comment."), {"ids": [gettext("Choose at least one comment.")]})
    if len(wanted) > MAX_IDS:
        raise InvalidInput(
            gettext("Too many comments at once."), {"ids": [gettext("At most %(max_ids)s at a time.", max_ids=MAX_IDS)]}
        )
    scope = set(scope)
    table = cast(Table, Response.__table__)  # declared as a FromClause; a mapped class's is a Table
    with write_transaction(session):
        # Locked in id order (no deadlocks between two bulk actions); SQLite's BEGIN IMMEDIATE
        # already serialises writers, PostgreSQL re-reads each row once its lock is free.
        rows = session.execute(
            select(
                Response.id,
                Response.location_id,
                Response.comment_state,
                Response.comment_flagged,
                Response.client_time,
                Response.channel,
                Response.suspect,
                Response.rating,
                Response.language,
                Response.followup_offered,
                Response.followup_chosen,
                Response.pending,
                SurveyVersion.scale,
                Location.code,
                Office.timezone,
            )
            .join(SurveyVersion, SurveyVersion.id == Response.survey_version_id)
            .join(Location, Location.id == Response.location_id)
            .join(Office, Office.id == Location.office_id)
            .where(Response.id.in_(wanted))
            .order_by(Response.id)
            .with_for_update(of=table)
        ).all()
        if len(rows) != len(wanted) or any(r.location_id not in scope or r.comment_state is None for r in rows):
            raise NotFound(gettext("No such comment."))
        new: str | bool
        guard: ColumnElement[bool]
        values: dict[str, str | bool]
        if action in STATE_MOVES:
            new, applies_to = STATE_MOVES[action]
            guard = table.c.comment_state.in_(applies_to)
            values = {"comment_state": new}
            candidates = [r.id for r in rows if r.comment_state in applies_to]
        else:
            new = FLAG_MOVES[action]
            guard = and_(table.c.comment_state != "spam", table.c.comment_flagged != new)
            values = {"comment_flagged": new}
            candidates = [r.id for r in rows if r.comment_state != "spam" and bool(r.comment_flagged) != new]
        changed: set[uuid.UUID] = set()
        if candidates:
            changed = set(
                session.scalars(
                    update(table).where(table.c.id.in_(candidates), guard).values(**values).returning(table.c.id)
                )
            )
        done = [r for r in rows if r.id in changed]
        # A row still pending (read under its lock) is not in the rollups yet: the fold skips spam.
        counted = [r for r in done if not r.pending]
        if action in ("mark_spam", "unmark_spam") and counted:
            zones = rollups.zones_for_write(session, {r.location_id for r in counted})  # a zone change waits
            rollups.apply(session, [_fact(r, zones) for r in counted], sign=-1 if action == "mark_spam" else 1)
        for r in done:
            field, old = (
                ("comment_state", r.comment_state)
                if action in STATE_MOVES
                else ("comment_flagged", bool(r.comment_flagged))
            )
            audit.record(
                session,
                actor,
                f"comment.{action}",
                "response",
                None,
                {"response": str(r.id), "location": r.code, field: [old, new]},
            )
    return ActionResult(action, [r.id for r in done], len(rows) - len(done))

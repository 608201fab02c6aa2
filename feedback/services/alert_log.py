"""Raised alerts on the admin site: the list, one alert in scope, acknowledging, its figures."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from feedback.database import DbSession
from feedback.i18n import N_
from feedback.models import Alert, Location, User
from feedback.numbers import percent_text
from feedback.services import audit, users
from feedback.services.errors import InvalidInput, NotFound

COMMENT_MAX = 2000
STATES = ("open", "acknowledged", "all")


def alerts_page(
    session: DbSession, actor: User, *, state: str = "open", before: int | None = None, size: int = 50
) -> tuple[list[Alert], int | None]:
    """The actor's alerts, newest first, and the ``before`` id of the next (older) page."""
    ids = users.scope_location_ids(session, actor)
    if not ids:
        return [], None
    query = (
        select(Alert)
        .options(joinedload(Alert.location).joinedload(Location.office))
        .where(Alert.location_id.in_(ids))
        .order_by(Alert.id.desc())
        .limit(size + 1)
    )
    if state == "open":
        query = query.where(Alert.acknowledged_at.is_(None))
    elif state == "acknowledged":
        query = query.where(Alert.acknowledged_at.is_not(None))
    if before:
        query = query.where(Alert.id < before)
    rows = list(session.scalars(query))
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].id if more else None)


def alert_in_scope(session: DbSession, actor: User, alert_id: int, *, lock: bool = False) -> Alert:
    alert = session.get(Alert, alert_id, populate_existing=lock, with_for_update=lock)
    if alert is None or alert.location_id not in users.scope_location_ids(session, actor):
        raise NotFound(gettext("No such alert."))
    return alert


def acknowledge(session: DbSession, actor: User, alert_id: int, comment: str | None, now: datetime) -> bool:
    """Acknowledge an alert (once; who and when are kept) and set its comment. Audited; returns
    whether anything changed. The caller's transaction commits."""
    alert = alert_in_scope(session, actor, alert_id, lock=True)
    text = (comment or "").strip() or None
    if text is not None and len(text) > COMMENT_MAX:
        raise InvalidInput(
            gettext("The alert was not saved."),
            {"comment": [gettext("At most %(comment_max)s characters.", comment_max=COMMENT_MAX)]},
        )
    values: dict = {"comment": text}
    if alert.acknowledged_at is None:
        values |= {"acknowledged_at": now, "acknowledged_by": actor.email}
    diff = audit.changes(alert, values)
    if diff:
        audit.record(session, actor, "alert.acknowledge", "alert", alert.id, diff)
    session.flush()
    return bool(diff)


def _duration(minutes: int) -> str:
    return f"{minutes} minutes" if minutes < 120 else f"{minutes // 60} h {minutes % 60} min"


def figures(alert: Alert) -> list[tuple[str, str]]:
    """The figures behind an alert as (label, value) lines, times in the office's local time."""
    tz = alert.location.office.tz
    d = alert.details or {}

    def local(value: str | None) -> str:
        return datetime.fromisoformat(value).astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") if value else "–"

    if alert.kind == "burst":
        rule = d.get("rule", {})
        return [
            (N_("Negative ratings"), f"{d.get('negative')} of the last {d.get('counted')}"),
            (
                N_("Rule"),
                f"{rule.get('negatives')} negative of the last {rule.get('of_last')} "
                f"within {rule.get('within_minutes')} minutes",
            ),
            (N_("First negative rating"), local(d.get("first_negative_at"))),
            (N_("Latest negative rating"), local(d.get("last_negative_at"))),
        ]
    if alert.kind == "below_target":
        return [
            (N_("Window (local dates)"), f"{d.get('from')} to {d.get('to')} ({d.get('window_days')} days)"),
            (N_("Responses"), str(d.get("n"))),
            (N_("Positive"), str(d.get("positive"))),
            (N_("CSAT"), percent_text(d["csat"]) if d.get("csat") is not None else "–"),
            # No "%" in the label: Jinja's gettext %-formats every message it renders.
            (
                N_("Confidence interval"),
                f"{percent_text(d['low'])} to {percent_text(d['high'])} (95 %)" if d.get("high") is not None else "–",
            ),
            (N_("Target"), percent_text(d["target"]) if d.get("target") is not None else "–"),
        ]
    if alert.kind == "silence":
        return [
            (N_("Last response (or kiosk enrolment)"), local(d.get("since"))),
            (N_("Silent for (opening time)"), _duration(d.get("quiet_minutes") or 0)),
            (N_("Rule"), f"{d.get('rule', {}).get('minutes')} minutes of opening hours"),
            (N_("Active kiosks"), str(d.get("active_kiosks"))),
        ]
    return []

"""The audit log: record a change in the same transaction that makes it, and read it in pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import select

from feedback.database import DbSession
from feedback.i18n import N_
from feedback.models import ApiToken, AuditEntry, Device, Location, Office, SsoGroupRole, Survey, User
from feedback.services.actors import Actor, name_of

PAGE_SIZE = 50


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value if value is None or isinstance(value, (str, int, float, bool, dict)) else str(value)


def changes(obj: object, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Apply ``values`` to ``obj`` and return what changed as {field: [old, new]}."""
    changed = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            changed[field] = [_plain(old), _plain(new)]
            setattr(obj, field, new)
    return changed


def record(
    session: DbSession,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: int | None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry (the caller's transaction commits it with the change itself)."""
    entry = AuditEntry(
        user_id=actor.id,
        actor=name_of(actor),
        action=action,
        target_type=target_type,
        target_id=target_id,
        details={k: _plain(v) for k, v in (details or {}).items()},
    )
    session.add(entry)
    return entry


def recent(session: DbSession, limit: int = 200, before_id: int | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    return list(session.scalars(query))


@dataclass
class AuditRow:
    entry: AuditEntry
    target: str  # e.g. "location HOU-C1", readable even after the target changed


_TARGET_LABELS: dict[str, tuple[Any, Callable[[Any], str]]] = {
    "office": (Office, lambda o: o.name),
    "location": (Location, lambda loc: loc.code),
    "survey": (Survey, lambda s: s.name),
    "device": (Device, lambda d: f"#{d.id}{' ' + repr(d.label) if d.label else ''}"),
    "user": (User, lambda u: u.email),
    "api_token": (ApiToken, lambda t: repr(t.name)),
    "sso_group": (SsoGroupRole, lambda g: repr(g.group_name)),
}
# What each kind of target is called on the audit page (translated when the page is drawn).
_KIND_NAMES = {
    "alert": N_("alert"),
    "api_token": N_("API token"),
    "device": N_("kiosk"),
    "location": N_("location"),
    "office": N_("office"),
    "response": N_("response"),
    "retention": N_("retention"),
    "sso_group": N_("sign-in group"),
    "survey": N_("survey"),
    "user": N_("user"),
}
# Details whose values are recorded codes (how someone signed in, why it was refused, where
# figures came from), shown as codes like the action itself rather than as words of the page.
CODE_FIELDS = frozenset({"method", "reason", "source"})


def kind_name(target_type: str) -> str:
    """A target kind in the page's language (an unknown kind by its code)."""
    return gettext(_KIND_NAMES[target_type]) if target_type in _KIND_NAMES else target_type


def _target_label(entry: AuditEntry, labels: dict[tuple[str, int], str]) -> str:
    if entry.target_id is None:
        # Targets without an integer id (a response's UUID) name themselves in the details.
        return str((entry.details or {}).get(entry.target_type, "")) or "\u2013"
    return labels.get((entry.target_type, entry.target_id), f"#{entry.target_id}")


def page(session: DbSession, before: int | None = None, size: int = PAGE_SIZE) -> tuple[list[AuditRow], int | None]:
    """One page of the audit log, newest first, and the ``before`` id of the next (older) page."""
    entries = recent(session, limit=size + 1, before_id=before)
    more = len(entries) > size
    entries = entries[:size]
    labels: dict[tuple[str, int], str] = {}
    for kind, (model, label) in _TARGET_LABELS.items():
        ids = {e.target_id for e in entries if e.target_type == kind and e.target_id is not None}
        if ids:
            for obj in session.scalars(select(model).where(model.id.in_(ids))):
                labels[(kind, obj.id)] = label(obj)
    rows = [AuditRow(e, f"{kind_name(e.target_type)} {_target_label(e, labels)}") for e in entries]
    return rows, (entries[-1].id if more else None)

"""The audit log: record a change in the same transaction that makes it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback.models import AuditEntry
from feedback.services.actors import Actor, name_of


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value if value is None or isinstance(value, (str, int, float, bool, dict)) else str(value)


def changes(obj, values: dict) -> dict:
    """Apply ``values`` to ``obj`` and return what changed as {field: [old, new]}."""
    changed = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            changed[field] = [_plain(old), _plain(new)]
            setattr(obj, field, new)
    return changed


def record(
    session: Session,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: int | None,
    details: dict | None = None,
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


def recent(session: Session, limit: int = 200, before_id: int | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    return list(session.scalars(query))

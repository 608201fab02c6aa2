"""Records retention: forget comment text and audit entries older than an agency's schedule.

Records schedules differ by agency, so both periods are settings (``RETENTION_COMMENT_DAYS``,
``RETENTION_AUDIT_DAYS``); unset or 0 keeps everything forever.

A purged comment loses its text, its flag, its follow-up (services/triage.py) and its place in the
inbox, but not its response: the rating, the follow-up choices and the counts stay, so no score,
rollup or export total moves.
Its ``comment_state`` becomes ``purged`` (out of every inbox tab), except spam, which stays
``spam`` because that state is what keeps a spam response out of every score (and out of a
rollup rebuild). The age of a comment is its response's ``client_time``; of an audit entry, ``at``.

Each run that purged anything, and each run with a period set, writes one audit entry
(``retention.purge``) with the counts and the cut-offs, in the transaction that purges.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, false, select, update

from feedback.database import DbSession, rowcount, write_transaction
from feedback.models import AuditEntry, CommentCase, Response
from feedback.services import audit
from feedback.services.actors import SystemActor

PURGED = "purged"
RETENTION = SystemActor("retention")


@dataclass(frozen=True)
class Result:
    comments: int  # comments whose text was cleared
    audit_entries: int  # audit entries deleted
    comment_cutoff: datetime | None  # comments older than this went; None: comments are kept forever
    audit_cutoff: datetime | None

    def summary(self) -> str:
        """One line for the CLI and the scheduler's log."""
        if self.comment_cutoff is None and self.audit_cutoff is None:
            return "Retention is off (RETENTION_COMMENT_DAYS and RETENTION_AUDIT_DAYS are 0): nothing purged."
        purged, kept = [], []
        for what, n, cutoff in (
            ("comments", self.comments, self.comment_cutoff),
            ("audit entries", self.audit_entries, self.audit_cutoff),
        ):
            if cutoff is None:
                kept.append(what)
            else:
                purged.append(f"{n} {what} older than {cutoff:%Y-%m-%d %H:%M} UTC")
        line = f"Purged {' and '.join(purged)}."
        return f"{line} {kept[0].capitalize()} are kept forever." if kept else line


def _cutoff(now: datetime, days: int | None) -> datetime | None:
    if not days or days <= 0:
        return None
    return now - timedelta(days=days)


def purge(session: DbSession, now: datetime, *, comment_days: int | None, audit_days: int | None) -> Result:
    """Clear comments older than ``comment_days`` and delete audit entries older than
    ``audit_days`` (None or 0: keep forever), then audit the purge, in one write transaction."""
    comment_cutoff = _cutoff(now, comment_days)
    audit_cutoff = _cutoff(now, audit_days)
    comments = entries = 0
    if comment_cutoff is None and audit_cutoff is None:
        return Result(0, 0, None, None)
    with write_transaction(session):
        if comment_cutoff is not None:
            # A follow-up's note and resolution go with the text they are about (they may quote it).
            old = select(Response.id).where(Response.comment.is_not(None), Response.client_time < comment_cutoff)
            session.execute(
                delete(CommentCase).where(CommentCase.response_id.in_(old)).execution_options(synchronize_session=False)
            )
            comments = rowcount(
                session.execute(
                    update(Response)
                    .where(Response.comment.is_not(None), Response.client_time < comment_cutoff)
                    .values(
                        comment=None,
                        comment_flagged=false(),
                        comment_state=case((Response.comment_state == "spam", "spam"), else_=PURGED),
                    )
                    .execution_options(synchronize_session=False)
                )
            )
        if audit_cutoff is not None:
            entries = rowcount(
                session.execute(
                    delete(AuditEntry).where(AuditEntry.at < audit_cutoff).execution_options(synchronize_session=False)
                )
            )
        details: dict[str, Any] = {
            "retention": f"{comments} comments, {entries} audit entries",  # what the audit page shows
            "comments": comments,
            "comment_cutoff": comment_cutoff,
            "comment_days": comment_days or 0,
            "audit_entries": entries,
            "audit_cutoff": audit_cutoff,
            "audit_days": audit_days or 0,
        }
        entry = audit.record(session, RETENTION, "retention.purge", "retention", None, details)
        entry.at = now
    return Result(comments, entries, comment_cutoff, audit_cutoff)


def retention_job(session: DbSession, now: datetime, config: Mapping[str, Any]) -> str:
    """The scheduled job: purge by the app's settings and say what was done in one line."""
    result = purge(
        session,
        now,
        comment_days=int(config.get("RETENTION_COMMENT_DAYS") or 0),
        audit_days=int(config.get("RETENTION_AUDIT_DAYS") or 0),
    )
    return result.summary()

"""Alert rules per location and the alerts they raise.

Several nodes may evaluate the same rule at once (on ingest, or ``flask alerts
run`` from cron on every node). Each alert is claimed through the unique
``(rule_id, claim_key)`` pair: the claim key names the episode (for example the
time of the first negative rating of a burst), so a second evaluator's insert of
the same episode conflicts and is dropped. E-mail delivery is claimed the same
way, by an UPDATE that only one node can win (``email_state`` pending -> sending).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.extensions import Model
from feedback.sqltypes import UTCDateTime, utcnow

if TYPE_CHECKING:
    from feedback.models.org import Location

ALERT_KINDS = ("burst", "below_target", "silence")
EMAIL_STATES = ("pending", "sending", "sent", "failed", "none")


class AlertRule(Model):
    __tablename__ = "alert_rules"
    __table_args__ = (UniqueConstraint("location_id", "kind", name="uq_alert_rules_location_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # one of ALERT_KINDS
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Kind-specific settings, e.g. burst {"negatives": 5, "of_last": 8, "within_minutes": 30},
    # below_target {"window_days": 7}, silence {"minutes": 60}.
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    # Extra addresses; the location's managers are always notified.
    recipients: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    location: Mapped[Location] = relationship()


class Alert(Model):
    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("rule_id", "claim_key", name="uq_alerts_rule_claim"),
        Index("ix_alerts_location_raised", "location_id", "raised_at"),
        Index("ix_alerts_email_state", "email_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    claim_key: Mapped[str] = mapped_column(String(64))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    summary: Mapped[str] = mapped_column(String(300))  # one line, for the list and the e-mail subject
    details: Mapped[dict] = mapped_column(JSON, default=dict)  # the figures behind it
    email_state: Mapped[str] = mapped_column(String(8), default="pending")
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_error: Mapped[str | None] = mapped_column(String(300))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(254))
    comment: Mapped[str | None] = mapped_column(Text)

    rule: Mapped[AlertRule] = relationship()
    location: Mapped[Location] = relationship()

"""Alert evaluation: the burst, below-target and silence checks of each location's rules, and
the claim of each alert found (one situation, one alert; see docs/ARCHITECTURE.md, "Alerts")."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from feedback.database import DbSession, write_transaction
from feedback.models import Alert, AlertRule, Device, Location, Response, SurveyVersion
from feedback.models.alerts import ALERT_KINDS
from feedback.numbers import percent_text
from feedback.scales import SCALES
from feedback.services.alert_rules import DEFAULT_PARAMS, Rule, effective_rules
from feedback.services.hours import open_time_between
from feedback.services.tally import Counted, read_one

log = logging.getLogger(__name__)


@dataclass
class Finding:
    """An alert to claim: the rule, its claim key, a one-line summary and the figures."""

    rule: Rule
    claim_key: str
    summary: str
    details: dict


@dataclass
class _Pass:
    findings: list[Finding] = field(default_factory=list)
    # Burst episodes that go on: {alert id: newest negative now counted}.
    extend: dict[int, datetime] = field(default_factory=dict)


def _iso(moment: datetime) -> str:
    return moment.isoformat()  # to the microsecond: episode markers are compared with client times


def _pct(share: float) -> str:
    return percent_text(share)  # rounded half up, as on every page


def _latest_alert(session: DbSession, rule: Rule) -> Alert | None:
    if rule.rule_id is None:
        return None
    return session.scalar(select(Alert).where(Alert.rule_id == rule.rule_id).order_by(Alert.id.desc()).limit(1))


def _burst(session: DbSession, rule: Rule, now: datetime, out: _Pass) -> None:
    p = rule.params
    location = rule.location
    rows = session.execute(
        select(Response.client_time, Response.rating, SurveyVersion.scale)
        .join(SurveyVersion, SurveyVersion.id == Response.survey_version_id)
        .where(
            Response.location_id == location.id,
            Response.client_time > now - timedelta(minutes=p["within_minutes"]),
            Response.suspect.is_(False),
            Response.comment_state.is_distinct_from("spam"),
        )  # as everywhere (comments.py)
        .order_by(Response.client_time.desc(), Response.id.desc())
        .limit(p["of_last"])
    ).all()
    negatives = sorted(r.client_time for r in rows if not SCALES[r.scale].is_positive(r.rating))
    if len(negatives) < p["negatives"]:
        return
    latest = _latest_alert(session, rule)
    if latest is not None and latest.details.get("last_negative_at"):
        through = datetime.fromisoformat(latest.details["last_negative_at"])
        if sum(t > through for t in negatives) < p["negatives"]:
            # The same negatives still count: the episode of ``latest`` goes on.
            if negatives[-1] > through:
                out.extend[latest.id] = negatives[-1]
            return
    out.findings.append(
        Finding(
            rule,
            f"burst:after:{latest.id if latest else 0}",
            f"{location.code}: {len(negatives)} of the last {len(rows)} ratings were negative "
            f"within {p['within_minutes']} minutes",
            {
                "negative": len(negatives),
                "counted": len(rows),
                "rule": dict(p),
                "first_negative_at": _iso(negatives[0]),
                "last_negative_at": _iso(negatives[-1]),
                "evaluated_at": _iso(now),
            },
        )
    )


def window_tally(session: DbSession, location: Location, now: datetime, window_days: int) -> Counted:
    """The location's tally over the last ``window_days`` local days (today included)."""
    today = now.astimezone(location.office.tz).date()
    return read_one(session, [location.id], today - timedelta(days=window_days - 1), today)


def below_target_details(counted: Counted, target: float) -> dict[str, Any]:
    """What a below-target alert stores: the window, its counts, CSAT and interval, the target."""
    tally = counted.total
    interval = tally.interval
    return {
        "from": counted.start.isoformat(),
        "to": counted.end.isoformat(),
        "n": tally.count,
        "positive": tally.positive,
        "csat": tally.csat,
        "low": interval.low if interval else None,
        "high": interval.high if interval else None,
        "target": target,
    }


def _below_target(session: DbSession, rule: Rule, now: datetime, out: _Pass) -> None:
    location = rule.location
    days = rule.params["window_days"]
    target = location.effective_csat_target
    if target is None:
        return
    latest = _latest_alert(session, rule)
    today = now.astimezone(location.office.tz).date()
    if (
        latest is not None
        and latest.details.get("to")
        and date.fromisoformat(latest.details["to"]) > today - timedelta(days=days)
    ):
        return  # reported less than a window ago
    counted = window_tally(session, location, now, days)
    # The standards page's "not met" (stats.verdict): even the interval's upper bound is below the target.
    if counted.total.verdict(target) != "not_met":
        return
    figures = below_target_details(counted, target)
    out.findings.append(
        Finding(
            rule,
            f"below_target:after:{latest.id if latest else 0}",
            f"{location.code}: CSAT {_pct(figures['csat'])} over the last {days} days is below the "
            f"{_pct(figures['target'])} target (95 % interval up to {_pct(figures['high'])}, "
            f"{figures['n']} responses)",
            figures | {"window_days": days, "evaluated_at": _iso(now)},
        )
    )


def silence_start(session: DbSession, location: Location) -> datetime | None:
    """When the current silence began: the last response, or the first active kiosk's enrolment
    if later; None when the location has no active kiosk."""
    installed = session.scalar(
        select(func.min(Device.created_at)).where(Device.location_id == location.id, Device.revoked_at.is_(None))
    )
    if installed is None:
        return None
    last = session.scalar(select(func.max(Response.client_time)).where(Response.location_id == location.id))
    return max(last, installed) if last is not None else installed


def _silence(session: DbSession, rule: Rule, now: datetime, out: _Pass) -> None:
    location, office = rule.location, rule.location.office
    if not office.is_open_at(now):
        return
    since = silence_start(session, location)
    if since is None:
        return
    wanted = timedelta(minutes=rule.params["minutes"])
    quiet = open_time_between(office, since, now, enough=wanted)
    if quiet < wanted:
        return
    quiet = open_time_between(office, since, now)  # the whole silence, for the figures (a rare, longer count)
    kiosks = session.scalar(
        select(func.count()).select_from(Device).where(Device.location_id == location.id, Device.revoked_at.is_(None))
    )
    out.findings.append(
        Finding(
            rule,
            f"silence:{since.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}",
            f"{location.code}: no response for {rule.params['minutes']} minutes or more of opening hours",
            {
                "since": _iso(since),
                "quiet_minutes": int(quiet.total_seconds() // 60),
                "rule": dict(rule.params),
                "active_kiosks": kiosks,
                "evaluated_at": _iso(now),
            },
        )
    )


CHECKS = {"burst": _burst, "below_target": _below_target, "silence": _silence}


def evaluate(
    session: DbSession,
    location_ids: Iterable[int],
    now: datetime,
    *,
    kinds: Iterable[str] = ALERT_KINDS,
    email: bool = False,
) -> list[int]:
    """Evaluate the enabled rules of ``kinds`` at ``location_ids``; returns the ids of new alerts.

    ``email`` says whether e-mail delivery is configured: new alerts are then ``pending``
    (else ``none``, listed in the admin site only). Reads first, then claims in one write
    transaction; a situation already claimed by another evaluator is silently skipped.
    """
    kinds = tuple(kinds)
    found = _Pass()
    for rules in effective_rules(session, location_ids).values():
        for kind in kinds:
            rule = rules[kind]
            if rule.enabled and rule.location.active:
                CHECKS[kind](session, rule, now, found)
    return _claim_all(session, found, now, email)


def _insert(session: DbSession) -> Callable[..., Any]:
    """The dialect's INSERT, which has ``on_conflict_do_nothing``."""
    return {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[session.get_bind().dialect.name]


def _rule_id(session: DbSession, location_id: int, kind: str) -> int:
    """The stored rule's id, storing the default first if there is none (race-safe)."""
    stmt = _insert(session)(AlertRule).values(
        location_id=location_id, kind=kind, enabled=True, params=dict(DEFAULT_PARAMS[kind]), recipients=[]
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["location_id", "kind"]))
    return session.execute(
        select(AlertRule.id).where(AlertRule.location_id == location_id, AlertRule.kind == kind)
    ).scalar_one()


def _claim_all(session: DbSession, found: _Pass, now: datetime, email: bool) -> list[int]:
    if not found.findings and not found.extend:
        session.commit()  # end the read (SQLite keeps a snapshot until then)
        return []
    raised = []
    with write_transaction(session):
        for alert_id, newest in sorted(found.extend.items()):
            alert = session.get(Alert, alert_id, populate_existing=True, with_for_update=True)
            if alert is None:
                continue  # deleted since it was read
            through = alert.details.get("last_negative_at")
            if through is None or datetime.fromisoformat(through) < newest:
                alert.details = dict(alert.details) | {"last_negative_at": _iso(newest), "last_held_at": _iso(now)}
        for finding in found.findings:
            rule = finding.rule
            rule_id = rule.rule_id or _rule_id(session, rule.location.id, rule.kind)
            stmt = (
                _insert(session)(Alert)
                .values(
                    rule_id=rule_id,
                    location_id=rule.location.id,
                    kind=rule.kind,
                    claim_key=finding.claim_key,
                    raised_at=now,
                    summary=finding.summary[:300],
                    details=finding.details,
                    email_state="pending" if email else "none",
                    email_attempts=0,
                )
                .on_conflict_do_nothing(index_elements=["rule_id", "claim_key"])
                .returning(Alert.id)
            )
            alert_id = session.scalar(stmt)
            if alert_id is not None:
                raised.append(alert_id)
                log.info("Alert %s raised: %s", alert_id, finding.summary)
    return raised


def evaluate_on_ingest(
    session: DbSession, location_ids: Iterable[int], now: datetime, *, negative: bool = True, email: bool = False
) -> list[int]:
    """The checks new responses can trigger: burst and below target, and only when one of them is a
    (non-suspect) negative rating. Positive ratings cannot start either: a burst counts negatives,
    and one more success never lowers the Wilson upper bound (the score statistic at the old bound
    only grows), so it cannot push a score below target; silence, and a window that moved on to a
    new day, are the periodic job's. So the common case, a satisfied visitor, costs nothing here."""
    if not negative:
        return []
    return evaluate(session, location_ids, now, kinds=("burst", "below_target"), email=email)


def evaluate_ingested(session: DbSession, records: Iterable[Any], now: datetime, *, email: bool = False) -> list[int]:
    """``evaluate_on_ingest`` for stored response records (``location_id``, ``survey_version_id``,
    ``rating``, ``suspect``), e.g. the created results of ``ingest.ingest``. Records of ingest also
    carry their ``scale``, so a positive tap is told apart without a query (a lookup otherwise)."""
    records = list(records)
    if not records:
        return []
    scales = {r.survey_version_id: r.scale for r in records if getattr(r, "scale", None)}
    missing = {r.survey_version_id for r in records} - scales.keys()
    if missing:
        scales |= dict(
            session.execute(select(SurveyVersion.id, SurveyVersion.scale).where(SurveyVersion.id.in_(missing))).all()
        )
    negative = any(not r.suspect and not SCALES[scales[r.survey_version_id]].is_positive(r.rating) for r in records)
    return evaluate_on_ingest(session, {r.location_id for r in records}, now, negative=negative, email=email)


def run_periodic(session: DbSession, now: datetime, *, email: bool = False) -> list[int]:
    """Every enabled rule of every active location (``flask alerts run``); ids of new alerts."""
    ids = list(session.scalars(select(Location.id).where(Location.active.is_(True)).order_by(Location.id)))
    return evaluate(session, ids, now, email=email)

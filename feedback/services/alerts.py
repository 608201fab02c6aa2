"""Alert rules per location: a burst of negative ratings, a score below target, silence.

Every function takes ``now`` explicitly (the views read it from ``feedback.clock``), so
tests replay a morning minute by minute.

Rules
-----
A location has at most one rule of each kind (``AlertRule``). A location without a stored
rule of a kind uses the default: **all three kinds are on by default**, with the parameters
of ``DEFAULT_PARAMS``, because each only fires where it makes sense: ``silence`` needs an
active (unrevoked) kiosk at the location, ``below_target`` needs a CSAT target (the
location's or its office's). The rule row is made the first time it raises an alert or an
admin saves it, so no write happens for locations that never alert. Switched-off locations
are never evaluated.

- **burst**: among the location's last ``of_last`` non-suspect ratings (spam left out) with a
  client time within ``within_minutes`` before now, at least ``negatives`` are negative (the
  scale's rule, ``feedback.scales``).
- **below_target**: over the last ``window_days`` local days (today included), from the
  rollups (non-suspect), even the upper bound of CSAT's 95 % Wilson interval is below the
  target, so a counter with a dozen responses is not flagged on noise.
- **silence**: no response at all (any channel, suspects included) for ``minutes`` of opening
  time while the office is open now. Only opening time counts, as for the kiosks page's
  silent-kiosk flag: a kiosk last heard at closing yesterday is not "silent" at opening. The
  silence is counted from the last response's client time, or from the moment the location got
  its first active kiosk if that is later (before that, silence meant nothing).

When: ``evaluate_on_ingest`` runs burst and below target after a stored response, only if one
of the new ratings is a non-suspect negative (a positive rating can start neither, see there);
``run_periodic`` (``flask alerts run``) runs every enabled rule of every active location.

Episodes: one situation, one alert
----------------------------------
Several evaluators may look at the same situation at once (every ingest request, and
``flask alerts run`` from cron on every node). An alert is claimed by inserting it with
``INSERT ... ON CONFLICT (rule_id, claim_key) DO NOTHING``: only one insert of a claim key
can succeed, on SQLite and PostgreSQL alike, and the losers neither fail nor duplicate.

- **silence**: the claim key is ``silence:<start of the silence>``. The same silent spell
  always has the same start, however many times it is evaluated; the next response ends it.
- **burst**: a sliding window has no stable "first negative" (it slides as ratings arrive), so
  the episode is tracked instead. The newest negative of the episode is kept in the alert's
  ``details["last_negative_at"]`` and moved forward whenever the burst condition still holds
  and the counted negatives include ones at or before it (the same negatives are still
  counting): a continuous burst, however long, stays one alert. A new alert needs a fresh
  burst: ``negatives`` negative ratings all newer than the last alert's episode.
- **below_target**: at most one alert per ``window_days``: while the latest alert of the rule
  is less than a window old (in local days) nothing new is raised; a lasting shortfall is
  thus reported again once the window it described has passed entirely (a weekly reminder
  with the defaults).

For these two the claim key is ``<kind>:after:<id of the rule's latest alert, 0 if none>``:
evaluators that saw the same latest alert and decided "new episode" all try the same key, so
exactly one alert is stored even if their data differed by a response that arrived in
between; an evaluator that starts after the insert sees the new alert and stays quiet.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from feedback.database import DbSession, write_transaction
from feedback.i18n import N_
from feedback.models import Alert, AlertRule, Device, Location, Response, SurveyVersion, User
from feedback.models.alerts import ALERT_KINDS
from feedback.numbers import percent_text
from feedback.scales import SCALES
from feedback.services import aggregation, audit, users
from feedback.services.errors import InvalidInput, NotFound
from feedback.services.hours import open_time_between
from feedback.services.locations import location_in_scope
from feedback.services.stats import verdict, wilson_interval

log = logging.getLogger(__name__)

DEFAULT_PARAMS: dict[str, dict[str, int]] = {
    "burst": {"negatives": 5, "of_last": 8, "within_minutes": 30},
    "below_target": {"window_days": 7},
    "silence": {"minutes": 60},
}
# Allowed range of each parameter (inclusive).
PARAM_LIMITS: dict[str, dict[str, tuple[int, int]]] = {
    "burst": {"negatives": (1, 50), "of_last": (1, 50), "within_minutes": (1, 24 * 60)},
    "below_target": {"window_days": (1, 92)},
    "silence": {"minutes": (5, 24 * 60)},
}
MAX_RECIPIENTS = 20
COMMENT_MAX = 2000
STATES = ("open", "acknowledged", "all")


# --- rules ------------------------------------------------------------------------------------


@dataclass
class Rule:
    """A location's rule of one kind as it applies: the stored row's settings, or the defaults."""

    location: Location
    kind: str
    enabled: bool
    params: dict
    recipients: list[str]
    rule_id: int | None = None  # None: the default, not stored yet


def effective_rules(session: DbSession, location_ids: Iterable[int]) -> dict[int, dict[str, Rule]]:
    """{location id: {kind: Rule}} for the given locations (switched-off ones included)."""
    ids = set(location_ids)
    if not ids:
        return {}
    locations = session.scalars(
        select(Location).options(joinedload(Location.office)).where(Location.id.in_(ids)).order_by(Location.code)
    )
    stored = {
        (r.location_id, r.kind): r for r in session.scalars(select(AlertRule).where(AlertRule.location_id.in_(ids)))
    }
    out: dict[int, dict[str, Rule]] = {}
    for location in locations:
        rules = out[location.id] = {}
        for kind in ALERT_KINDS:
            row = stored.get((location.id, kind))
            params = dict(DEFAULT_PARAMS[kind]) | {
                k: v for k, v in ((row.params if row else None) or {}).items() if k in DEFAULT_PARAMS[kind]
            }
            rules[kind] = Rule(
                location,
                kind,
                row.enabled if row else True,
                params,
                list((row.recipients if row else None) or []),
                row.id if row else None,
            )
    return out


def _insert(session: DbSession):
    return {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[session.get_bind().dialect.name]


def _rule_id(session: DbSession, location_id: int, kind: str) -> int:
    """The stored rule's id, storing the default first if there is none (race-safe)."""
    stmt = _insert(session)(AlertRule).values(
        location_id=location_id, kind=kind, enabled=True, params=dict(DEFAULT_PARAMS[kind]), recipients=[]
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["location_id", "kind"]))
    return session.scalar(select(AlertRule.id).where(AlertRule.location_id == location_id, AlertRule.kind == kind))


def clean_params(kind: str, raw: dict) -> dict:
    """Validated integer parameters of ``kind`` (missing ones take the default); InvalidInput otherwise."""
    errors: dict = {}
    params = {}
    for name, (low, high) in PARAM_LIMITS[kind].items():
        value = raw.get(name)
        if value is None or value == "":
            value = DEFAULT_PARAMS[kind][name]
        try:
            number = int(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else None
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            errors[f"{kind}_{name}"] = [f"A whole number from {low} to {high}."]
        else:
            params[name] = number
    if kind == "burst" and not errors and params["negatives"] > params["of_last"]:
        errors["burst_negatives"] = ["Cannot be more than the number of ratings looked at."]
    if errors:
        raise InvalidInput("The alert rule was not saved.", errors)
    return params


def clean_recipients(kind: str, raw: str | Iterable[str] | None) -> list[str]:
    """E-mail addresses from a list or a text (commas, semicolons, spaces or lines), lower-cased, unique."""
    if raw is None:
        return []
    parts = raw.replace(",", " ").replace(";", " ").split() if isinstance(raw, str) else list(raw)
    seen: list[str] = []
    bad = []
    for part in parts:
        address = part.strip().lower()
        if not address:
            continue
        if not users.EMAIL_RE.match(address) or len(address) > 254:
            bad.append(part)
        elif address not in seen:
            seen.append(address)
    errors: dict = {}
    if bad:
        errors[f"{kind}_recipients"] = [f"Not an e-mail address: {', '.join(bad)}."]
    elif len(seen) > MAX_RECIPIENTS:
        errors[f"{kind}_recipients"] = [f"At most {MAX_RECIPIENTS} addresses."]
    if errors:
        raise InvalidInput("The alert rule was not saved.", errors)
    return seen


def save_rules(session: DbSession, actor: User, location_id: int, settings: dict[str, dict]) -> list[str]:
    """Store a location's rules from ``settings`` = {kind: {"enabled", "params", "recipients"}}.

    Checks everything before writing anything; each changed rule is audited. Returns the kinds
    that changed. The caller's transaction commits.
    """
    location = location_in_scope(session, actor, location_id, for_update=True)
    cleaned: dict[str, tuple[bool, dict, list[str]]] = {}
    errors: dict = {}
    for kind in ALERT_KINDS:
        if kind not in settings:
            continue
        wanted = settings[kind]
        try:
            params = clean_params(kind, wanted.get("params") or {})
        except InvalidInput as exc:
            errors |= exc.errors
            params = None
        try:
            recipients = clean_recipients(kind, wanted.get("recipients"))
        except InvalidInput as exc:
            errors |= exc.errors
            recipients = None
        cleaned[kind] = (bool(wanted.get("enabled")), params, recipients)
    if errors:
        raise InvalidInput("The alert rules were not saved.", errors)
    changed = []
    for kind, (enabled, params, recipients) in cleaned.items():
        row = session.scalar(select(AlertRule).where(AlertRule.location_id == location.id, AlertRule.kind == kind))
        if row is None:
            defaults = {"enabled": True, "params": dict(DEFAULT_PARAMS[kind]), "recipients": []}
            if (enabled, params, recipients) == (True, defaults["params"], []):
                continue  # saving the defaults unchanged stores nothing
            row = AlertRule(location_id=location.id, kind=kind, **defaults)
            session.add(row)
        diff = audit.changes(row, {"enabled": enabled, "params": params, "recipients": recipients})
        if diff:
            audit.record(session, actor, "alert_rule.update", "location", location.id, {"kind": kind} | diff)
            changed.append(kind)
    session.flush()
    return changed


# --- evaluation -------------------------------------------------------------------------------


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


def below_target_figures(session: DbSession, location: Location, now: datetime, window_days: int) -> dict | None:
    """CSAT over the last ``window_days`` local days (today included) against the location's target."""
    target = location.effective_csat_target
    if target is None:
        return None
    today = now.astimezone(location.office.tz).date()
    start = today - timedelta(days=window_days - 1)
    total = aggregation.summarize(session, [location.id], start, today, followups=False)["total"]
    n, positive = total["count"], total["positive"]
    interval = wilson_interval(positive, n)
    return {
        "from": start.isoformat(),
        "to": today.isoformat(),
        "n": n,
        "positive": positive,
        "csat": positive / n if n else None,
        "low": interval.low if interval else None,
        "high": interval.high if interval else None,
        "target": target,
    }


def _below_target(session: DbSession, rule: Rule, now: datetime, out: _Pass) -> None:
    location = rule.location
    days = rule.params["window_days"]
    if location.effective_csat_target is None:
        return
    latest = _latest_alert(session, rule)
    today = now.astimezone(location.office.tz).date()
    if (
        latest is not None
        and latest.details.get("to")
        and date.fromisoformat(latest.details["to"]) > today - timedelta(days=days)
    ):
        return  # reported less than a window ago
    figures = below_target_figures(session, location, now, days)
    # The standards page's "not met" (stats.verdict): even the interval's upper bound is below the target.
    if figures is None or verdict(figures["positive"], figures["n"], figures["target"]) != "not_met":
        return
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


def _claim_all(session: DbSession, found: _Pass, now: datetime, email: bool) -> list[int]:
    if not found.findings and not found.extend:
        session.commit()  # end the read (SQLite keeps a snapshot until then)
        return []
    raised = []
    with write_transaction(session):
        for alert_id, newest in sorted(found.extend.items()):
            alert = session.get(Alert, alert_id, populate_existing=True, with_for_update=True)
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


def evaluate_ingested(session: DbSession, records: Iterable, now: datetime, *, email: bool = False) -> list[int]:
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


# --- the admin site ---------------------------------------------------------------------------


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
        raise NotFound("No such alert.")
    return alert


def acknowledge(session: DbSession, actor: User, alert_id: int, comment: str | None, now: datetime) -> bool:
    """Acknowledge an alert (once; who and when are kept) and set its comment. Audited; returns
    whether anything changed. The caller's transaction commits."""
    alert = alert_in_scope(session, actor, alert_id, lock=True)
    text = (comment or "").strip() or None
    if text is not None and len(text) > COMMENT_MAX:
        raise InvalidInput("The alert was not saved.", {"comment": [f"At most {COMMENT_MAX} characters."]})
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
            (N_("CSAT"), _pct(d["csat"]) if d.get("csat") is not None else "–"),
            # No "%" in the label: Jinja's gettext %-formats every message it renders.
            (
                N_("Confidence interval"),
                f"{_pct(d['low'])} to {_pct(d['high'])} (95 %)" if d.get("high") is not None else "–",
            ),
            (N_("Target"), _pct(d["target"]) if d.get("target") is not None else "–"),
        ]
    if alert.kind == "silence":
        return [
            (N_("Last response (or kiosk enrolment)"), local(d.get("since"))),
            (N_("Silent for (opening time)"), _duration(d.get("quiet_minutes") or 0)),
            (N_("Rule"), f"{d.get('rule', {}).get('minutes')} minutes of opening hours"),
            (N_("Active kiosks"), str(d.get("active_kiosks"))),
        ]
    return []


@dataclass
class RulesRow:
    """One location's rules for the settings list, with what decides whether they can fire."""

    location: Location
    rules: dict[str, Rule]
    active_kiosks: int

    @property
    def target(self) -> float | None:
        return self.location.effective_csat_target


def rules_overview(session: DbSession, actor: User) -> list[RulesRow]:
    """The actor's locations (by code) with their effective rules and active kiosk counts."""
    ids = users.scope_location_ids(session, actor)
    rules = effective_rules(session, ids)
    kiosks = (
        dict(
            session.execute(
                select(Device.location_id, func.count())
                .where(Device.location_id.in_(ids), Device.revoked_at.is_(None))
                .group_by(Device.location_id)
            ).all()
        )
        if ids
        else {}
    )
    rows = [RulesRow(next(iter(r.values())).location, r, kiosks.get(loc_id, 0)) for loc_id, r in rules.items()]
    return sorted(rows, key=lambda row: row.location.code)


def location_rules(session: DbSession, actor: User, location_id: int) -> dict[str, Rule]:
    """A location's effective rules; NotFound outside the actor's scope."""
    if location_id not in users.scope_location_ids(session, actor):
        raise NotFound("No such location.")
    return effective_rules(session, [location_id])[location_id]

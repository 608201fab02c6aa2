"""Alert rules per location: the defaults, their validation, what applies, and saving them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from feedback.database import DbSession
from feedback.models import AlertRule, Device, Location, User
from feedback.models.alerts import ALERT_KINDS
from feedback.services import audit, users
from feedback.services.errors import InvalidInput, NotFound
from feedback.services.locations import location_in_scope

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
            errors[f"{kind}_{name}"] = [gettext("A whole number from %(low)s to %(high)s.", low=low, high=high)]
        else:
            params[name] = number
    if kind == "burst" and not errors and params["negatives"] > params["of_last"]:
        errors["burst_negatives"] = [gettext("Cannot be more than the number of ratings looked at.")]
    if errors:
        raise InvalidInput(gettext("The alert rule was not saved."), errors)
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
        errors[f"{kind}_recipients"] = [gettext("Not an e-mail address: %(choices)s.", choices=", ".join(bad))]
    elif len(seen) > MAX_RECIPIENTS:
        errors[f"{kind}_recipients"] = [gettext("At most %(max_recipients)s addresses.", max_recipients=MAX_RECIPIENTS)]
    if errors:
        raise InvalidInput(gettext("The alert rule was not saved."), errors)
    return seen


def save_rules(session: DbSession, actor: User, location_id: int, settings: dict[str, dict]) -> list[str]:
    """Store a location's rules from ``settings`` = {kind: {"enabled", "params", "recipients"}}.

    Checks everything before writing anything; each changed rule is audited. Returns the kinds
    that changed. The caller's transaction commits.
    """
    location = location_in_scope(session, actor, location_id, for_update=True)
    cleaned: dict[str, tuple[bool, dict[str, int] | None, list[str] | None]] = {}
    errors: dict[str, list[str]] = {}
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
        raise InvalidInput(gettext("The alert rules were not saved."), errors)
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
        raise NotFound(gettext("No such location."))
    return effective_rules(session, [location_id])[location_id]

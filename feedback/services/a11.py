"""OMB Circular A-11 Section 280 for one federal fiscal quarter, as Touchpoints reads it:
the quarter's collection details (service x transaction point x channel), which answers count
in each, and their volumes. The rules are in docs/ARCHITECTURE.md ("A-11 reporting"); files
are written by :mod:`feedback.services.a11_files`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import joinedload

from feedback.database import DbSession
from feedback.models import CustomerVolume, Location, Office, Response, Survey, SurveyVersion
from feedback.models.responses import CHANNELS
from feedback.services.a11_details import (  # noqa: F401  (re-exported: the A-11 vocabulary of the callers)
    NOT_A11,
    OTHER_SCALE,
    VOLUME_FIELDS,
    Detail,
    DetailKey,
    LeftOut,
    Pair,
    Report,
    detail_key,
    reportable,
    survey_status,
)
from feedback.services.fiscal import FiscalQuarter
from feedback.services.responses_query import utc_bounds

SPAM = "spam"


def quarter_window(session: DbSession, location_ids: list[int], quarter: FiscalQuarter) -> ColumnElement[bool] | None:
    """Responses of the quarter's local dates, each location in its office's zone (None: no location).

    One term per location, each an index range of (location_id, client_time): both databases read
    them range by range (a zone's location list made SQLite read more than the quarter)."""
    windows = []
    for loc_id, tz in session.execute(
        select(Location.id, Office.timezone)
        .join(Location.office)
        .where(Location.id.in_(location_ids))
        .order_by(Location.id)
    ):
        lo, hi = utc_bounds(ZoneInfo(tz), quarter.start, quarter.end)
        windows.append(and_(Response.location_id == loc_id, Response.client_time >= lo, Response.client_time < hi))
    return or_(*windows) if windows else None


def counted() -> ColumnElement[bool]:
    """Responses that count: no repeat taps, no spam (a NULL state is "no comment", so it counts)."""
    return and_(Response.suspect.is_(False), Response.comment_state.is_distinct_from(SPAM))


def _pairs(session: DbSession, ids: list[int], quarter: FiscalQuarter) -> dict[tuple[int, str], Pair]:
    """Every location and channel with responses (of any kind) or volumes in the quarter: one grouped
    scan of the quarter's responses and the volumes table."""
    locations = {
        loc.id: loc
        for loc in session.scalars(select(Location).options(joinedload(Location.office)).where(Location.id.in_(ids)))
    }
    pairs: dict[tuple[int, str], Pair] = {}

    def pair(loc_id: int, channel: str) -> Pair:
        if (loc_id, channel) not in pairs:
            pairs[(loc_id, channel)] = Pair(locations[loc_id], channel)
        return pairs[(loc_id, channel)]

    window = quarter_window(session, ids, quarter)
    if window is not None:
        spam = case((Response.comment_state == SPAM, True), else_=False)
        query = (
            select(
                Response.location_id,
                Response.channel,
                Response.survey_version_id,
                Response.suspect,
                spam.label("spam"),
                Response.rating,
                func.count(),
                func.max(Response.client_time),
            )
            .where(window)
            .group_by(
                Response.location_id,
                Response.channel,
                Response.survey_version_id,
                Response.suspect,
                spam,
                Response.rating,
            )
        )
        for loc_id, channel, version_id, suspect, is_spam, rating, n, last in session.execute(query):
            entry = pair(loc_id, channel)
            if is_spam:
                entry.spam += n
            elif suspect:
                entry.suspects += n
            else:
                entry.counted.setdefault(version_id, Counter())[rating] += n
                entry.last[version_id] = max(last, entry.last.get(version_id, last))
    for volume in session.scalars(
        select(CustomerVolume).where(
            CustomerVolume.location_id.in_(ids),
            CustomerVolume.fiscal_year == quarter.fiscal_year,
            CustomerVolume.quarter == quarter.quarter,
        )
    ):
        if volume.volume_of_customers is not None or volume.volume_of_customers_provided_survey_opportunity is not None:
            pair(volume.location_id, volume.channel).volume = volume
    return pairs


def report(session: DbSession, location_ids: Iterable[int], quarter: FiscalQuarter) -> Report:
    """The quarter's collection details (by key) and the locations left out, for ``location_ids``."""
    ids = sorted(set(location_ids))
    if not ids:
        return Report(quarter, [], [], {})
    pairs = _pairs(session, ids, quarter)
    currents = current_versions(session, {p.location.survey_id for p in pairs.values()})
    wanted = {v for p in pairs.values() for v in p.counted} - {v.id for v in currents.values()}
    versions = {v.id: v for v in currents.values()}
    if wanted:
        versions |= {v.id: v for v in session.scalars(select(SurveyVersion).where(SurveyVersion.id.in_(wanted)))}
    titles = dict(session.execute(select(Survey.id, Survey.name)).all())
    members: dict[DetailKey, list[Pair]] = defaultdict(list)
    left_out: list[LeftOut] = []
    for key in sorted(pairs, key=lambda k: (pairs[k].location.code, CHANNELS.index(k[1]))):
        pair = pairs[key]
        current = currents[pair.location.survey_id]
        # In a detail: answers to an A-11 survey, or none counted yet while it asks one now.
        if any(reportable(versions[v]) for v in pair.counted) or (not pair.counted and reportable(current)):
            members[detail_key(pair.location, pair.channel)].append(pair)
        else:
            shown = [versions[v] for v in pair.counted] or [current]
            reasons = sorted({f"{titles[v.survey_id]} (version {v.version}): {survey_status(v)}" for v in shown})
            left_out.append(LeftOut(pair, "; ".join(reasons)))
    details = [_detail(key, quarter, group, versions, currents, titles) for key, group in sorted(members.items())]
    _mark_elsewhere(session, details, ids)
    _name_files(details)
    return Report(quarter, details, left_out, pairs)


def _detail(
    key: DetailKey,
    quarter: FiscalQuarter,
    pairs: list[Pair],
    versions: dict[int, SurveyVersion],
    currents: dict[int, SurveyVersion],
    titles: dict[int, str],
) -> Detail:
    answered = [(p.last[v], versions[v].id) for p in pairs for v in p.counted if reportable(versions[v])]
    version: SurveyVersion | None
    if answered:
        version = versions[max(answered)[1]]  # the A-11 version answered last
    else:
        options = [currents[p.location.survey_id] for p in pairs if reportable(currents[p.location.survey_id])]
        version = max(options, key=lambda v: v.id) if options else None
    title = titles.get(version.survey_id) if version else None
    detail = Detail(key, quarter, pairs, version, title, [], versions, titles)
    in_file = set()
    for pair in pairs:
        for version_id, ratings in pair.counted.items():
            answered_version = versions[version_id]
            n = sum(ratings.values())
            if not reportable(answered_version):
                detail.left_out[NOT_A11] += n
            elif answered_version.scale != detail.scale:
                detail.left_out[OTHER_SCALE] += n
            else:
                in_file.add(version_id)
                detail.q1.update(ratings)
    detail.version_ids = sorted(in_file)
    return detail


def current_versions(session: DbSession, survey_ids: Iterable[int]) -> dict[int, SurveyVersion]:
    """Each survey's current (newest) version, in one query."""
    ids = sorted(set(survey_ids))
    if not ids:
        return {}
    newest = (
        select(SurveyVersion.survey_id, func.max(SurveyVersion.version).label("version"))
        .where(SurveyVersion.survey_id.in_(ids))
        .group_by(SurveyVersion.survey_id)
        .subquery()
    )
    query = select(SurveyVersion).join(
        newest, and_(SurveyVersion.survey_id == newest.c.survey_id, SurveyVersion.version == newest.c.version)
    )
    return {v.survey_id: v for v in session.scalars(query)}


def _mark_elsewhere(session: DbSession, details: list[Detail], ids: list[int]) -> None:
    """Name the active counters outside the selection that report to the same detail (asking an
    A-11 survey now): a manager of one office exporting a service several offices share."""
    if not details:
        return
    keys = {d.key: d for d in details}
    outside = list(
        session.scalars(
            select(Location)
            .options(joinedload(Location.office))
            .where(Location.id.not_in(ids), Location.active.is_(True))
            .order_by(Location.code)
        )
    )
    currents = current_versions(session, {loc.survey_id for loc in outside})
    for location in outside:
        if not reportable(currents[location.survey_id]):
            continue
        for channel in CHANNELS:
            detail = keys.get(detail_key(location, channel))
            if detail is not None:
                detail.elsewhere.append(f"{location.code} {channel}")


def _slug(text: str) -> str:
    return "-".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())[:60] or "unnamed"


def _name_files(details: list[Detail]) -> None:
    """``a11-FY2027Q1-<service>-<channel>.csv``, unique within the quarter (``-2``... on a clash)."""
    seen: Counter = Counter()
    for detail in details:
        key = detail.key
        service = key.service or f"unnamed service of office {key.office_id}"
        base = f"a11-{detail.quarter}-responses-{_slug(service)}-{key.channel.replace('_', '-')}"
        seen[base] += 1
        detail.file_name = f"{base}{'-' + str(seen[base]) if seen[base] > 1 else ''}.csv"

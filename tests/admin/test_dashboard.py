"""The dashboards: landing page, location page, comparison.

Responses go in through feedback.services.ingest (kiosk batches and phone answers, so the
rollups are kept as in production); every figure a page shows is checked against an
independent computation (tests/helpers/dashboard_oracle.py).
"""

from __future__ import annotations

import html
import random
import re
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent

from feedback.database import write_transaction
from feedback.models import Location, Office, User
from feedback.numbers import half_up
from feedback.services import ingest
from feedback.services.scrub import clean_comment
from feedback.sqltypes import utcnow
from tests.admin.conftest import sign_in
from tests.helpers.dashboard_oracle import expect, mean, num, pct, responses

ALPHA, BRAVO = "Alpha Passport Office", "Bravo Licence Centre"
ALPHA_SLUG, BRAVO_SLUG = "alpha-passport-office", "bravo-licence-centre"
CHICAGO, HONOLULU = ZoneInfo("America/Chicago"), ZoneInfo("Pacific/Honolulu")
CHOICES = ["effectiveness", "ease", "efficiency"]
COMMENTS = [
    "The WAIT was far too long",
    "short wait, friendly staff",
    "Great staff, thank you",
    "100% helpful",
    "Nobody explained the form",
    "waiting room was cold",
    "Write to me at jane.doe@example.com please",
]


# --- data ---------------------------------------------------------------------------------------


def _kiosk_item(when: datetime, rating: int, rng: random.Random, followups: bool) -> dict:
    offered = list(CHOICES) if followups and rng.random() < 0.5 else []
    chosen = rng.sample(offered, k=rng.choice((0, 1, 2))) if offered else []
    return {
        "id": uuid.uuid4(),
        "rating": rating,
        "language": "en",
        "client_time": when,
        "survey_version": None,
        "followup_offered": offered,
        "followup_chosen": chosen,
    }


def _fill(session, build, location, *, quality: float, points: int, kiosk: int, phone: int, seed: int):
    """Kiosk taps and phone answers over the last 64 days, plus edge cases: taps around local
    midnight (another UTC date) and a repeat tap (suspect)."""
    rng = random.Random(seed)
    tz = ZoneInfo(location.office.timezone)
    now = utcnow()
    device, _token = build.device(location=location)

    def rating() -> int:
        score = rng.gauss(0.7 + quality, 0.25)
        return max(1, min(points, 1 + round(score * (points - 1))))

    items = [
        _kiosk_item(now - timedelta(minutes=rng.randint(5, 64 * 24 * 60)), rating(), rng, points > 2)
        for _ in range(kiosk)
    ]
    local_now = now.astimezone(tz)
    midnight = datetime.combine(local_now.date(), datetime.min.time(), tz)
    for moment in (
        midnight - timedelta(minutes=20),
        midnight + timedelta(minutes=20),
        midnight - timedelta(days=7, minutes=5),
        midnight - timedelta(days=7) + timedelta(minutes=5),
    ):
        if moment < now - timedelta(minutes=1):
            items.append(_kiosk_item(moment, rating(), rng, points > 2))
    tap = now - timedelta(days=3, hours=2)
    items += [_kiosk_item(tap, points, rng, False), _kiosk_item(tap + timedelta(seconds=1), points, rng, False)]
    ingest.ingest(session, device, items, now=now)
    for k in range(phone):
        item = {
            "id": uuid.uuid4(),
            "rating": rating(),
            "language": "en",
            "survey_version": None,
            "client_time": now - timedelta(minutes=rng.randint(5, 60 * 24 * 60)),
            "followup_offered": [],
            "followup_chosen": [],
            "comment": clean_comment(COMMENTS[k % len(COMMENTS)]) if k % 4 != 3 else None,
        }
        ingest.ingest_phone(session, location, item, repeat=k % 10 == 9, now=now)


@pytest.fixture
def world(app, build, session, make_user):
    alpha = build.office(name=ALPHA, tz="America/Chicago")
    bravo = build.office(name=BRAVO, tz="Pacific/Honolulu")
    faces, thumbs = build.survey(scale="faces5", followup=CHOICES), build.survey(scale="thumbs", followup=())
    a1 = build.location(code="A-1", office=alpha, survey=faces)
    a2 = build.location(code="A-2", office=alpha, survey=faces)
    b1 = build.location(code="B-1", office=bravo, survey=thumbs)
    with write_transaction(session):
        session.get(Location, a1.id).csat_target = 0.97  # A-1 stays below this
        session.get(Location, a2.id).csat_target = 0.40  # A-2 meets this
    _fill(session, build, a1, quality=-0.15, points=5, kiosk=220, phone=44, seed=1)
    _fill(session, build, a2, quality=0.1, points=5, kiosk=180, phone=12, seed=2)
    _fill(session, build, b1, quality=0.0, points=2, kiosk=150, phone=8, seed=3)
    manager = make_user("manager.alpha@example.gov", "manager")
    make_user("admin@example.gov", "admin")
    with write_transaction(session):
        session.get(User, manager.id).offices = [session.get(Office, alpha.id)]
    return {"A-1": a1, "A-2": a2, "B-1": b1}


@pytest.fixture
def admin(signed_in_as, world):
    return signed_in_as("admin@example.gov")


@pytest.fixture
def manager(signed_in_as, world):
    return signed_in_as("manager.alpha@example.gov")


# --- the independent computation (the rest is in tests/helpers/dashboard_oracle.py) ---------------


def today_in(tz: ZoneInfo) -> date:
    return datetime.now(UTC).astimezone(tz).date()


# --- reading the pages ----------------------------------------------------------------------------


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def block(body: str, opening: str, closing: str) -> str:
    start = body.index(opening)
    return body[start : body.index(closing, start)]


def figure(part: str, name: str) -> str:
    return html.unescape(re.search(rf'data-figure="{name}">([^<]*)<', part).group(1)).strip()


def period(body: str, key: str) -> dict:
    part = block(body, f'id="period-{key}"', "</article>")
    return {name: figure(part, name) for name in ("count", "csat", "mean", "suspect")} | {"_html": part}


def chart_table(body: str, chart_id: str) -> list[list[str]]:
    """The data table of a chart: rows of [row heading, cells...]."""
    part = block(body, f'id="{chart_id}"', "</figure>")
    rows = re.findall(r"<tr>(.*?)</tr>", block(part, "<tbody>", "</tbody>"), re.S)
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S) for row in rows]
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in row] for row in cells]


def compare_rows(body: str) -> list[dict]:
    rows = []
    for code, row in re.findall(r'<tr class="[^"]*" data-code="([^"]+)">(.*?)</tr>', body, re.S):
        cells = {
            name: html.unescape(re.sub(r"<[^>]+>", "", value)).strip()
            for name, value in re.findall(r'data-col="([^"]+)">(.*?)</td>', row, re.S)
        }
        rows.append({"code": code, **cells, "_html": row})
    return rows


# --- landing page ---------------------------------------------------------------------------------


def test_landing_page_figures_equal_sql_over_responses(admin, session, world):
    rows = responses(session)
    # A day that is over (today's own comparison, up to the same hour, is in
    # tests/feedback/test_dashboard_changes.py): each period against whole days before it.
    end = today_in(CHICAGO) - timedelta(days=1)
    body = page(admin, f"/admin/?office={ALPHA_SLUG}&to={end}")
    for key, days in (("today", 1), ("7d", 7), ("30d", 30)):
        first = end - timedelta(days=days - 1)
        want = expect(rows, {"A-1", "A-2"}, first, end)
        # the day a week before; the 7 and 30 days before
        gap = 7 if days == 1 else days
        before = expect(rows, {"A-1", "A-2"}, first - timedelta(days=gap), end - timedelta(days=gap))
        shown = period(body, key)
        assert shown["count"] == num(want.count), key
        assert shown["csat"] == pct(want.csat), key
        assert shown["mean"] == mean(want.mean), key
        assert shown["suspect"] == num(want.suspect), key
        if before.count:
            ratio = half_up(Fraction(want.count - before.count, before.count), 2)
            change = format_percent(ratio, "+#,##0%;-#,##0%", locale="en")
            # shown as a change, or as "about the same" when the interval says it is noise
            assert f">{change}<" in shown["_html"] or f'data-raw="{change}">about the same' in shown["_html"], key
        if want.csat is not None and before.csat is not None:
            points = format_decimal(half_up((want.csat - before.csat) * 100, 1), "+#,##0.0;-#,##0.0", locale="en")
            assert f">{points} pts<" in shown["_html"] or f'data-raw="{points} pts">about' in shown["_html"], key
        table = chart_table(body, f"dist-{key}")
        assert [row[1] for row in table] == [num(want.distribution[("faces5", k)]) for k in range(1, 6)], key
    # the 30 days hold the repeat tap and both sides of a local midnight
    assert expect(rows, {"A-1", "A-2"}, end - timedelta(days=29), end).suspect >= 2


def test_landing_page_defaults_to_the_offices_local_today(manager, session, world):
    rows = responses(session)
    end = today_in(CHICAGO)
    body = page(manager, "/admin/")
    want = expect(rows, {"A-1", "A-2"}, end - timedelta(days=29), end)
    assert period(body, "30d")["count"] == num(want.count)
    assert period(body, "30d")["csat"] == pct(want.csat)
    assert f'value="{end.isoformat()}"' in body  # the "to" field


def test_landing_page_trend_by_week_equals_sql(admin, session, world):
    rows = responses(session)
    end = today_in(CHICAGO)
    first = end - timedelta(days=55)
    body = page(admin, f"/admin/?office={ALPHA_SLUG}&from={first}&to={end}&group=week")
    table = chart_table(body, "trend")
    weeks: dict[tuple, list[date]] = {}
    day = first
    while day <= end:
        weeks.setdefault(day.isocalendar()[:2], []).append(day)
        day += timedelta(days=1)
    want = [expect(rows, {"A-1", "A-2"}, days[0], days[-1]) for days in weeks.values()]
    assert [(row[1], row[2]) for row in table] == [(num(w.count), pct(w.csat)) for w in want]


def test_filters_in_the_url_change_the_numbers(admin, session, world):
    rows = responses(session)
    end = today_in(CHICAGO)
    first = end - timedelta(days=29)
    base = f"/admin/?to={end}"
    everything = period(page(admin, base), "30d")
    phone = period(page(admin, base + "&channel=qr"), "30d")
    only_a2 = period(page(admin, base + "&location=A-2"), "30d")
    alpha = period(page(admin, base + f"&office={ALPHA_SLUG}"), "30d")
    assert everything["count"] == num(expect(rows, {"A-1", "A-2", "B-1"}, first, end).count)
    assert phone["count"] == num(expect(rows, {"A-1", "A-2", "B-1"}, first, end, "qr").count)
    assert only_a2["count"] == num(expect(rows, {"A-2"}, first, end).count)
    assert only_a2["csat"] == pct(expect(rows, {"A-2"}, first, end).csat)
    assert alpha["count"] == num(expect(rows, {"A-1", "A-2"}, first, end).count)
    assert len({everything["count"], phone["count"], only_a2["count"], alpha["count"]}) == 4
    # an earlier "to" moves every period
    earlier = end - timedelta(days=10)
    moved = period(page(admin, f"/admin/?to={earlier}&office={ALPHA_SLUG}"), "7d")
    assert moved["count"] == num(expect(rows, {"A-1", "A-2"}, earlier - timedelta(days=6), earlier).count)
    # mixed scales: CSAT, but no mean
    assert everything["mean"] == "—" and "(mixed scales)" in everything["_html"]


def test_the_landing_page_lists_only_the_users_locations_with_their_actions(manager, admin):
    mine = page(manager, "/admin/")
    assert re.findall(r'<th scope="row">([^<]+)</th>', mine) == ["A-1", "A-2"]
    assert "B-1" not in mine and BRAVO not in mine
    for action in (
        "/admin/locations/A-1/poster",
        "/admin/locations/A-1/qr.png",
        "/admin/locations/A-1/qr.svg",
        "/admin/locations/A-1/rotate-link",
        "/admin/locations/A-1?",
    ):
        assert action in mine
    assert re.findall(r'<th scope="row">([^<]+)</th>', page(admin, "/admin/")) == ["A-1", "A-2", "B-1"]


# --- one location ---------------------------------------------------------------------------------


def test_location_page_figures_equal_sql(manager, session, world):
    rows = responses(session)
    end = today_in(CHICAGO)
    first = end - timedelta(days=40)
    body = page(manager, f"/admin/locations/A-1?from={first}&to={end}")
    want = expect(rows, {"A-1"}, first, end)
    summary = block(body, 'id="location-summary"', "</dl>")
    assert figure(summary, "count") == num(want.count)
    assert figure(summary, "csat") == pct(want.csat)
    assert figure(summary, "mean") == mean(want.mean)
    assert figure(summary, "suspect") == num(want.suspect) != "0"
    assert figure(summary, "target") == pct(0.97)
    # channel split
    split = {row[0]: row[1:] for row in chart_table(body, "channels")}
    for channel, label in (("kiosk", "Kiosk"), ("qr", "Phone (QR)")):
        part = expect(rows, {"A-1"}, first, end, channel)
        assert split[label][0] == num(part.count) and split[label][2] == pct(part.csat), channel
    # trend by day: every day of the range, in the office's local dates
    trend = chart_table(body, "trend")
    assert len(trend) == 41
    days = [first + timedelta(days=i) for i in range(41)]
    assert [row[1] for row in trend] == [num(expect(rows, {"A-1"}, d, d).count) for d in days]
    assert [row[2] for row in trend] == [pct(expect(rows, {"A-1"}, d, d).csat) for d in days]


def test_heatmap_is_in_the_offices_local_time(manager, session, world):
    rows = [r for r in responses(session) if r.code == "A-1" and not r.suspect]
    end = today_in(CHICAGO)
    first = end - timedelta(days=63)
    rows = [r for r in rows if first <= r.local.date() <= end]
    body = page(manager, f"/admin/locations/A-1?from={first}&to={end}")
    table = chart_table(body, "heat-count")
    hours = sorted({r.local.hour for r in rows})
    header = re.findall(r'<th scope="col">(\d\d):00</th>', block(body, 'id="heat-count"', "</figure>"))
    assert [int(h) for h in header] == list(range(hours[0], hours[-1] + 1))
    cells = Counter((r.local.weekday(), r.local.hour) for r in rows)
    for weekday, row in enumerate(table):
        shown = row[1:]
        assert shown == [
            num(cells[(weekday, h)]) if cells[(weekday, h)] else "—" for h in range(hours[0], hours[-1] + 1)
        ], weekday


def test_follow_up_reasons_are_ranked(manager, session, world):
    body = page(manager, "/admin/locations/A-1")
    for chart in ("followups-negative", "followups-positive"):
        chosen = [int(row[1].replace(",", "")) for row in chart_table(body, chart)]
        assert chosen == sorted(chosen, reverse=True) and chosen, chart


def test_comments_are_searched_case_insensitively_and_paged(manager, session, world):
    rows = responses(session)
    end = today_in(CHICAGO)
    first = end - timedelta(days=63)
    with_comment = sorted(
        (r for r in rows if r.code == "A-1" and r.channel == "qr" and r.comment and first <= r.local.date() <= end),
        key=lambda r: r.local,
        reverse=True,
    )
    assert 20 < len(with_comment) <= 40
    base = f"/admin/locations/A-1?from={first}&to={end}"
    body = page(manager, base)
    assert "Comments 1–20, newest first" in body and 'rel="next"' in body and 'rel="prev"' not in body
    shown = re.findall(r'<time datetime="[^"]+">([^<]+)</time>', body)
    assert shown == [format_datetime(r.local, "medium", locale="en") for r in with_comment[:20]]
    texts = [html.unescape(t) for t in re.findall(r"<blockquote>(.*?)</blockquote>", body)]
    assert texts == [r.comment for r in with_comment[:20]]
    assert "jane.doe@example.com" not in body
    second = page(manager, base + "&page=2")
    assert len(re.findall(r'<li class="comment">', second)) == len(with_comment) - 20
    assert f"Comments 21–{len(with_comment)}" in second
    assert 'rel="prev"' in second and 'rel="next"' not in second
    # search: "wAiT" finds WAIT, wait and waiting
    found = [r for r in with_comment if "wait" in r.comment.lower()]
    searched = page(manager, base + "&q=wAiT")
    assert len(re.findall(r'<li class="comment">', searched)) == len(found) > 2
    assert f"Comments 1–{len(found)}, newest first containing “wAiT”" in html.unescape(searched)
    # % and _ are plain characters, not wildcards
    percent = page(manager, base + "&q=%25")
    assert len(re.findall(r'<li class="comment">', percent)) == sum("%" in r.comment for r in with_comment) > 0
    assert "No comments containing" in html.unescape(page(manager, base + "&q=_"))
    # kiosks take no comments
    assert "Kiosks take no comments" in page(manager, base + "&channel=kiosk")


def test_target_line_follows_the_locations_target(manager, session, world):
    body = page(manager, "/admin/locations/A-2")
    grid = block(body, '<g class="grid">', "</g>")
    assert grid.count("<line") >= 4 and ">100%</text>" in grid  # round CSAT steps up to 100 %
    y_before = re.search(r'class="target-line"[^>]*y1="([\d.]+)"', body).group(1)
    assert 'data-target="0.4"' in body
    with write_transaction(session):
        session.get(Location, world["A-2"].id).csat_target = 0.9
    body = page(manager, "/admin/locations/A-2")
    assert 'data-target="0.9"' in body
    assert float(re.search(r'class="target-line"[^>]*y1="([\d.]+)"', body).group(1)) < float(y_before)
    with write_transaction(session):
        session.get(Location, world["A-2"].id).csat_target = None
    assert "target-line" not in page(manager, "/admin/locations/A-2")


# --- comparison -----------------------------------------------------------------------------------


def test_compare_figures_sort_and_below_target_flag(admin, session, world):
    rows = responses(session)
    end = today_in(CHICAGO)
    first = end - timedelta(days=29)
    want = {code: expect(rows, {code}, first, end) for code in ("A-1", "A-2", "B-1")}
    body = page(admin, f"/admin/compare?to={end}&sort=csat&dir=desc")
    shown = compare_rows(body)
    assert [r["code"] for r in shown] == sorted(want, key=lambda c: want[c].csat, reverse=True)
    for row in shown:
        assert row["responses"] == num(want[row["code"]].count)
        assert row["csat"] == pct(want[row["code"]].csat)
    assert re.search(r'<th scope="col" aria-sort="descending"[^>]*data-sort="csat"', body)
    assert len(re.findall(r"aria-sort=", body)) == 1
    csat_link = re.search(r'data-sort="csat">\s*<a href="([^"]+)"', body).group(1)
    assert "sort=csat" in csat_link and "dir=asc" in csat_link
    # ascending by responses
    body = page(admin, f"/admin/compare?to={end}&sort=responses&dir=asc")
    assert [r["code"] for r in compare_rows(body)] == sorted(want, key=lambda c: want[c].count)
    assert re.search(r'aria-sort="ascending"[^>]*data-sort="responses"', body)
    # below target: A-1 (target 97 %) is flagged, A-2 (40 %) is not, B-1 has no target
    assert want["A-1"].csat < 0.97 and want["A-2"].csat > 0.40
    flags = {r["code"]: r["status"] for r in compare_rows(body)}
    assert flags == {"A-1": "Below target", "A-2": "Target met", "B-1": "No target"}
    assert "data-below-target" in next(r for r in compare_rows(body) if r["code"] == "A-1")["_html"]
    gap = format_decimal((want["A-1"].csat - 0.97) * 100, "+#,##0.0;-#,##0.0", locale="en")
    assert next(r for r in compare_rows(body) if r["code"] == "A-1")["gap"] == f"{gap} pts"
    assert "1 location below target" in body
    # sort by the gap: rows without a target come last, both ways
    for direction in ("asc", "desc"):
        order = [r["code"] for r in compare_rows(page(admin, f"/admin/compare?to={end}&sort=gap&dir={direction}"))]
        assert order[-1] == "B-1"
    assert admin.get("/admin/compare?sort=nonsense").status_code == 400
    assert admin.get("/admin/compare?dir=up").status_code == 400


def test_compare_for_one_office(manager, session, world):
    body = page(manager, f"/admin/compare?office={ALPHA_SLUG}")
    assert [r["code"] for r in compare_rows(body)] == ["A-1", "A-2"]
    assert [r["code"] for r in compare_rows(page(manager, "/admin/compare"))] == ["A-1", "A-2"]


# --- scope, sign-in, page rules -----------------------------------------------------------------


def test_a_manager_gets_404_for_another_offices_dashboards(manager):
    assert manager.get("/admin/locations/B-1").status_code == 404
    assert manager.get("/admin/locations/NOPE-1").status_code == 404
    assert manager.get(f"/admin/compare?office={BRAVO_SLUG}").status_code == 404
    assert manager.get("/admin/compare?office=nope").status_code == 404
    assert manager.get(f"/admin/?office={BRAVO_SLUG}").status_code == 404
    assert manager.get("/admin/?location=B-1").status_code == 404
    assert manager.get("/admin/compare?location=B-1").status_code == 404


def test_dashboards_need_sign_in(client, world):
    for url in ("/admin/", "/admin/locations/A-1", "/admin/compare"):
        response = client.get(url)
        assert response.status_code == 302 and response.location.startswith("/admin/login"), url


def test_bad_parameters_answer_400(admin):
    for url in (
        "/admin/?group=year",
        "/admin/locations/A-1?group=hour",
        "/admin/locations/A-1?page=0",
        "/admin/locations/A-1?page=x",
        "/admin/?from=2026-05-01&to=2026-04-01",
        "/admin/?channel=fax",
    ):
        assert admin.get(url).status_code == 400, url


def test_pages_keep_to_the_content_security_policy(admin):
    for url in ("/admin/", "/admin/locations/A-1", "/admin/compare", "/admin/locations/B-1?group=month"):
        response = admin.get(url)
        body = response.get_data(as_text=True)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)", body)  # script files from 'self' are allowed
        assert not inline_scripts and " style=" not in body and "<style" not in body, url
        assert "http://" not in body.replace('xmlns="http://www.w3.org/2000/svg"', ""), url  # no CDN
        # every chart has its data table
        assert body.count('<figure class="chart') == body.count("<summary>Data table") > 0, url
        # each drawn once for wide screens, and (but a compact one) once for phones (issue 16)
        assert body.count('class="chart-svg wide"') == body.count('class="chart-svg narrow"') > 0, url


def test_numbers_are_formatted_by_babel_for_the_language(app):
    import flask_babel

    from admin_app.charts import formatter

    for lang in ("en", "es"):
        with app.test_request_context(f"/?lang={lang}"):
            flask_babel.refresh()  # the suite's app context may hold an earlier request's locale
            fmt = formatter()
            for value in (0.0, 0.8534, 1.0, 0.33333, 0.8125):
                assert fmt.percent(value) == flask_babel.format_percent(half_up(value, 3), "#,##0.0%")
                assert fmt.mean(value * 5) == flask_babel.format_decimal(value * 5, "#,##0.00")
            assert fmt.count(1234567) == flask_babel.format_decimal(1234567, "#,##0")
            assert fmt.date(date(2026, 2, 3)) == flask_babel.format_date(date(2026, 2, 3), "medium")
        flask_babel.refresh()
    with app.test_request_context("/?lang=es"):
        flask_babel.refresh()
        fmt = formatter()
        assert fmt.percent(0.8534) == "85,3%" and fmt.count(1234567) == "1.234.567"
    flask_babel.refresh()


def test_summarize_can_leave_the_follow_ups_out(session, world):
    from feedback.services.aggregation import summarize

    end = today_in(CHICAGO)
    ids = [world["A-1"].id, world["A-2"].id]
    full = summarize(session, ids, end - timedelta(days=40), end, group="day")
    lean = summarize(session, ids, end - timedelta(days=40), end, group="day", followups=False)
    assert lean["followups"] is None and full["followups"]["negative"]
    assert {k: v for k, v in lean.items() if k != "followups"} == {k: v for k, v in full.items() if k != "followups"}


def test_a_manager_without_locations_sees_an_empty_dashboard(new_client, make_user, world):
    make_user("nobody@example.gov", "manager")
    client = new_client()
    assert sign_in(client, "nobody@example.gov").status_code == 302
    body = page(client, "/admin/")
    assert period(body, "30d")["count"] == "0" and "No locations match this filter." in body
    assert "A-1" not in body and compare_rows(page(client, "/admin/compare")) == []
    assert client.get("/admin/locations/A-1").status_code == 404


def test_the_default_range_ends_on_the_request_clocks_local_today(manager, world, app, monkeypatch):
    """The landing page's "to" date is today in the offices' zones by the request clock, not the
    wall clock: 05:30 UTC on 1 March is still 28 February in Chicago."""
    monkeypatch.setitem(app.config, "CLOCK", lambda: datetime(2026, 3, 1, 5, 30, tzinfo=UTC))
    body = page(manager, "/admin/")
    assert 'value="2026-02-28"' in body


def test_what_needs_doing_follows_an_office_or_location_filter(admin, manager, world):
    """Every location of the user by default; the office or locations the filter names otherwise
    (a central office narrowing to one office sees that office's list)."""

    def todo_codes(body: str) -> list[str]:
        todo = block(body, '<section aria-labelledby="todo-heading"', "</section>")
        return re.findall(r'data-kind="below_target".*?<strong>([A-Z0-9-]+) –', todo, re.S)

    everything = page(admin, "/admin/")
    assert "A-1" in todo_codes(everything) and "For all your locations." in everything
    bravo = page(admin, f"/admin/?office={BRAVO_SLUG}")
    assert "A-1" not in todo_codes(bravo) and "clear them to see all your locations" in bravo
    one = page(admin, "/admin/?location=A-2")
    assert todo_codes(one) == []  # A-2 meets its target
    assert "A-1" in todo_codes(page(manager, "/admin/"))

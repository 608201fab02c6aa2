"""Dashboard pages: server time of each admin dashboard page for one office over a year.

For each database, a fresh database (SQLite file / PostgreSQL schema, migrated with
``flask db upgrade``) gets one measured office of ``--office-locations`` counters (one
faces5 survey, CSAT targets set) and as many other offices of the same size as it takes to
reach ``--size`` stored responses (faces5/faces4/thumbs surveys, six time zones), all filled
by bench/bulkgen.py over ``--days`` days ending yesterday. A third of the measured office's
phone answers get a comment (bulkgen writes none), so the comment list has rows to show.

Then the app runs in this process and the Flask test client, signed in through the real
sign-in form as an admin and as the measured office's manager, asks each dashboard page for the
measured office over its last full year, and the home page (what needs attention, then the
cards) as that manager sees it by default: one warm-up request per page, then ``--runs`` timed
requests per page, interleaved in rounds so every page shares the machine's noise; the median
is reported with its ratio to ``/livez`` (the app's cheapest page: no query) timed in the same rounds; the landing page
of the admin's whole scope (every office, last 30 days) is timed too, without a goal. Server
time here is the WSGI call as the test client makes it (routing, sign-in check, queries,
template rendering), without a network. The queries each page runs are counted too.

The data is removed afterwards (SQLite file deleted, PostgreSQL schema dropped). Results go
to the ``dashboard`` section of docs/PERFORMANCE.md.

    .venv/bin/python -m bench.dashboard                          # ~1 M responses, both databases
    .venv/bin/python -m bench.dashboard --size 10000000
    .venv/bin/python -m bench.dashboard --databases sqlite --size 200000 --runs 5 --no-write
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from bench import bulkgen, report
from feedback.services.hours import WEEKDAY_HOURS

GOAL_MS = 100.0
BEYOND = "(no goal) "  # pages outside "one office": shown to say how they grow
SCALES_USED = ("faces5", "faces4", "thumbs")
ADMIN = ("bench-admin@example.gov", "bench-admin-password")
MANAGER = ("bench-manager@example.gov", "bench-manager-password")  # of the measured office only
COMMENTS = (
    "The wait was far too long",
    "Quick and friendly, thank you!",
    "Nobody explained which form I needed",
    "Clear signs, easy to find the right counter",
    "The line at lunch time was very long",
)


def enroll(url: str, instance: str, *, office_locations: int, other_locations: int) -> dict:
    """The measured office (first) and the others, with the services; returns what bulkgen.Plan needs."""
    from bench.sites import BENCH, Sites
    from feedback.app import create_app
    from feedback.config import normalize_database_url
    from feedback.database import write_transaction
    from feedback.extensions import db
    from feedback.services import users

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": normalize_database_url(url),
            "INSTANCE_PATH": instance,
            "SECRET_KEY": "bench-secret-key",
        }
    )
    out = {"locations": [], "devices": {}, "office": None, "codes": []}
    with app.app_context():
        s = db.session
        with write_transaction(s):
            sites = Sites(s)
            surveys = {sc: sites.survey(f"Bench {sc}", sc) for sc in SCALES_USED}
            versions = {sc: sv.current_version() for sc, sv in surveys.items()}

            def add(office, n: int, survey_key: str, target: float | None):
                version = versions[survey_key]
                loc = sites.location(f"B{n:05d}", office, surveys[survey_key], target=target)
                device, _token = sites.kiosk(loc, label=f"bench {n}")
                out["devices"][loc.id] = device.id
                out["locations"].append(
                    {
                        "id": loc.id,
                        "code": loc.code,
                        "tz": office.timezone,
                        "version_id": version.id,
                        "scale": version.scale,
                        "followup_choices": list(version.followup_choices),
                        "opening_hours": office.opening_hours,
                    }
                )
                return loc

            measured, _ = sites.office("Measured office", report.ZONES[1])
            out["office"] = {"id": measured.id, "slug": measured.slug, "tz": measured.timezone}
            for n in range(office_locations):
                out["codes"].append(add(measured, n, "faces5", (0.75, 0.8, 0.85, 0.9)[n % 4]).code)
            per_office = max(1, office_locations)
            for k in range(other_locations):
                i = k // per_office
                office, _ = sites.office(f"Bench office {i}", report.ZONES[i % len(report.ZONES)])
                add(office, office_locations + k, SCALES_USED[k % len(SCALES_USED)], 0.85)
            users.create_user(s, BENCH, email=ADMIN[0], password=ADMIN[1], role="admin")
            users.create_user(s, BENCH, email=MANAGER[0], password=MANAGER[1], role="manager", office_ids=[measured.id])
        db.session.remove()
        db.engine.dispose()
    return out


def add_comments(kind: str, url: str, info: dict, location_ids: list[int]) -> int:
    """Give about a third of the measured office's phone answers a comment, open in the inbox (as
    phone.submit stores them), so the home page has unhandled comments to count."""
    ids = ", ".join(str(i) for i in location_ids)
    pick = "abs(random()) % 3 = 0" if kind == "sqlite" else "random() < 0.34"
    cases = " ".join(f"WHEN {k} THEN '{text}'" for k, text in enumerate(COMMENTS))
    mod = "abs(random()) % 5" if kind == "sqlite" else "floor(random() * 5)::int"
    sql = (
        f"UPDATE responses SET comment = CASE {mod} {cases} END, comment_state = 'open' "
        f"WHERE location_id IN ({ids}) AND channel = 'qr' AND {pick}"
    )
    if kind == "sqlite":
        import sqlite3

        conn = sqlite3.connect(info["path"])
        n = conn.execute(sql).rowcount
        conn.commit()
    else:
        import psycopg

        conn = psycopg.connect(url, autocommit=True)
        n = conn.execute(sql).rowcount
        conn.execute("ANALYZE responses")  # what autovacuum does after such a change
    conn.close()
    return n


def pages(office: dict, codes: list[str], start, end) -> list[tuple[str, str, tuple[str, str]]]:
    """(name, path, who asks) of each timed page."""
    year = {"from": start.isoformat(), "to": end.isoformat()}
    q = lambda **kw: "?" + urlencode({**year, **kw})  # noqa: E731
    code = codes[0]
    return [
        ("baseline: /livez", "/livez", ADMIN),
        ("home, office manager's scope, default (attention list and cards)", "/admin/", MANAGER),
        ("landing, office, a year (by week)", "/admin/" + q(office=office["slug"]), ADMIN),
        ("landing, office, default 30 days", "/admin/?" + urlencode({"office": office["slug"]}), ADMIN),
        ("location, a year (by week)", f"/admin/locations/{code}" + q(), ADMIN),
        ("location, a year by day", f"/admin/locations/{code}" + q(group="day"), ADMIN),
        ("location, a year, comment search, page 2", f"/admin/locations/{code}" + q(q="WAIT", page=2), ADMIN),
        (
            "compare, office, a year, sorted by CSAT",
            "/admin/compare" + q(office=office["slug"], sort="csat", dir="desc"),
            ADMIN,
        ),
        (f"{BEYOND}landing, every office, default 30 days", "/admin/", ADMIN),
    ]


def measure(url: str, instance: str, targets: list[tuple[str, str, tuple[str, str]]], runs: int, rounds: int) -> dict:
    """Median/p90 server time and query count of each page, signed in as whom it names."""
    from sqlalchemy import event

    from feedback.app import create_app
    from feedback.config import normalize_database_url
    from feedback.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": normalize_database_url(url),
            "INSTANCE_PATH": instance,
            "SECRET_KEY": "bench-secret-key",
            "RATELIMIT_ENABLED": False,
        }
    )

    def signed_in(who: tuple[str, str]):
        client = app.test_client()
        login = client.get("/admin/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
        signed = client.post("/admin/login", data={"email": who[0], "password": who[1], "csrf_token": token})
        assert signed.status_code == 302, signed.status_code
        return client

    clients = {who: signed_in(who) for who in {who for _name, _path, who in targets}}
    queries = [0]
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *_a: queries.__setitem__(0, queries[0] + 1))
    times = {name: [] for name, _path, _who in targets}
    counts, sizes = {}, {}
    for name, path, who in targets:  # warm-up: templates compiled, connections open
        response = clients[who].get(path)
        assert response.status_code == 200, (path, response.status_code)
        queries[0] = 0
        response = clients[who].get(path)
        counts[name], sizes[name] = queries[0], len(response.data)
    per_round = max(1, -(-runs // rounds))
    for r in range(rounds):
        order = targets[r % len(targets) :] + targets[: r % len(targets)]
        for name, path, who in order:
            for _ in range(per_round):
                t0 = time.perf_counter()
                response = clients[who].get(path)
                times[name].append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    out = {}
    for name, ts in times.items():
        ts.sort()
        out[name] = {
            "median": statistics.median(ts),
            "p90": ts[int(0.9 * (len(ts) - 1))],
            "n": len(ts),
            "queries": counts[name],
            "bytes": sizes[name],
        }
    return out


def counters_for(size: int, office_locations: int, first_day, days: int, per_open_day: float) -> int:
    """How many counters (the measured office's and the others) store about ``size`` responses."""
    probe = bulkgen.Plan(
        locations=[{"tz": "America/Chicago", "opening_hours": WEEKDAY_HOURS}],
        devices={},
        first_day=first_day,
        days=days,
        per_open_day=per_open_day,
    )
    return max(office_locations, round(size / bulkgen.expected_total(probe)))


def fill_office(
    kind: str, url: str, info: dict, env: dict, n_total: int, office_locations: int, first_day, days, per_open_day
) -> tuple[dict, dict, int]:
    """Enrol ``n_total`` counters, fill their responses and rollups, and give the measured office its
    comments; returns (enrolled, bulkgen's counts, comments added)."""
    enrolled = enroll(
        url, env["INSTANCE_PATH"], office_locations=office_locations, other_locations=n_total - office_locations
    )
    plan = bulkgen.Plan(
        locations=enrolled["locations"],
        devices=enrolled["devices"],
        first_day=first_day,
        days=days,
        per_open_day=per_open_day,
    )
    filled = bulkgen.fill(plan, kind, url, info, progress=lambda m: print(m, flush=True))
    comments = add_comments(kind, url, info, [loc["id"] for loc in enrolled["locations"][:office_locations]])
    return enrolled, filled, comments


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--databases", default="sqlite,postgresql")
    ap.add_argument("--pg-url", default=report.DEFAULT_PG)
    ap.add_argument("--size", type=int, default=1_000_000, help="target stored responses")
    ap.add_argument("--office-locations", type=int, default=8, help="counters of the measured office")
    ap.add_argument("--days", type=int, default=400, help="days of data, ending yesterday")
    ap.add_argument("--per-open-day", type=float, default=36.0, help="mean responses per location per open day")
    ap.add_argument("--runs", type=int, default=25, help="timed requests per page (median reported)")
    ap.add_argument("--rounds", type=int, default=5, help="the runs are split in rounds, pages interleaved")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if not (20 <= args.runs <= 200 or args.no_write) or not 1 <= args.rounds <= args.runs:
        raise SystemExit("--runs 20..200 (fewer only with --no-write), --rounds 1..runs")
    if not (1 <= args.size <= 20_000_000 and 1 <= args.office_locations <= 100 and 366 <= args.days <= 1500):
        raise SystemExit("--size up to 20 M, --office-locations 1..100, --days 366..1500 (every run is bounded)")
    started = time.time()
    today = datetime.now(UTC).date()
    first_day = today - timedelta(days=args.days)
    end = today - timedelta(days=1)
    start = end - timedelta(days=364)
    n_total = counters_for(args.size, args.office_locations, first_day, args.days, args.per_open_day)
    rows, fills = [], []
    for kind in [k.strip() for k in args.databases.split(",") if k.strip()]:
        with report.fresh_database(kind, args.pg_url) as (url, info):
            env = report.app_env(url)
            report.migrate(url, env)
            print(
                f"[{kind}] {n_total} locations ({args.office_locations} in the measured office) x {args.days} days",
                flush=True,
            )
            enrolled, filled, comments = fill_office(
                kind, url, info, env, n_total, args.office_locations, first_day, args.days, args.per_open_day
            )
            print(
                f"[{kind}] filled {filled['responses']:,} responses in {filled['total_s']:.0f} s; "
                f"{comments:,} comments",
                flush=True,
            )
            targets = pages(enrolled["office"], enrolled["codes"], start, end)
            stats = measure(url, env["INSTANCE_PATH"], targets, args.runs, args.rounds)
            base = stats[targets[0][0]]["median"]
            for name, _path, _who in targets:
                st = stats[name]
                met = "" if name.startswith(("baseline", BEYOND)) else ("met" if st["median"] < GOAL_MS else "NOT met")
                rows.append(
                    [
                        kind,
                        name,
                        f"{st['median']:.1f}",
                        f"{st['p90']:.1f}",
                        f"{st['median'] / base:.1f}",
                        st["queries"],
                        f"{st['bytes'] / 1024:.0f}",
                        met,
                    ]
                )
                print(
                    f"[{kind}] {name}: median {st['median']:.1f} ms (p90 {st['p90']:.1f}), "
                    f"{st['queries']} queries, {st['bytes'] / 1024:.0f} KiB",
                    flush=True,
                )
            fills.append(
                [
                    kind,
                    f"{filled['responses']:,}",
                    n_total,
                    f"{filled['response_hourly']:,}",
                    f"{filled['followup_daily']:,}",
                    f"{comments:,}",
                    f"{filled['total_s']:.0f} s (generate {filled['generate_s']:.0f}, "
                    f"write {filled['write_s']:.0f}, indexes {filled['index_s']:.0f})",
                ]
            )
    settings = (
        f"bench/bulkgen.py data: {args.days} days ending yesterday, {args.per_open_day:g} responses per location "
        f"per open weekday on average (Mon-Fri 08:00-16:30 local, demo hour/weekday weights), 15 % QR, 1 % suspect, "
        f"60 % with follow-ups; the measured office: {args.office_locations} counters in {report.ZONES[1]}, one "
        f"faces5 survey, targets 75-90 %, a third of its phone answers with a comment; the other offices "
        f"{args.office_locations} counters each in 6 time zones, faces5/faces4/thumbs surveys. Pages ask for the "
        f"measured office over {start}..{end} (a year) unless named otherwise; Flask test client in this process, "
        f"signed in through the sign-in form as an admin (scope: every location), and for the home page as the "
        f"measured office's manager (scope: its {args.office_locations} counters; the page as the manager first "
        f"sees it: what needs attention, then today/7/30-day cards); one warm-up request per page, "
        f"then {args.runs} timed requests per page in {args.rounds} rounds, pages interleaved; PostgreSQL after "
        f"VACUUM ANALYZE, SQLite as loaded (no ANALYZE)"
    )
    body = [
        "## Dashboard pages\n",
        report.header("Dashboard pages: server time for one office over a year", "bench.dashboard", started, settings),
        "",
        report.table(
            ["database", "page", "median ms", "p90 ms", "x /livez", "queries", "KiB", f"goal < {GOAL_MS:g} ms"], rows
        ),
        "",
        "Data generated (per database; then deleted):\n",
        report.table(
            [
                "database",
                "responses",
                "locations",
                "response_hourly rows",
                "followup_daily rows",
                "comments",
                "fill time",
            ],
            fills,
        ),
    ]
    text = "\n".join(body)
    print(text)
    if not args.no_write:
        report.write_section("dashboard", text)


if __name__ == "__main__":
    main()

"""Accountability features: what each costs, as a ratio against a baseline timed in the same run.

For each database, a fresh database (SQLite file / PostgreSQL schema, migrated with ``flask db
upgrade``) is filled by bench/bulkgen.py with about ``--size`` responses over ``--days`` days ending
yesterday: a measured office of ``--office-locations`` counters (America/Chicago, faces5, CSAT
targets 75-90 %, a weekly target, public scoreboard), a "burst" office of ``--burst-locations``
counters, and as many other offices of the same size as it takes to reach the size (six time zones,
faces5/faces4/thumbs surveys, an office CSAT target of 60 %). Every counter has
``--devices-per-location`` kiosks. About 10 % of the phone (qr) answers get a comment in the
inbox's states (30 % open, 50 % handled, 20 % archived, 5 % flagged), and 2 % of the comments are
then marked spam with ``comments.act`` (which takes them out of the rollups, as the admin site does).

Then, in this process, each subject and its baseline are timed interleaved (medians reported):

1. **Alerts on ingest**: single ``POST /api/v1/responses`` through the Flask test client of two apps
   on the same database, ``ALERTS_ON_INGEST`` on and off. Sweeps over ``--ingest-locations``
   counters, one tap each, every sweep done by both apps (order alternating); a third of the sweeps
   negative, so a counter's last 8 ratings hold at most 4 negatives and the burst rule stays quiet
   while it is evaluated (burst query + the 7-day below-target summary). The burst office's
   counters get only negatives: after the first alert, each further negative extends the episode
   (a write). Each kiosk taps at most every ``GAP_SECONDS``, so no tap is a suspect repeat.
2. **A-11 per-response uploads** (``a11.report``, then ``a11_files.response_chunks`` of each
   collection detail) of the last full fiscal quarter for every location, against the responses CSV
   (``exports.response_rows`` + ``csv_chunks``, as the admin export view) over the same quarter and
   locations; time per exported row (the A-11 files hold the faces5 and thumbs counters' answers).
3. **A-11 quarterly collection** (``a11.report`` + the collection and worksheet CSVs) against
   ``aggregation.summarize`` for the same locations and quarter (the report reads one grouped scan
   of the quarter's responses, since it needs each answer's survey version; summarize the rollups).
4. **Standards page data**: the admin view's work (scoped locations with offices, then
   ``standards.report`` for the current quarter) against ``summarize(followups=False)`` for the
   same locations and dates (the page shows no follow-ups).
5. **Scoreboard**: ``GET /scores/<slug>`` of the measured office from an app with
   ``SCOREBOARD_CACHE_SECONDS=300`` (in-process cache warm) against one with 0 (rendered each time).
6. **Comment inbox first page** (``comments.inbox``: tab counts + the newest 25 open comments,
   no filter) against ``SELECT count(*)`` of the same comments (same scope, ``comment_state IS NOT
   NULL``, the inbox's partial index): the least any page that says how many comments there are
   must read. The location page's comment list is not a fair baseline: it reads one location's
   qr answers newest first and stops at a full page, it counts nothing.

3, 4 and 6 are timed for every location (an admin's scope) and for the measured office. Every
service call runs in an app context and is followed by a rollback (as a request ends). The data is
removed afterwards (SQLite file deleted, PostgreSQL schema dropped). Results go to the
``accountability`` section of docs/PERFORMANCE.md.

    .venv/bin/python -m bench.accountability                    # ~1 M responses, both databases
    .venv/bin/python -m bench.accountability --databases sqlite --size 100000 --runs 5 --no-write
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

from bench import bulkgen, report
from feedback import touchpoints
from feedback.services.hours import WEEKDAY_HOURS

SCALES_USED = ("faces5", "faces4", "thumbs")
A11_TEMPLATE = {"question": touchpoints.trust_question("the Bench Agency"), "a11_role": touchpoints.A11_V2}
GAP_SECONDS = 2.5  # a kiosk's taps at least this far apart (SUSPECT_WINDOW_SECONDS is 2)
OTHER_TARGET = 0.6  # office CSAT target of the other offices: met, so below_target runs its summary and stays quiet
COMMENTS = (
    "The wait was far too long",
    "Quick and friendly, thank you!",
    "Nobody explained which form I needed",
    "Clear signs, easy to find the right counter",
    "- the line at lunch time was very long",
    "Staff were patient with my mother, gracias",
)


# --------------------------------------------------------------------------- data


def enroll(
    url: str,
    instance: str,
    *,
    office_locations: int,
    burst_locations: int,
    other_locations: int,
    devices_per_location: int,
) -> dict:
    """The measured office, the burst office and the others, with the services."""
    from bench.sites import Sites
    from feedback.app import create_app
    from feedback.config import normalize_database_url
    from feedback.database import write_transaction
    from feedback.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": normalize_database_url(url),
            "INSTANCE_PATH": instance,
            "SECRET_KEY": "bench-secret-key",
        }
    )
    out = {"locations": [], "devices": {}, "office": None, "burst": [], "others": [], "measured": []}
    with app.app_context():
        s = db.session
        with write_transaction(s):
            sites = Sites(s)
            # faces5 and thumbs on the A-11 template (reported), faces4 not: the A-11 files carry both cases.
            surveys = {
                sc: sites.survey(f"Bench {sc}", sc, **(A11_TEMPLATE if sc in touchpoints.SURVEY_TYPES else {}))
                for sc in SCALES_USED
            }
            versions = {sc: sv.current_version() for sc, sv in surveys.items()}

            def add(office, n: int, survey_key: str, target: float | None, weekly: int | None = None):
                version = versions[survey_key]
                loc = sites.location(f"B{n:05d}", office, surveys[survey_key], target=target, weekly=weekly)
                kiosks = [sites.kiosk(loc, label=f"bench {n}/{d}") for d in range(devices_per_location)]
                out["devices"][loc.id] = kiosks[0][0].id
                entry = {
                    "id": loc.id,
                    "code": loc.code,
                    "tz": office.timezone,
                    "version_id": version.id,
                    "scale": version.scale,
                    "followup_choices": list(version.followup_choices),
                    "opening_hours": office.opening_hours,
                    "kiosks": [(dev.id, token) for dev, token in kiosks],
                }
                out["locations"].append(entry)
                return entry

            measured, _ = sites.office("Measured office", report.ZONES[1], public=True)
            out["office"] = {"id": measured.id, "slug": measured.slug, "tz": measured.timezone}
            n = 0
            for k in range(office_locations):
                out["measured"].append(add(measured, n, "faces5", (0.75, 0.8, 0.85, 0.9)[k % 4], 150))
                n += 1
            burst, _ = sites.office("Burst office", report.ZONES[0], target=OTHER_TARGET)
            for _k in range(burst_locations):
                out["burst"].append(add(burst, n, "faces5", None))
                n += 1
            per_office = max(1, office_locations)
            for k in range(other_locations):
                i = k // per_office
                zone = report.ZONES[i % len(report.ZONES)]
                office, _created = sites.office(f"Bench office {i}", zone, target=OTHER_TARGET)
                out["others"].append(add(office, n, SCALES_USED[k % len(SCALES_USED)], None))
                n += 1
        db.session.remove()
        db.engine.dispose()
    return out


def add_comments(kind: str, url: str, info: dict) -> dict:
    """About 10 % of the qr answers get a comment in the inbox's states (as phone.submit stores them)."""
    if kind == "sqlite":
        rnd = lambda m: f"(abs(random()) % {m})"  # noqa: E731
        pick, flagged = "abs(random()) % 10 = 0", "(abs(random()) % 20 = 0)"
    else:
        rnd = lambda m: f"floor(random() * {m})::int"  # noqa: E731
        pick, flagged = "random() < 0.1", "(random() < 0.05)"
    texts = " ".join(f"WHEN {k} THEN '{text}'" for k, text in enumerate(COMMENTS))
    sql = (
        f"UPDATE responses SET comment = CASE {rnd(len(COMMENTS))} {texts} END, "
        f"comment_state = CASE WHEN {rnd(10)} < 3 THEN 'open' WHEN {rnd(10)} < 7 THEN 'handled' "
        f"ELSE 'archived' END, comment_flagged = {flagged} "
        f"WHERE channel = 'qr' AND {pick}"
    )
    # (the second draw of the CASE is independent: 30 % open, then 70 % of the rest handled)
    if kind == "sqlite":
        import sqlite3

        conn = sqlite3.connect(info["path"])
        n = conn.execute(sql).rowcount
        conn.commit()
    else:
        import psycopg

        conn = psycopg.connect(url, autocommit=True)
        n = conn.execute(sql).rowcount
    conn.close()
    return {"comments": n}


def mark_spam(url: str, instance: str, share: float = 0.02) -> int:
    """Mark ``share`` of the comments spam through the service (rollups updated, audited)."""
    from sqlalchemy import func, select

    from feedback.extensions import db
    from feedback.models import Location, Response
    from feedback.services import comments

    app = _app(url, instance)
    with app.app_context():
        s = db.session
        scope = list(s.scalars(select(Location.id)))
        total = s.scalar(select(func.count()).select_from(Response).where(Response.comment_state.is_not(None)))
        ids = list(
            s.scalars(
                select(Response.id)
                .where(Response.comment_state.is_not(None))
                .order_by(func.random())
                .limit(int(total * share))
            )
        )
        s.rollback()
        changed = 0
        for i in range(0, len(ids), comments.MAX_IDS):
            changed += len(comments.act(s, None, scope, "mark_spam", ids[i : i + comments.MAX_IDS]).changed)
        db.session.remove()
        db.engine.dispose()
    return changed


def analyze(kind: str, url: str) -> None:
    """PostgreSQL: VACUUM ANALYZE after the comment updates (what autovacuum does); SQLite as loaded."""
    if kind != "postgresql":
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for table in bulkgen.TABLES:
            conn.execute(f"VACUUM ANALYZE {table}")


# --------------------------------------------------------------------------- timing helpers


def _app(url: str, instance: str, **config):
    from feedback.app import create_app
    from feedback.config import normalize_database_url

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": normalize_database_url(url),
            "INSTANCE_PATH": instance,
            "SECRET_KEY": "bench-secret-key",
            "RATELIMIT_ENABLED": False,
            "SMTP_URL": None,
            **config,
        }
    )


def _count_queries(app) -> list[int]:
    from sqlalchemy import event

    from feedback.extensions import db

    counter = [0]
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *_a: counter.__setitem__(0, counter[0] + 1))
    return counter


def _dispose(app) -> None:
    from feedback.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _stats(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"median": statistics.median(ordered), "p90": ordered[int(0.9 * (len(ordered) - 1))], "n": len(ordered)}


def interleaved(app, cases: list[tuple[str, object]], runs: int, rounds: int) -> dict:
    """Time each ``fn(session)`` of ``cases``: one warm-up call each, then ``rounds`` rounds in which
    every case gets ``runs / rounds`` calls (the order rotating), a rollback after each call.
    Returns {name: {"ms": [...], "queries": n, "out": last result}}."""
    from feedback.extensions import db

    queries = _count_queries(app)
    out = {name: {"ms": [], "queries": 0, "out": None} for name, _fn in cases}
    with app.app_context():
        session = db.session
        for name, fn in cases:
            queries[0] = 0
            out[name]["out"] = fn(session)
            out[name]["queries"] = queries[0]
            session.rollback()
        per_round = max(1, -(-runs // rounds))
        for r in range(rounds):
            order = cases[r % len(cases) :] + cases[: r % len(cases)]
            for name, fn in order:
                for _ in range(per_round):
                    t0 = time.perf_counter()
                    out[name]["out"] = fn(session)
                    out[name]["ms"].append((time.perf_counter() - t0) * 1000)
                    session.rollback()  # as at the end of a request
        session.remove()
    return out


# --------------------------------------------------------------------------- 1. alerts on ingest


def measure_alerts(url: str, instance: str, quiet: list[dict], burst: list[dict], pairs: int, seed: int) -> dict:
    """Median ms and queries per tap, alerts on vs off, by kind of tap (see the module docstring)."""
    from sqlalchemy import func, select

    from feedback.extensions import db
    from feedback.models import Alert
    from feedback.scales import SCALES

    apps = {"on": _app(url, instance, ALERTS_ON_INGEST=True), "off": _app(url, instance, ALERTS_ON_INGEST=False)}
    clients = {side: a.test_client() for side, a in apps.items()}
    queries = {side: _count_queries(a) for side, a in apps.items()}
    rng = random.Random(seed)
    last_tap: dict[int, float] = {}
    samples: dict[tuple[str, str], list[tuple[float, int]]] = {}
    problems = {"not 201": 0, "suspect": 0, "waits": 0}

    def tap(side: str, loc: dict, negative: bool, kind: str, record: bool) -> None:
        dev_id, token = min(loc["kiosks"], key=lambda k: last_tap.get(k[0], 0.0))
        wait = last_tap.get(dev_id, -1e9) + GAP_SECONDS - time.perf_counter()
        if wait > 0:
            problems["waits"] += 1
            time.sleep(wait)
        scale = SCALES[loc["scale"]]
        rating = rng.randint(1, scale.positive_from - 1) if negative else rng.randint(scale.positive_from, scale.points)
        body = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "rating": rating,
            "language": "es" if rng.random() < 0.2 else "en",
            "client_time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }
        choices = loc["followup_choices"]
        if choices and rng.random() < 0.6:
            body["followup_offered"] = choices
            body["followup_chosen"] = rng.sample(choices, k=min(len(choices), rng.choice((0, 1, 1, 2))))
        data = json.dumps(body)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        q0 = queries[side][0]
        t0 = time.perf_counter()
        resp = clients[side].post("/api/v1/responses", data=data, headers=headers)
        ms = (time.perf_counter() - t0) * 1000
        n_queries = queries[side][0] - q0
        last_tap[dev_id] = time.perf_counter()
        if resp.status_code != 201:
            problems["not 201"] += 1
            raise RuntimeError(f"tap refused: {resp.status_code} {resp.get_data(as_text=True)[:300]}")
        if resp.get_json()["suspect"]:
            problems["suspect"] += 1
        resp.close()
        if record:
            samples.setdefault((side, kind), []).append((ms, n_queries))

    def sweep(side: str, negative: bool, record: bool) -> None:
        for loc in quiet:
            tap(side, loc, negative, "negative" if negative else "positive", record)
        for loc in burst:
            tap(side, loc, True, "burst", record)

    started = time.perf_counter()
    for j in range(3 + pairs):  # 3 untimed pairs first: warm-up, and the burst counters reach their first alert
        negative = j % 3 == 0
        for side in ("on", "off") if j % 2 == 0 else ("off", "on"):
            sweep(side, negative, record=j >= 3)
    took = time.perf_counter() - started
    with apps["on"].app_context():
        alert_counts = dict(db.session.execute(select(Alert.kind, func.count()).group_by(Alert.kind)).all())
        extended = sum(
            "last_held_at" in (details or {})
            for details in db.session.scalars(select(Alert.details).where(Alert.kind == "burst"))
        )
        db.session.remove()
    for a in apps.values():
        _dispose(a)
    out = {"took_s": took, "alerts": alert_counts, "burst_alerts_extended": extended or 0, "problems": problems}
    for (side, kind), values in samples.items():
        out[(side, kind)] = {**_stats([ms for ms, _q in values]), "queries": statistics.median(q for _ms, q in values)}
    return out


# --------------------------------------------------------------------------- 2-4, 6: services


def _consume(chunks) -> tuple[int, int]:
    """(data rows, characters) of a CSV streamed in chunks (no line breaks inside our cells)."""
    rows = chars = 0
    for chunk in chunks:
        rows += chunk.count("\r\n")
        chars += len(chunk)
    return rows - 1, chars


def measure_exports(app, ids: list[int], quarter, runs: int) -> dict:
    from feedback.services import a11, a11_files, exports

    def a11_csv(session):
        """Every per-response upload of the quarter (the report, then each detail's file)."""
        rows = chars = 0
        for detail in a11.report(session, ids, quarter).details:
            r, c = _consume(a11_files.response_chunks(session, detail))
            rows, chars = rows + r, chars + c
        return rows, chars

    def responses_csv(session):
        rows = exports.response_rows(session, ids, quarter.start, quarter.end)
        return _consume(exports.csv_chunks(exports.RESPONSE_COLUMNS, rows, guard=False))

    return interleaved(app, [("a11", a11_csv), ("responses", responses_csv)], runs, runs)


def measure_collection(app, ids: list[int], quarter, runs: int, rounds: int) -> dict:
    from feedback.services import a11, a11_files, aggregation

    def collection(session):
        report = a11.report(session, ids, quarter)
        return {
            "rows": len(report.details),
            "respondents": sum(d.respondents for d in report.details),
            "bytes": len(a11_files.collection_csv(report)) + len(a11_files.worksheet_csv(report)),
        }

    def summary(session):
        return aggregation.summarize(session, ids, quarter.start, quarter.end)["total"]["count"]

    return interleaved(app, [("collection", collection), ("summarize", summary)], runs, rounds)


def measure_standards(app, ids: list[int], quarter, runs: int, rounds: int) -> dict:
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from feedback.models import Location
    from feedback.services import aggregation, standards

    def page_data(session):
        locations = list(
            session.scalars(
                select(Location)
                .options(joinedload(Location.office))
                .where(Location.id.in_(ids))
                .order_by(Location.code)
            )
        )  # scoped_locations()
        rows = standards.report(session, locations, [quarter])
        return sum(r.total[quarter].responses for r in rows)

    def summary(session):
        return aggregation.summarize(session, ids, quarter.start, quarter.end, followups=False)["total"]["count"]

    return interleaved(app, [("standards", page_data), ("summarize", summary)], runs, rounds)


def measure_inbox(app, ids: list[int], runs: int, rounds: int) -> dict:
    from sqlalchemy import func, select

    from feedback.models import Response
    from feedback.services import comments

    def inbox(session):
        page = comments.inbox(session, ids, tab="open")
        return {"items": len(page.items), "counts": page.counts}

    def count(session):
        return session.scalar(
            select(func.count())
            .select_from(Response)
            .where(Response.location_id.in_(sorted(ids)), Response.comment_state.is_not(None))
        )

    return interleaved(app, [("inbox", inbox), ("count", count)], runs, rounds)


# --------------------------------------------------------------------------- 5. scoreboard


def measure_scoreboard(url: str, instance: str, slug: str, runs: int, rounds: int) -> dict:
    apps = {
        "cached": _app(url, instance, SCOREBOARD_CACHE_SECONDS=300),
        "uncached": _app(url, instance, SCOREBOARD_CACHE_SECONDS=0),
    }
    clients = {k: a.test_client() for k, a in apps.items()}
    queries = {k: _count_queries(a) for k, a in apps.items()}
    path = f"/scores/{slug}"
    out = {k: {"ms": [], "queries": 0, "bytes": 0} for k in apps}
    for k, client in clients.items():  # warm-up: templates compiled, connections open, the cache filled
        resp = client.get(path)
        assert resp.status_code == 200, (k, resp.status_code)
        queries[k][0] = 0
        resp = client.get(path)
        out[k]["queries"], out[k]["bytes"] = queries[k][0], len(resp.data)
    per_round = max(1, -(-runs // rounds))
    for r in range(rounds):
        for k in ("cached", "uncached") if r % 2 == 0 else ("uncached", "cached"):
            for _ in range(per_round):
                t0 = time.perf_counter()
                resp = clients[k].get(path)
                out[k]["ms"].append((time.perf_counter() - t0) * 1000)
                assert resp.status_code == 200
    for a in apps.values():
        _dispose(a)
    return out


# --------------------------------------------------------------------------- main


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 1000 else f"{value:,.0f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--databases", default="sqlite,postgresql")
    ap.add_argument("--pg-url", default=report.DEFAULT_PG)
    ap.add_argument("--size", type=int, default=1_000_000, help="target stored responses")
    ap.add_argument("--days", type=int, default=366, help="days of data, ending yesterday")
    ap.add_argument("--per-open-day", type=float, default=36.0, help="mean responses per location per open day")
    ap.add_argument("--office-locations", type=int, default=8, help="counters per office (the measured one too)")
    ap.add_argument("--burst-locations", type=int, default=4)
    ap.add_argument("--devices-per-location", type=int, default=6)
    ap.add_argument("--ingest-locations", type=int, default=48, help="counters in each ingest sweep")
    ap.add_argument("--ingest-pairs", type=int, default=30, help="timed sweep pairs (alerts on + off)")
    ap.add_argument("--runs", type=int, default=15, help="timed calls per service case (median reported)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--export-runs", type=int, default=4, help="timed exports per side (each reads the quarter)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if not (
        5 <= args.runs <= 200
        and 1 <= args.rounds <= args.runs
        and 1 <= args.export_runs <= 20
        and 3 <= args.ingest_pairs <= 300
        and 1 <= args.ingest_locations <= 500
    ):
        raise SystemExit(
            "--runs 5..200, --rounds 1..runs, --export-runs 1..20, --ingest-pairs 3..300, "
            "--ingest-locations 1..500 (every run is bounded)"
        )
    if not (
        10_000 <= args.size <= 10_000_000
        and 200 <= args.days <= 1500
        and 1 <= args.office_locations <= 100
        and 0 <= args.burst_locations <= 20
        and 2 <= args.devices_per_location <= 20
    ):
        raise SystemExit(
            "--size 10 k..10 M, --days 200..1500, --office-locations 1..100, --burst-locations 0..20, "
            "--devices-per-location 2..20"
        )
    started = time.time()
    today = datetime.now(UTC).date()
    first_day = today - timedelta(days=args.days)
    from feedback.services.fiscal import FiscalQuarter
    from feedback.services.standards import current_quarter

    export_quarter = FiscalQuarter.of(today).previous()  # the last full quarter (as A-11 reports)
    if export_quarter.start < first_day:
        raise SystemExit(f"--days must cover {export_quarter} (from {export_quarter.start})")
    probe = bulkgen.Plan(
        locations=[{"tz": "America/Chicago", "opening_hours": WEEKDAY_HOURS}],
        devices={},
        first_day=first_day,
        days=args.days,
        per_open_day=args.per_open_day,
    )
    per_location = bulkgen.expected_total(probe)
    n_total = max(args.office_locations + args.burst_locations + args.ingest_locations, round(args.size / per_location))
    n_other = n_total - args.office_locations - args.burst_locations
    all_rows, fills, notes = [], [], []
    for kind in [k.strip() for k in args.databases.split(",") if k.strip()]:
        rows = []  # this database's; sorted by measurement number below
        with report.fresh_database(kind, args.pg_url) as (url, info):
            env = report.app_env(url)
            instance = env["INSTANCE_PATH"]
            report.migrate(url, env)
            print(f"[{kind}] {n_total} locations x {args.days} days", flush=True)
            enrolled = enroll(
                url,
                instance,
                office_locations=args.office_locations,
                burst_locations=args.burst_locations,
                other_locations=n_other,
                devices_per_location=args.devices_per_location,
            )
            plan = bulkgen.Plan(
                locations=enrolled["locations"],
                devices=enrolled["devices"],
                first_day=first_day,
                days=args.days,
                per_open_day=args.per_open_day,
            )
            filled = bulkgen.fill(plan, kind, url, info, progress=lambda m: print(m, flush=True))
            t0 = time.perf_counter()
            commented = add_comments(kind, url, info)["comments"]
            spam = mark_spam(url, instance)
            analyze(kind, url)
            comments_s = time.perf_counter() - t0
            print(
                f"[{kind}] filled {filled['responses']:,} responses in {filled['total_s']:.0f} s; "
                f"{commented:,} comments, {spam:,} marked spam ({comments_s:.0f} s)",
                flush=True,
            )
            every = [loc["id"] for loc in enrolled["locations"]]
            office = [loc["id"] for loc in enrolled["measured"]]
            app = _app(url, instance)
            with app.app_context():
                from feedback.extensions import db
                from feedback.models import Office

                offices = list(db.session.query(Office))
                std_quarter = current_quarter(offices)
                db.session.remove()

            # 1. alerts on ingest
            print(f"[{kind}] alerts on ingest ...", flush=True)
            al = measure_alerts(
                url,
                instance,
                enrolled["others"][: args.ingest_locations],
                enrolled["burst"],
                args.ingest_pairs,
                seed=2026,
            )
            for label, key in (
                ("negative rating (burst rule quiet)", "negative"),
                ("negative rating during a burst (episode extended)", "burst"),
                ("positive rating", "positive"),
            ):
                if ("on", key) not in al:
                    continue
                on, off = al[("on", key)], al[("off", key)]
                rows.append(
                    [
                        kind,
                        f"1. POST /responses, {label}",
                        "alerts on",
                        _ms(on["median"]),
                        "alerts off",
                        _ms(off["median"]),
                        f"**{on['median'] / off['median']:.2f}**",
                        f"{on['n']} taps per side; queries/tap {on['queries']:g} vs {off['queries']:g}; "
                        f"p90 {_ms(on['p90'])} vs {_ms(off['p90'])} ms",
                    ]
                )
            stored = ", ".join(f"{k} {n}" for k, n in sorted(al["alerts"].items())) or "none"
            notes.append(
                f"{kind}: ingest sweeps took {al['took_s']:.0f} s; alerts stored at the end: "
                f"{stored} ({al['burst_alerts_extended']} burst alerts extended at least "
                f"once); suspect taps {al['problems']['suspect']}, waits for a kiosk's "
                f"{GAP_SECONDS:g} s gap {al['problems']['waits']}"
            )
            print(f"[{kind}] {rows[-3:]}", flush=True)

            # 2. A-11 per-response CSV vs responses CSV
            print(f"[{kind}] exports of {export_quarter} ...", flush=True)
            ex = measure_exports(app, every, export_quarter, args.export_runs)
            a_rows, a_chars = ex["a11"]["out"]
            r_rows, r_chars = ex["responses"]["out"]
            a_ms, r_ms = statistics.median(ex["a11"]["ms"]), statistics.median(ex["responses"]["ms"])
            rows.append(
                [
                    kind,
                    f"2. A-11 per-response CSV, {export_quarter}, every location",
                    f"{a_rows:,} rows: {a_rows / a_ms * 1000:,.0f} rows/s",
                    _ms(a_ms),
                    f"responses CSV, {r_rows:,} rows: {r_rows / r_ms * 1000:,.0f} rows/s",
                    _ms(r_ms),
                    f"**{(a_ms / a_rows) / (r_ms / r_rows):.2f}** (per row)",
                    f"rows/s {(a_rows / a_ms) / (r_rows / r_ms):.2f}x the responses CSV's; "
                    f"{args.export_runs} exports per side; {a_chars / 2**20:.1f} vs {r_chars / 2**20:.1f} MiB; "
                    f"queries {ex['a11']['queries']} vs {ex['responses']['queries']}",
                ]
            )
            print(f"[{kind}] {rows[-1]}", flush=True)

            # 3. quarterly collection vs summarize; 4. standards vs summarize; 6. inbox vs count
            checks = []
            for scope_name, ids in (("every location", every), ("measured office", office)):
                col = measure_collection(app, ids, export_quarter, args.runs, args.rounds)
                c, s = _stats(col["collection"]["ms"]), _stats(col["summarize"]["ms"])
                info_c = col["collection"]["out"]
                if scope_name == "every location":
                    checks.append(
                        f"collection respondents {info_c['respondents']:,} "
                        f"{'=' if info_c['respondents'] == a_rows else '!='} A-11 per-response rows "
                        f"{a_rows:,}"
                    )
                rows.append(
                    [
                        kind,
                        f"3. A-11 quarterly collection, {export_quarter}, {scope_name}",
                        f"collection + CSV ({info_c['rows']} rows)",
                        _ms(c["median"]),
                        "summarize()",
                        _ms(s["median"]),
                        f"**{c['median'] / s['median']:.2f}**",
                        f"queries {col['collection']['queries']} vs {col['summarize']['queries']}; "
                        f"p90 {_ms(c['p90'])} vs {_ms(s['p90'])} ms",
                    ]
                )
                print(f"[{kind}] {rows[-1]}", flush=True)
                st = measure_standards(app, ids, std_quarter, args.runs, args.rounds)
                c, s = _stats(st["standards"]["ms"]), _stats(st["summarize"]["ms"])
                if st["standards"]["out"] != st["summarize"]["out"]:
                    checks.append(
                        f"standards {scope_name}: {st['standards']['out']} responses vs summarize "
                        f"{st['summarize']['out']}"
                    )
                rows.append(
                    [
                        kind,
                        f"4. standards page data, {std_quarter} (current), {scope_name}",
                        "locations + standards.report()",
                        _ms(c["median"]),
                        "summarize(followups=False)",
                        _ms(s["median"]),
                        f"**{c['median'] / s['median']:.2f}**",
                        f"queries {st['standards']['queries']} vs {st['summarize']['queries']}; "
                        f"p90 {_ms(c['p90'])} vs {_ms(s['p90'])} ms",
                    ]
                )
                print(f"[{kind}] {rows[-1]}", flush=True)
                ib = measure_inbox(app, ids, args.runs, args.rounds)
                c, s = _stats(ib["inbox"]["ms"]), _stats(ib["count"]["ms"])
                counts = ib["inbox"]["out"]["counts"]
                rows.append(
                    [
                        kind,
                        f"6. comment inbox, first page (open), {scope_name}",
                        "comments.inbox()",
                        _ms(c["median"]),
                        f"count(*) of its {ib['count']['out']:,} comments",
                        _ms(s["median"]),
                        f"**{c['median'] / s['median']:.2f}**",
                        f"queries {ib['inbox']['queries']} vs {ib['count']['queries']}; tabs "
                        + ", ".join(f"{t} {n:,}" for t, n in counts.items()),
                    ]
                )
                print(f"[{kind}] {rows[-1]}", flush=True)
            _dispose(app)

            # 5. scoreboard
            sb = measure_scoreboard(url, instance, enrolled["office"]["slug"], args.runs * 2, args.rounds)
            c, u = _stats(sb["cached"]["ms"]), _stats(sb["uncached"]["ms"])
            rows.append(
                [
                    kind,
                    f"5. GET /scores/<office> ({args.office_locations} counters)",
                    "cached (300 s, warm)",
                    _ms(c["median"]),
                    "uncached (0 s)",
                    _ms(u["median"]),
                    f"**{c['median'] / u['median']:.2f}**",
                    f"queries {sb['cached']['queries']} vs {sb['uncached']['queries']}; "
                    f"{sb['cached']['bytes'] / 1024:.0f} KiB; p90 {_ms(c['p90'])} vs {_ms(u['p90'])} ms",
                ]
            )
            print(f"[{kind}] {rows[-1]}", flush=True)
            notes.append(f"{kind}: checks: " + ("; ".join(checks) if checks else "ok"))
            all_rows.extend(sorted(rows, key=lambda row: row[1].split(".", 1)[0]))
            fills.append(
                [
                    kind,
                    f"{filled['responses']:,}",
                    n_total,
                    f"{filled['response_hourly']:,}",
                    f"{filled['followup_daily']:,}",
                    f"{commented:,} ({spam:,} spam)",
                    f"{filled['total_s']:.0f} s (generate {filled['generate_s']:.0f}, "
                    f"write {filled['write_s']:.0f}, indexes {filled['index_s']:.0f}) + comments "
                    f"{comments_s:.0f} s",
                ]
            )
    settings = (
        f"bench/bulkgen.py data: {args.days} days ending yesterday, {args.per_open_day:g} responses per location "
        f"per open weekday on average (Mon-Fri 08:00-16:30 local), 15 % QR, 1 % suspect, 60 % with follow-ups; "
        f"~10 % of QR answers with a comment (30 % open / 50 % handled / 20 % archived, 5 % flagged), 2 % of the "
        f"comments marked spam with comments.act; the measured office: {args.office_locations} counters in "
        f"{report.ZONES[1]}, faces5, targets 75-90 %, public scoreboard; other offices {args.office_locations} "
        f"counters each in 6 time zones, faces5/faces4/thumbs, office target {OTHER_TARGET:.0%}; "
        f"{args.devices_per_location} kiosks per counter. Ingest: {args.ingest_locations} + {args.burst_locations} "
        f"burst counters per sweep, 3 warm-up + {args.ingest_pairs} timed sweep pairs (alerts on / off, order "
        f"alternating), a third negative, 60 % with follow-ups, no e-mail configured; services: in-process, "
        f"one warm-up + {args.runs} timed calls per case in {args.rounds} rounds (exports: "
        f"{args.export_runs} per side, alternating), rollback after each call; scoreboard: Flask test client, "
        f"{args.runs * 2} requests per side. PostgreSQL after VACUUM ANALYZE, SQLite as loaded (no ANALYZE)"
    )
    body = [
        "## Accountability features\n",
        report.header(
            "Accountability features: each against a baseline in the same run",
            "bench.accountability",
            started,
            settings,
        ),
        "",
        "Ratio = measured median / baseline median (time; for the exports, time per row). "
        "Below 1: cheaper than the baseline.\n",
        report.table(
            ["database", "what", "measured", "median ms", "baseline", "median ms", "ratio", "detail"], all_rows
        ),
        "",
        *[f"- {note}" for note in notes],
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
        report.write_section("accountability", text)


if __name__ == "__main__":
    main()

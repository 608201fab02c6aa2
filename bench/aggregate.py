"""Aggregation latency: feedback.services.aggregation.summarize at 1 M and 10 M stored responses.

For each database and size, a fresh database (SQLite file / PostgreSQL schema, migrated
with ``flask db upgrade``) is filled by bench/bulkgen.py with ~3 years of responses and
their rollup rows, over many locations in six time zones (each location has the same
traffic profile, so a bigger size means more locations, as a deployment grows). Then
summarize() runs for one location over its last full year, without grouping and grouped
by day / week / month / hour, one warm-up plus ``--runs`` timed calls each (median
reported); the calls are split in rounds that alternate between the sizes (both
databases exist until the end), so 10 M and 1 M are timed under the same noise. The first
location's data is identical at every size, so its results must be equal at 1 M and 10 M: that,
and a recount from ``responses``, checks the rollups.

The data is removed afterwards (SQLite file deleted, PostgreSQL schema dropped).
Results go to the ``aggregate`` section of docs/PERFORMANCE.md.

    .venv/bin/python -m bench.aggregate
    .venv/bin/python -m bench.aggregate --databases sqlite --sizes 100000 --runs 5 --no-write
"""

from __future__ import annotations

import argparse
import os
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from bench import bulkgen, report
from feedback.services.hours import WEEKDAY_HOURS

GROUPS = (None, "day", "week", "month", "hour")
SCALES_USED = ("faces5", "faces4", "thumbs")


def _summarize_runner(url: str):
    from feedback.app import create_app
    from feedback.config import normalize_database_url

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": normalize_database_url(url),
            "INSTANCE_PATH": report.instance_dir(),
            "SECRET_KEY": "bench-secret-key",
        }
    )


def measure(targets: list[tuple[str, int]], start: date, end: date, runs: int, rounds: int):
    """Time summarize() on every (database url, location id) in ``targets``, interleaved.

    One warm-up call per group, then ``rounds`` rounds; in each round every target gets
    ``runs / rounds`` calls per group, so the sizes share the machine's noise. Returns
    per target {group: {median, p90, max}} and per target the summaries (for the checks).
    """
    from feedback.extensions import db
    from feedback.services.aggregation import summarize

    apps = [_summarize_runner(url) for url, _loc in targets]
    per_round = max(1, -(-runs // rounds))
    times = [{g: [] for g in GROUPS} for _ in targets]
    results = [{} for _ in targets]
    for i, (app, (_url, loc_id)) in enumerate(zip(apps, targets, strict=True)):
        with app.app_context():
            for group in GROUPS:
                results[i][group] = summarize(db.session, [loc_id], start, end, group=group)  # warm-up
                db.session.rollback()
            results[i]["suspect"] = summarize(db.session, [loc_id], start, end, include_suspect=True)
            db.session.rollback()
    for r in range(rounds):
        order = list(range(len(targets)))
        order = order[r % len(order) :] + order[: r % len(order)]
        for i in order:
            loc_id = targets[i][1]
            with apps[i].app_context():
                for group in GROUPS:
                    for _ in range(per_round):
                        t0 = time.perf_counter()
                        summarize(db.session, [loc_id], start, end, group=group)
                        times[i][group].append((time.perf_counter() - t0) * 1000)
                        db.session.rollback()  # as at the end of a request
    out = []
    for i, app in enumerate(apps):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        stats = {}
        for group, ts in times[i].items():
            ts.sort()
            stats[group] = {
                "median": report.median(ts),
                "p90": ts[int(0.9 * (len(ts) - 1))],
                "max": ts[-1],
                "n": len(ts),
            }
        out.append(stats)
    return out, results


def verify(kind: str, url: str, info: dict, loc: dict, start: date, end: date, summary: dict) -> list[str]:
    """Recount the location's year from ``responses`` and compare with summarize(include_suspect=True)."""
    zone = ZoneInfo(loc["tz"])
    lo = datetime.combine(start, dtime(0), zone).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), dtime(0), zone).astimezone(UTC)
    if kind == "sqlite":
        import sqlite3

        conn = sqlite3.connect(info["path"])
        args = (
            loc["id"],
            lo.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds"),
            hi.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds"),
        )
        ph, as_text = "?", "followup_offered"
        chosen_text = "followup_chosen"
    else:
        import psycopg

        conn = psycopg.connect(url)
        args = (loc["id"], lo, hi)
        ph, as_text, chosen_text = "%s", "followup_offered::text", "followup_chosen::text"
    where = f"location_id = {ph} AND client_time >= {ph} AND client_time < {ph}"
    problems = []
    dist = dict(conn.execute(f"SELECT rating, count(*) FROM responses WHERE {where} GROUP BY rating", args).fetchall())
    total = summary["total"]
    points = len(next(iter(total["distribution"].values())))
    if [dist.get(r, 0) for r in range(1, points + 1)] != next(iter(total["distribution"].values())):
        problems.append(f"rating distribution differs: responses {dist} vs rollups {total['distribution']}")
    suspects = conn.execute(f"SELECT count(*) FROM responses WHERE {where} AND suspect", args).fetchone()[0]
    if suspects != total["suspect_count"]:
        problems.append(f"suspects differ: {suspects} vs {total['suspect_count']}")
    offered = conn.execute(f"SELECT count(*) FROM responses WHERE {where} AND {as_text} <> '[]'", args).fetchone()[0]
    fu = {}
    for side in summary["followups"].values():
        for item in side:
            fu.setdefault(item["choice"], [0, 0])
            fu[item["choice"]][0] += item["offered"]
            fu[item["choice"]][1] += item["chosen"]
    for choice, (off, cho) in fu.items():
        chosen = conn.execute(
            f"SELECT count(*) FROM responses WHERE {where} AND {chosen_text} LIKE {ph}", (*args, f'%"{choice}"%')
        ).fetchone()[0]
        if off != offered or cho != chosen:
            problems.append(f"follow-up {choice}: rollups {off}/{cho} vs responses {offered}/{chosen}")
    n_resp = conn.execute("SELECT count(*) FROM responses").fetchone()[0]
    n_roll = conn.execute("SELECT sum(n) FROM response_hourly").fetchone()[0]
    if n_resp != n_roll:
        problems.append(f"sum(response_hourly.n) {n_roll} != count(responses) {n_resp}")
    conn.close()
    return problems


def db_size(kind: str, url: str, info: dict) -> str:
    if kind == "sqlite":
        folder = info["folder"]
        return f"{sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder)) / 2**30:.1f} GiB"
    import psycopg

    with psycopg.connect(url) as conn:
        size = conn.execute(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'"
        ).fetchone()[0]
    return f"{size / 2**30:.1f} GiB"


def rollup_rows(kind, url, info, loc_id, start, end) -> int:
    if kind == "sqlite":
        import sqlite3

        conn = sqlite3.connect(info["path"])
        n = conn.execute(
            "SELECT count(*) FROM response_hourly WHERE location_id = ? AND local_date BETWEEN ? AND ?",
            (loc_id, start.isoformat(), end.isoformat()),
        ).fetchone()[0]
    else:
        import psycopg

        conn = psycopg.connect(url)
        n = conn.execute(
            "SELECT count(*) FROM response_hourly WHERE location_id = %s AND local_date BETWEEN %s AND %s",
            (loc_id, start, end),
        ).fetchone()[0]
    conn.close()
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--databases", default="sqlite,postgresql")
    ap.add_argument("--pg-url", default=report.DEFAULT_PG)
    ap.add_argument("--sizes", default="1000000,10000000", help="target stored responses, comma-separated")
    ap.add_argument("--runs", type=int, default=25, help="timed summarize calls per group (median reported)")
    ap.add_argument("--rounds", type=int, default=5, help="the runs are split in rounds, sizes interleaved")
    ap.add_argument("--days", type=int, default=1096, help="days of data, ending yesterday")
    ap.add_argument("--per-open-day", type=float, default=36.0, help="mean responses per location per open day")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if not (1 <= args.runs <= 200 and 1 <= args.rounds <= args.runs and max(sizes) <= 20_000_000):
        raise SystemExit("--runs 1..200 and sizes up to 20 M (every run is bounded)")
    started = time.time()
    today = datetime.now(UTC).date()
    first_day = today - timedelta(days=args.days)
    q_end = today - timedelta(days=1)
    q_start = q_end - timedelta(days=364)
    probe = bulkgen.Plan(
        locations=[{"tz": "America/New_York", "opening_hours": WEEKDAY_HOURS}],
        devices={},
        first_day=first_day,
        days=args.days,
        per_open_day=args.per_open_day,
    )
    per_location = bulkgen.expected_total(probe)
    rows, fills = [], []
    for kind in [k.strip() for k in args.databases.split(",") if k.strip()]:
        with ExitStack() as stack:
            built = []
            for size in sizes:
                n_loc = max(1, round(size / per_location))
                print(f"[{kind}] {size:,}: {n_loc} locations x {args.days} days", flush=True)
                url, info = stack.enter_context(report.fresh_database(kind, args.pg_url))
                env = report.app_env(url)
                report.migrate(url, env)
                enrolled = report.enroll(
                    url,
                    locations=n_loc,
                    devices_per_location=1,
                    instance=env["INSTANCE_PATH"],
                    survey_scales=SCALES_USED,
                )
                plan = bulkgen.Plan(
                    locations=enrolled["locations"],
                    devices={d["location_id"]: d["id"] for d in enrolled["devices"]},
                    first_day=first_day,
                    days=args.days,
                    per_open_day=args.per_open_day,
                )
                filled = bulkgen.fill(plan, kind, url, info, progress=lambda m: print(m, flush=True))
                size_text = db_size(kind, url, info)
                print(
                    f"[{kind}] filled {filled['responses']:,} responses in {filled['total_s']:.0f} s "
                    f"(generate {filled['generate_s']:.0f}, write {filled['write_s']:.0f}, "
                    f"indexes {filled['index_s']:.0f}); {size_text}",
                    flush=True,
                )
                loc = enrolled["locations"][0]
                built.append(
                    {
                        "size": size,
                        "url": url,
                        "info": info,
                        "loc": loc,
                        "n_loc": n_loc,
                        "filled": filled,
                        "size_text": size_text,
                        "read": rollup_rows(kind, url, info, loc["id"], q_start, q_end),
                    }
                )
            # every size is still there: time them interleaved, so they share the same noise
            timings, results = measure(
                [(b["url"], b["loc"]["id"]) for b in built], q_start, q_end, args.runs, args.rounds
            )
            for i, b in enumerate(built):
                problems = verify(kind, b["url"], b["info"], b["loc"], q_start, q_end, results[i]["suspect"])
                if i and results[i] != results[0]:
                    problems.append("the first location's summaries differ from the smallest size's")
                f = b["filled"]
                fills.append(
                    [
                        kind,
                        f"{f['responses']:,}",
                        b["n_loc"],
                        f"{f['response_hourly']:,}",
                        f"{f['followup_daily']:,}",
                        b["size_text"],
                        f"{f['total_s']:.0f} s (generate {f['generate_s']:.0f}, "
                        f"write {f['write_s']:.0f}, indexes {f['index_s']:.0f})",
                        "ok" if not problems else "; ".join(problems),
                    ]
                )
                print(
                    f"[{kind}] {b['size']:,}: "
                    + ", ".join(f"{g or 'none'} {t['median']:.1f} ms" for g, t in timings[i].items())
                    + f"; checks: {problems or 'ok'}",
                    flush=True,
                )
        for group in GROUPS:
            cells = [kind, group or "(none)"]
            for i in range(len(sizes)):
                t = timings[i][group]
                cells.append(f"{t['median']:.1f} (p90 {t['p90']:.1f})")
            if len(sizes) > 1:
                cells.append(f"{timings[-1][group]['median'] / timings[0][group]['median']:.2f}")
            worst = max(timings[i][group]["median"] for i in range(len(sizes)))
            cells.append("met" if worst < 50 else "NOT met")
            rows.append(cells)
        rows.append(
            [
                kind,
                "hourly rollup rows in the range",
                *[str(b["read"]) for b in built],
                *([""] if len(sizes) > 1 else []),
                "",
            ]
        )
    size_names = [f"{s / 1e6:g} M: median ms" for s in sizes]
    body = [
        report.header(
            "Aggregation: summarize() for one location over one year",
            "bench.aggregate",
            started,
            f"bench/bulkgen.py data: {args.days} days ending yesterday, {args.per_open_day:g} responses per location "
            f"per open weekday on average (Mon-Fri 08:00-16:30 local, demo hour/weekday weights), 15 % QR, "
            f"1 % suspect, 60 % with follow-ups, locations in 6 time zones with faces5/faces4/thumbs surveys, "
            f"more locations for more responses, heap in arrival order; query: first location, {q_start}..{q_end}, "
            f"one warm-up + {args.runs} timed calls per group ({args.rounds} rounds, the sizes interleaved while both "
            f"databases exist, so they share the machine's noise), session rolled back after each call (as a request "
            f"ends); PostgreSQL after VACUUM ANALYZE (what autovacuum does), SQLite as loaded (no ANALYZE)",
        ),
        "",
        report.table(
            [
                "database",
                "group",
                *size_names,
                *([f"{sizes[-1] / 1e6:g}M/{sizes[0] / 1e6:g}M ratio"] if len(sizes) > 1 else []),
                "goal < 50 ms",
            ],
            rows,
        ),
        "",
        "Data generated (per database and size; then deleted):\n",
        report.table(
            [
                "database",
                "responses",
                "locations",
                "response_hourly rows",
                "followup_daily rows",
                "size on disk",
                "fill time",
                "checks (recount from responses; equal results across sizes)",
            ],
            fills,
        ),
    ]
    text = "\n".join(body)
    print(text)
    if not args.no_write:
        report.write_section("aggregate", text)


if __name__ == "__main__":
    main()

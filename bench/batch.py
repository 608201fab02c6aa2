"""Batch ingest rate: POST /api/v1/responses/batch (500 items) against three baselines.

App path: the real app in-process through the Flask test client (one thread, no HTTP
server), each request a 500-item batch from one kiosk's offline queue (fresh UUIDs,
client times over the last hours), answered 201 with every item created. It does all
the app's work: JSON + marshmallow load, rule checks, replay lookup, repeat-tap query,
the insert, both rollup upserts, one commit, and the answer.

Baselines, in the same run: bench/bare_app.py (bare Flask, answers 201, writes nothing) and
bench/bare_insert_app.py (bare Flask + one SQLAlchemy Core ``executemany`` of the same rows
and one commit), both through the Flask test client with the same bodies; and the raw path:
the bare driver (sqlite3 / psycopg ``executemany``) inserting the same kind of rows (same
columns, same stored representation) into the same ``responses`` table, one commit per 500
rows, no validation, no rollups: the floor. Both writing baselines get their connection
from an engine with the app's options and connection hooks (SQLite: WAL, synchronous=FULL,
``BEGIN IMMEDIATE``), so a commit is as durable as the app's.

All four are interleaved in rounds on one fresh database (SQLite file / PostgreSQL
schema, migrated with ``flask db upgrade``), so they see the same table size and the
same noise; ratios are of medians. Results go to the ``batch`` section of docs/PERFORMANCE.md.

    .venv/bin/python -m bench.batch
    .venv/bin/python -m bench.batch --databases sqlite --rounds 1 --batches 2 --no-write
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import logging
import pstats
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

from bench import report

DRIVERS6 = ["effectiveness", "ease", "efficiency", "transparency", "humanity", "employee"]


def make_items(rng: random.Random, n: int, now: datetime) -> list[dict]:
    """One kiosk's offline queue: n taps over the last ~3 hours, oldest first."""
    start = now - timedelta(hours=3)
    times = sorted(start + timedelta(seconds=rng.uniform(0, 3 * 3600 - 60)) for _ in range(n))
    items = []
    for t in times:
        item = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "rating": rng.randint(1, 5),
            "language": "es" if rng.random() < 0.2 else "en",
            "client_time": t.isoformat(timespec="milliseconds"),
        }
        if rng.random() < 0.6:
            item["followup_offered"] = DRIVERS6
            item["followup_chosen"] = rng.sample(DRIVERS6, k=rng.choice((0, 1, 1, 2)))
        items.append(item)
    return items


def raw_rows(items: list[dict], device: dict, version_id: int, now: datetime, kind: str) -> list[tuple]:
    """The rows the app would store for ``items``, in the driver's own parameter types."""
    rows = []
    for it in items:
        ct = datetime.fromisoformat(it["client_time"]).astimezone(UTC)
        offered, chosen = it.get("followup_offered", []), it.get("followup_chosen", [])
        digest = hashlib.sha256(json.dumps(it, sort_keys=True).encode()).hexdigest()
        if kind == "sqlite":
            rows.append(
                (
                    uuid.UUID(it["id"]).hex,
                    device["location_id"],
                    version_id,
                    device["id"],
                    "kiosk",
                    it["rating"],
                    json.dumps(offered),
                    json.dumps(chosen),
                    it["language"],
                    ct.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds"),
                    now.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds"),
                    0,
                    digest,
                )
            )
        else:
            from psycopg.types.json import Json

            rows.append(
                (
                    uuid.UUID(it["id"]),
                    device["location_id"],
                    version_id,
                    device["id"],
                    "kiosk",
                    it["rating"],
                    Json(offered),
                    Json(chosen),
                    it["language"],
                    ct,
                    now,
                    False,
                    digest,
                )
            )
    return rows


INSERT = (
    "INSERT INTO responses (id, location_id, survey_version_id, device_id, channel, rating, "
    "followup_offered, followup_chosen, language, client_time, received_at, suspect, payload_hash) "
    "VALUES ({})"
)


class Raw:
    """The bare driver, its connection opened by an engine with the app's options and connection
    hooks (``feedback.database``: on SQLite WAL, synchronous=FULL, foreign keys, busy timeout)."""

    def __init__(self, kind: str, url: str):
        import sqlalchemy as sa

        from feedback import database
        from feedback.config import load_config, normalize_database_url

        self.kind = kind
        uri = normalize_database_url(url)
        self.engine = sa.create_engine(uri, **database.engine_options(uri, load_config()))
        self.proxy = self.engine.raw_connection()
        self.conn = self.proxy.driver_connection
        if kind == "sqlite":
            assert self.conn.execute("PRAGMA synchronous").fetchone()[0] == 2, "the app's hooks set FULL"
        self.sql = INSERT.format(", ".join(["?" if kind == "sqlite" else "%s"] * 13))

    def store(self, rows: list[tuple]) -> None:
        if self.kind == "sqlite":
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany(self.sql, rows)
            self.conn.execute("COMMIT")
        else:
            with self.conn.cursor() as cur:
                cur.executemany(self.sql, rows)
            self.conn.commit()

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        self.proxy.close()
        self.engine.dispose()


WATCH = [
    ("device auth", "kiosks.py", "authenticate"),
    ("JSON + marshmallow load (500 items)", "http.py", "load_json"),
    ("payload_hash x500", "ingest.py", "payload_hash"),
    ("rule checks", "ingest_rules.py", "check_rules"),
    ("_store (the write transaction)", "ingest.py", "_store"),
    ("  repeat-tap flags + bisect", "repeat_taps.py", "repeat_taps"),
    ("  insert + rollups (store_rows)", "ingest.py", "store_rows"),
    ("    rollups.apply", "rollups.py", "apply"),
    ("  commit", "scoping.py", "commit"),
    ("StoredResponse values for the answer", "announce.py", "of"),
    ("BatchOutSchema.dump + jsonify", "api.py", "post_batch"),
]


def _line_of(marker: str) -> int | None:
    import inspect

    from feedback.services import ingest

    for no, text in enumerate(inspect.getsource(ingest).splitlines(), 1):
        if text.strip().startswith(marker):
            return no
    return None


SIDES = ("app", "bare", "insert", "raw")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--databases", default="sqlite,postgresql")
    ap.add_argument("--pg-url", default=report.DEFAULT_PG)
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument("--batches", type=int, default=10, help="batches per side per round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if not (1 <= args.batches <= 200 and 1 <= args.rounds <= 20 and 1 <= args.batch_size <= 500):
        raise SystemExit("--batches 1..200, --rounds 1..20, --batch-size 1..500 (every run is bounded)")
    started = time.time()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    rng = random.Random(2026)
    results = {}
    for kind in [k.strip() for k in args.databases.split(",") if k.strip()]:
        with report.fresh_database(kind, args.pg_url) as (url, _info):
            env = report.app_env(url)
            report.migrate(url, env)
            enrolled = report.enroll(url, locations=16, devices_per_location=4, instance=env["INSTANCE_PATH"])
            version_id = enrolled["locations"][0]["version_id"]
            devices = enrolled["devices"]
            from bench import bare_insert_app
            from bench.bare_app import app as bare
            from feedback.app import create_app
            from feedback.config import normalize_database_url
            from feedback.extensions import db

            app = create_app(
                {
                    "SQLALCHEMY_DATABASE_URI": normalize_database_url(url),
                    "INSTANCE_PATH": env["INSTANCE_PATH"],
                    "SECRET_KEY": "bench-secret-key",
                }
            )
            insert_app = bare_insert_app.create(
                url, {d["token"]: (d["id"], d["location_id"], version_id) for d in devices}
            )
            clients = {"app": app.test_client(), "bare": bare.test_client(), "insert": insert_app.test_client()}
            raw = Raw(kind, url)
            rates: dict[str, list[float]] = {side: [] for side in SIDES}
            k = 0
            prof = cProfile.Profile()

            # This database's devices and survey, bound now (the loop moves on to the next database).
            def http_batches(n, devices=devices):
                nonlocal k
                out = []
                for _ in range(n):
                    dev = devices[k % len(devices)]
                    k += 1
                    body = json.dumps({"responses": make_items(rng, args.batch_size, datetime.now(UTC))})
                    out.append((body, {"Authorization": f"Bearer {dev['token']}", "Content-Type": "application/json"}))
                return out

            def raw_batches(n, devices=devices, version_id=version_id, kind=kind):
                nonlocal k
                out = []
                for _ in range(n):
                    dev = devices[k % len(devices)]
                    k += 1
                    now = datetime.now(UTC)
                    out.append(raw_rows(make_items(rng, args.batch_size, now), dev, version_id, now, kind))
                return out

            def run_http(side: str, reqs: list, clients=clients) -> float:
                t0 = time.perf_counter()
                for body, headers in reqs:
                    resp = clients[side].post("/api/v1/responses/batch", data=body, headers=headers)
                    if resp.status_code != 201 or (side != "bare" and resp.get_json()["created"] != args.batch_size):
                        raise RuntimeError(
                            f"{side}: batch refused: {resp.status_code} {resp.get_data(as_text=True)[:500]}"
                        )
                return time.perf_counter() - t0

            def run_raw(batches: list, raw=raw) -> float:
                t0 = time.perf_counter()
                for batch in batches:
                    raw.store(batch)
                return time.perf_counter() - t0

            # warm-up: one of each, not timed
            for side in ("app", "bare", "insert"):
                run_http(side, http_batches(1))
            run_raw(raw_batches(1))
            for r in range(args.rounds):
                order = SIDES[r % len(SIDES) :] + SIDES[: r % len(SIDES)]
                for side in order:
                    if side == "raw":
                        dt = run_raw(raw_batches(args.batches))
                    else:
                        dt = run_http(side, http_batches(args.batches))
                    rates[side].append(args.batches * args.batch_size / dt)
                print(
                    f"[{kind}] round {r + 1}: " + ", ".join(f"{side} {rates[side][-1]:.0f}/s" for side in SIDES),
                    flush=True,
                )
            # one extra, untimed round of the app under cProfile
            reqs = http_batches(args.batches)
            prof.enable()
            run_http("app", reqs)
            prof.disable()
            total_rows = raw.count()
            raw.close()
            insert_app.config["BENCH_ENGINE"].dispose()
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            stats = pstats.Stats(prof).stats
            total = sum(v[2] for v in stats.values()) or 1
            watched = []
            for label, fname, func in WATCH:
                line = None
                if ":" in func:  # a comprehension, told apart by the source line it starts on
                    func, marker = func.split(":", 1)
                    line = _line_of(marker)
                ct = sum(
                    v[3]
                    for kk, v in stats.items()
                    if kk[0].endswith("/" + fname) and kk[2] == func and (line is None or kk[1] == line)
                )
                if func == "post_batch":
                    ct = sum(
                        v[3] for kk, v in stats.items() if kk[0].endswith("marshmallow/schema.py") and kk[2] == "dump"
                    ) + sum(v[3] for kk, v in stats.items() if kk[2] == "jsonify")
                watched.append((label, ct / total))
            results[kind] = {"rates": rates, "rows": total_rows, "watched": watched}

    rows, ratios = [], []
    for kind, res in results.items():
        med = {side: report.median(res["rates"][side]) for side in SIDES}
        for side, label in (
            ("bare", "bare Flask (answers 201, writes nothing)"),
            ("insert", "bare Flask + one executemany, one commit"),
            ("raw", "raw driver executemany, one commit"),
            ("app", "**app**"),
        ):
            rows.append([kind, label, f"{med[side]:,.0f}", " / ".join(f"{x:,.0f}" for x in res["rates"][side])])
        to_raw = med["app"] / med["raw"]
        ratios.append(
            [
                kind,
                f"{med['app'] / med['bare']:.3f}",
                f"{med['app'] / med['insert']:.2f}",
                f"**{to_raw:.2f}** ({'met' if to_raw >= 0.5 else 'NOT met'})",
                f"{res['rows']:,}",
            ]
        )
    body = [
        report.header(
            "Batch ingest: POST /responses/batch vs bare Flask, bare Flask + executemany, raw driver executemany",
            "bench.batch",
            started,
            f"{args.batch_size} items per batch (one kiosk's queue over the last 3 h, 60 % with follow-ups); "
            f"app, bare Flask and bare Flask + executemany (bench/bare_insert_app.py, SQLAlchemy Core) via the "
            f"Flask test client in-process (one thread, no HTTP server); raw = sqlite3 / psycopg executemany of "
            f"the same columns into the same table, one commit per batch; both writing baselines with the app's "
            f"engine options and connection hooks (SQLite WAL, synchronous=FULL, BEGIN IMMEDIATE; PostgreSQL "
            f"synchronous_commit=on); {args.rounds} rounds x {args.batches} batches per side, interleaved "
            f"(order rotated each round); fresh SQLite file / PostgreSQL schema",
        ),
        "",
        report.table(["database", "path", "responses/s (median)", "per round"], rows),
        "",
        "Ratios of medians:\n",
        report.table(
            ["database", "app / bare Flask", "app / (bare Flask + executemany)", "app / raw (goal >= 0.5)", "rows"],
            ratios,
        ),
        "",
        "Where a batch request's time goes (cProfile of one extra round of the app, inclusive share):\n",
        report.table(
            ["", *results],
            [
                [f"`{label}`", *[f"{res['watched'][i][1] * 100:.0f} %" for res in results.values()]]
                for i, (label, _f, _fn) in enumerate(WATCH)
            ],
        ),
    ]
    text = "\n".join(body)
    print(text)
    if not args.no_write:
        report.write_section("batch", text)


if __name__ == "__main__":
    main()

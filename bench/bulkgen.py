"""Bulk generator: fill ``responses`` and both rollup tables consistently, fast.

Rows are made with numpy, one chunk of days at a time (memory stays bounded), for every
location in that chunk, then sorted by client time so the heap is in arrival order as
with real ingest (a location's rows are interleaved with every other location's). The
rollup rows of a chunk are computed from the same arrays with the keys and rules of
feedback.services.rollups (HOURLY_KEY / FOLLOWUP_KEY, local date and hour in the
office's IANA zone, polarity from feedback.scales), and written with it.

Each location's data depends only on (seed, location index, chunk), so the first
locations hold the very same responses whatever the total size.

Fast paths: SQLite ``executemany`` with one commit per chunk, secondary indexes dropped
during the load and rebuilt after, journal off and a large page cache while loading;
PostgreSQL ``COPY FROM STDIN`` with the three tables' indexes and constraints dropped
during the load and re-created after (same names and definitions), then VACUUM ANALYZE
(which autovacuum would do on a live database).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import numpy as np

from feedback.models.rollups import RATING_COLUMNS
from feedback.scales import SCALES, polarity
from feedback.services.rollups import FOLLOWUP_ADD, FOLLOWUP_KEY, HOURLY_ADD, HOURLY_KEY, LANGUAGE_KEY

TABLES = ("responses", "response_hourly", "followup_daily", "language_daily")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_WEIGHT = np.array([1.3, 1.0, 0.9, 1.0, 1.1, 0.6, 0.0])
HOUR_WEIGHT = {8: 0.6, 9: 1.0, 10: 1.3, 11: 1.2, 12: 0.7, 13: 0.9, 14: 1.2, 15: 1.0, 16: 0.6}
US = 1_000_000
DAY_US = 86_400 * US
RESPONSE_COLUMNS = (
    "id",
    "location_id",
    "survey_version_id",
    "device_id",
    "channel",
    "rating",
    "followup_offered",
    "followup_chosen",
    "language",
    "client_time",
    "received_at",
    "suspect",
    "payload_hash",
)
HOURLY_COLUMNS = (*HOURLY_KEY, "weekday", *HOURLY_ADD)
FOLLOWUP_COLUMNS = (*FOLLOWUP_KEY, *FOLLOWUP_ADD)
LANGUAGE_COLUMNS = (*LANGUAGE_KEY, "n")
CHANNELS = ("kiosk", "qr")


def opening_slots(hours: dict) -> dict[int, list[tuple[int, int]]]:
    """weekday -> [(local hour, open microseconds in that hour)] from an office's opening hours."""
    out = {}
    for wd, name in enumerate(WEEKDAYS):
        slots: dict[int, int] = {}
        for start, end in hours.get(name, []):
            a = datetime.combine(date(2000, 1, 1), dtime.fromisoformat(start))
            b = datetime.combine(date(2000, 1, 1), dtime.fromisoformat(end))
            while a < b:
                nxt = min(b, a.replace(minute=0, second=0) + timedelta(hours=1))
                slots[a.hour] = slots.get(a.hour, 0) + int((nxt - a).total_seconds()) * US
                a = nxt
        out[wd] = sorted(slots.items())
    return out


@dataclass
class Plan:
    locations: list[dict]  # from bench.report.enroll: id, tz, version_id, scale, followup_choices, opening_hours
    devices: dict[int, int]  # location id -> kiosk device id
    first_day: date
    days: int  # local dates first_day .. first_day + days - 1
    per_open_day: float  # mean responses per location per (weekday-weighted) open day
    seed: int = 2026
    chunk_days: int = 14


def expected_total(plan: Plan) -> int:
    """Expected number of responses (for choosing sizes)."""
    total = 0.0
    for loc in plan.locations:
        slots = opening_slots(loc["opening_hours"])
        for d in range(plan.days):
            wd = (plan.first_day + timedelta(days=d)).weekday()
            if slots[wd]:
                total += plan.per_open_day * WEEKDAY_WEIGHT[wd]
    return int(total)


def _offsets(tz: str, first: date, days: int) -> np.ndarray:
    """UTC offset (microseconds) of each local date at noon; opening hours never straddle a DST change."""
    zone = ZoneInfo(tz)
    return np.array(
        [
            int(datetime.combine(first + timedelta(days=d), dtime(12), zone).utcoffset().total_seconds()) * US
            for d in range(days)
        ],
        dtype=np.int64,
    )


def _generate_location(plan: Plan, li: int, loc: dict, d0: int, d1: int, offsets, slots) -> dict | None:
    rng = np.random.default_rng([plan.seed, li, d0])
    first_ord = plan.first_day.toordinal()
    open_days = []
    for d in range(d0, d1):
        wd = date.fromordinal(first_ord + d).weekday()
        if slots[wd]:
            open_days.append((d, wd))
    if not open_days:
        return None
    lam = np.array([plan.per_open_day * WEEKDAY_WEIGHT[wd] for _d, wd in open_days])
    counts = rng.poisson(lam)
    n = int(counts.sum())
    if n == 0:
        return None
    day = np.repeat(np.array([d for d, _ in open_days], dtype=np.int64), counts)
    wday = np.repeat(np.array([wd for _, wd in open_days], dtype=np.int64), counts)
    # hour within the day's opening slots, weighted like the demo's visitor pattern
    hour = np.empty(n, dtype=np.int64)
    span = np.empty(n, dtype=np.int64)
    for wd in np.unique(wday):
        mask = wday == wd
        hs = np.array([h for h, _ in slots[wd]])
        us = np.array([u for _, u in slots[wd]])
        p = np.array([HOUR_WEIGHT.get(h, 0.5) * u for h, u in slots[wd]], dtype=float)
        pick = rng.choice(len(hs), size=int(mask.sum()), p=p / p.sum())
        hour[mask], span[mask] = hs[pick], us[pick]
    # local wall-clock microseconds since 1970 (naive), then UTC with that date's offset
    local_day_us = (np.int64(first_ord - date(1970, 1, 1).toordinal()) + day) * DAY_US
    start_in_hour = np.zeros(n, dtype=np.int64)
    # a partial first hour (e.g. opening at 08:30) starts later in the hour; a partial last hour ends early
    for wd in np.unique(wday):
        spans_wd = slots[wd]
        first_h, first_u = spans_wd[0]
        mask = (wday == wd) & (hour == first_h)
        start_in_hour[mask] = 3600 * US - first_u
    within = start_in_hour + (rng.random(n) * span).astype(np.int64)
    client = local_day_us + hour * 3600 * US + within - offsets[day]
    scale = SCALES[loc["scale"]]
    mood = loc["quality"] - 0.7 * (hour == 12) - 0.3 * (wday == 0)
    score = rng.normal(0.78 + 0.12 * mood, 0.22)
    rating = np.clip(1 + np.rint(score * (scale.points - 1)), 1, scale.points).astype(np.int64)
    qr = rng.random(n) < 0.15
    suspect = (~qr) & (rng.random(n) < 0.01)
    nchoices = len(loc["followup_choices"])
    offered = (rng.random(n) < 0.6) if nchoices else np.zeros(n, dtype=bool)
    k = rng.choice(np.array([0, 1, 1, 2]), size=n)
    a = rng.integers(0, max(nchoices, 1), size=n)
    b = (a + 1 + rng.integers(0, max(nchoices - 1, 1), size=n)) % max(nchoices, 1)
    chosen = np.where(k >= 1, 1 << a, 0) | np.where(k == 2, 1 << b, 0)
    chosen = np.where(offered, chosen, 0)
    spanish = rng.random(n) < 0.2
    received = client + rng.integers(0, 5 * US, size=n)
    return {
        "loc": np.full(n, li, dtype=np.int64),
        "day": day,
        "wday": wday,
        "hour": hour,
        "client": client,
        "received": received,
        "rating": rating,
        "qr": qr,
        "suspect": suspect,
        "offered": offered,
        "chosen": chosen,
        "spanish": spanish,
        "positive": rating >= scale.positive_from,
    }


def _chunk(plan: Plan, d0: int, d1: int, offsets: dict, slots: dict) -> dict | None:
    parts = [
        p
        for li, loc in enumerate(plan.locations)
        if (p := _generate_location(plan, li, loc, d0, d1, offsets[loc["tz"]], slots[loc["tz"]])) is not None
    ]
    if not parts:
        return None
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.argsort(cols["client"], kind="stable")  # arrival order, as real ingest writes them
    return {k: v[order] for k, v in cols.items()}


def _rollups(plan: Plan, c: dict):
    """Rows of response_hourly, followup_daily and language_daily for one chunk (every local date in it
    is complete)."""
    nd = plan.days
    ch = c["qr"].astype(np.int64)
    sus = c["suspect"].astype(np.int64)
    key = (((c["loc"] * nd + c["day"]) * 24 + c["hour"]) * 2 + ch) * 2 + sus
    u, inv = np.unique(key, return_inverse=True)
    n = np.bincount(inv, minlength=len(u))
    rsum = np.bincount(inv, weights=c["rating"], minlength=len(u)).astype(np.int64)
    per_rating = [
        np.bincount(inv, weights=(c["rating"] == r), minlength=len(u)).astype(np.int64)
        for r in range(1, len(RATING_COLUMNS) + 1)
    ]
    s_, rest = u % 2, u // 2
    c_, rest = rest % 2, rest // 2
    h_, rest = rest % 24, rest // 24
    d_, l_ = rest % nd, rest // nd
    first_ord = plan.first_day.toordinal()
    hourly = []
    for i in range(len(u)):
        loc = plan.locations[l_[i]]
        day = date.fromordinal(first_ord + int(d_[i]))
        hourly.append(
            (
                loc["id"],
                day,
                int(h_[i]),
                CHANNELS[c_[i]],
                loc["scale"],
                bool(s_[i]),
                day.weekday(),
                int(n[i]),
                int(rsum[i]),
                *(int(x[i]) for x in per_rating),
            )
        )
    followups = []
    m = c["offered"]
    if m.any():
        pol = c["positive"][m].astype(np.int64)
        fkey = ((((c["loc"][m] * nd + c["day"][m]) * 2 + ch[m]) * 2 + sus[m]) * 2) + pol
        fu, finv = np.unique(fkey, return_inverse=True)
        offered = np.bincount(finv, minlength=len(fu))
        chosen_bits = c["chosen"][m]
        p_, rest = fu % 2, fu // 2
        s2, rest = rest % 2, rest // 2
        c2, rest = rest % 2, rest // 2
        d2, l2 = rest % nd, rest // nd
        for j in range(max(len(loc["followup_choices"]) for loc in plan.locations)):
            chosen = np.bincount(finv, weights=(chosen_bits >> j) & 1, minlength=len(fu)).astype(np.int64)
            for i in range(len(fu)):
                loc = plan.locations[l2[i]]
                if j >= len(loc["followup_choices"]):
                    continue
                side = polarity(SCALES[loc["scale"]], SCALES[loc["scale"]].positive_from if p_[i] else 1)
                followups.append(
                    (
                        loc["id"],
                        date.fromordinal(first_ord + int(d2[i])),
                        CHANNELS[c2[i]],
                        bool(s2[i]),
                        side,
                        loc["followup_choices"][j],
                        int(offered[i]),
                        int(chosen[i]),
                    )
                )
    lkey = (((c["loc"] * nd + c["day"]) * 2 + ch) * 2 + sus) * 2 + c["spanish"].astype(np.int64)
    lu, lcount = np.unique(lkey, return_counts=True)
    languages = []
    for k, count in zip(lu.tolist(), lcount.tolist(), strict=True):
        spanish, rest = k % 2, k // 2
        s3, rest = rest % 2, rest // 2
        c3, rest = rest % 2, rest // 2
        d3, l3 = rest % nd, rest // nd
        day = date.fromordinal(first_ord + d3)
        languages.append((plan.locations[l3]["id"], day, CHANNELS[c3], bool(s3), "es" if spanish else "en", count))
    return hourly, followups, languages


def _hex_column(rng: np.random.Generator, n: int, nbytes: int, uuid4: bool = False) -> list[str]:
    raw = rng.integers(0, 256, size=(n, nbytes), dtype=np.uint8)
    if uuid4:
        raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
        raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    h = raw.tobytes().hex()
    w = 2 * nbytes
    return [h[i : i + w] for i in range(0, len(h), w)]


def _response_columns(plan: Plan, c: dict, rng: np.random.Generator, kind: str):
    n = len(c["client"])
    ids = _hex_column(rng, n, 16, uuid4=True)
    hashes = _hex_column(rng, n, 32)
    suffix = "+00" if kind == "postgresql" else ""
    ct = [
        s.replace("T", " ") + suffix
        for s in np.datetime_as_string(c["client"].astype("datetime64[us]"), unit="us").tolist()
    ]
    rt = [
        s.replace("T", " ") + suffix
        for s in np.datetime_as_string(c["received"].astype("datetime64[us]"), unit="us").tolist()
    ]
    locs = plan.locations
    loc_id = [locs[i]["id"] for i in c["loc"].tolist()]
    version = [locs[i]["version_id"] for i in c["loc"].tolist()]
    qr = c["qr"].tolist()
    device = [None if q else plan.devices[lid] for q, lid in zip(qr, loc_id, strict=True)]
    channel = [CHANNELS[q] for q in qr]
    # JSON text of the lists, as SQLAlchemy's JSON type writes them (json.dumps)
    offered_json, chosen_json = [], []
    cache: dict = {}
    for li, off, bits in zip(c["loc"].tolist(), c["offered"].tolist(), c["chosen"].tolist(), strict=True):
        key = (li, off, bits)
        got = cache.get(key)
        if got is None:
            choices = locs[li]["followup_choices"]
            got = (
                json.dumps(list(choices) if off else []),
                json.dumps([ch for j, ch in enumerate(choices) if bits >> j & 1]),
            )
            cache[key] = got
        offered_json.append(got[0])
        chosen_json.append(got[1])
    language = ["es" if s else "en" for s in c["spanish"].tolist()]
    suspect = c["suspect"].tolist()
    return (
        ids,
        loc_id,
        version,
        device,
        channel,
        c["rating"].tolist(),
        offered_json,
        chosen_json,
        language,
        ct,
        rt,
        suspect,
        hashes,
    )


# ---------------------------------------------------------------- writers


class SqliteWriter:
    def __init__(self, path: str):
        import sqlite3

        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=OFF")  # load only: no rollback journal, no WAL
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA cache_size=-3000000")  # 3 GB page cache for the random-key inserts
        self.conn.execute("PRAGMA temp_store=MEMORY")
        self.indexes = self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({', '.join('?' * len(TABLES))})",
            TABLES,
        ).fetchall()
        for name, _sql in self.indexes:
            self.conn.execute(f'DROP INDEX "{name}"')

    def write(self, responses, hourly, followups, languages) -> None:
        rows = list(zip(*responses, strict=True))
        rows = [(*r[:11], int(r[11]), r[12]) for r in rows]
        self.conn.execute("BEGIN")
        self.conn.executemany(
            f"INSERT INTO responses ({', '.join(RESPONSE_COLUMNS)}) VALUES ({', '.join('?' * len(RESPONSE_COLUMNS))})",
            rows,
        )
        self.conn.executemany(
            f"INSERT INTO response_hourly ({', '.join(HOURLY_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(HOURLY_COLUMNS))})",
            [(r[0], r[1].isoformat(), *r[2:5], int(r[5]), *r[6:]) for r in hourly],
        )
        self.conn.executemany(
            f"INSERT INTO followup_daily ({', '.join(FOLLOWUP_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(FOLLOWUP_COLUMNS))})",
            [(r[0], r[1].isoformat(), r[2], int(r[3]), *r[4:]) for r in followups],
        )
        self.conn.executemany(
            f"INSERT INTO language_daily ({', '.join(LANGUAGE_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(LANGUAGE_COLUMNS))})",
            [(r[0], r[1].isoformat(), r[2], int(r[3]), *r[4:]) for r in languages],
        )
        self.conn.execute("COMMIT")

    def finish(self) -> None:
        for _name, sql in self.indexes:
            self.conn.execute(sql)
        self.conn.execute("PRAGMA journal_mode=WAL")  # back to what the app expects
        self.conn.close()


class PostgresWriter:
    def __init__(self, url: str):
        import psycopg

        self.conn = psycopg.connect(url)
        self.conn.execute("SET synchronous_commit = off")
        self.conn.execute("SET maintenance_work_mem = '1GB'")
        self.saved = []  # (table, kind, name, definition), in re-creation order
        for table in TABLES:
            cons = self.conn.execute(
                "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass ORDER BY contype DESC",
                (table,),
            ).fetchall()
            idx = self.conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
                (table, table),
            ).fetchall()
            for name, contype, definition in cons:
                if contype in ("p", "u", "f"):
                    self.saved.append((table, contype, name, definition))
            for name, definition in idx:
                self.saved.append((table, "i", name, definition))
            # Other tables' foreign keys to this one (comment_cases -> responses) hang on its
            # primary key: dropped with it, and made again after it.
            refs = self.conn.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'f' AND confrelid = %s::regclass AND conrelid <> %s::regclass",
                (table, table),
            ).fetchall()
            for other, name, definition in refs:
                saved = (other.strip('"'), "f", name, definition)
                if saved not in self.saved:
                    self.saved.append(saved)
        for table, kind, name, _d in sorted(self.saved, key=lambda s: s[1] != "f"):  # foreign keys first
            if kind == "i":
                self.conn.execute(f'DROP INDEX "{name}"')
            else:
                self.conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        self.conn.commit()

    def _copy(self, table, columns, lines) -> None:
        with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for i in range(0, len(lines), 20000):
                copy.write("".join(lines[i : i + 20000]))

    def write(self, responses, hourly, followups, languages) -> None:
        null = "\\N"
        lines = [
            f"{i}\t{loc}\t{v}\t{null if d is None else d}\t{ch}\t{r}\t{o}\t{c}\t{lang}\t{ct}\t{rt}\t"
            f"{'t' if s else 'f'}\t{h}\n"
            for i, loc, v, d, ch, r, o, c, lang, ct, rt, s, h in zip(*responses, strict=True)
        ]
        self._copy("responses", RESPONSE_COLUMNS, lines)
        self._copy(
            "response_hourly",
            HOURLY_COLUMNS,
            ["\t".join(("t" if x is True else "f" if x is False else str(x)) for x in r) + "\n" for r in hourly],
        )
        self._copy(
            "followup_daily",
            FOLLOWUP_COLUMNS,
            ["\t".join(("t" if x is True else "f" if x is False else str(x)) for x in r) + "\n" for r in followups],
        )
        self._copy(
            "language_daily",
            LANGUAGE_COLUMNS,
            ["\t".join(("t" if x is True else "f" if x is False else str(x)) for x in r) + "\n" for r in languages],
        )
        self.conn.commit()

    def finish(self) -> None:
        order = {"p": 0, "u": 1, "i": 2, "f": 3}
        for table, kind, name, definition in sorted(self.saved, key=lambda s: order[s[1]]):
            if kind == "i":
                self.conn.execute(definition)
            else:
                self.conn.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        self.conn.commit()
        self.conn.autocommit = True
        for table in TABLES:
            self.conn.execute(f"VACUUM ANALYZE {table}")
        self.conn.close()


def fill(plan: Plan, kind: str, url: str, info: dict, progress=print) -> dict:
    """Generate and store every response and rollup row of ``plan``; returns counts and timings."""
    started = time.perf_counter()
    for li, loc in enumerate(plan.locations):
        loc.setdefault("quality", ((li * 0.37) % 1.5) - 0.75)
    offsets = {tz: _offsets(tz, plan.first_day, plan.days) for tz in {loc["tz"] for loc in plan.locations}}
    slots = {loc["tz"]: opening_slots(loc["opening_hours"]) for loc in plan.locations}
    writer = SqliteWriter(info["path"]) if kind == "sqlite" else PostgresWriter(url)
    totals = {"responses": 0, "response_hourly": 0, "followup_daily": 0, "language_daily": 0}
    gen_s = write_s = 0.0
    rng = np.random.default_rng([plan.seed, 999])
    for d0 in range(0, plan.days, plan.chunk_days):
        t0 = time.perf_counter()
        c = _chunk(plan, d0, min(plan.days, d0 + plan.chunk_days), offsets, slots)
        if c is None:
            continue
        hourly, followups, languages = _rollups(plan, c)
        responses = _response_columns(plan, c, rng, kind)
        t1 = time.perf_counter()
        writer.write(responses, hourly, followups, languages)
        t2 = time.perf_counter()
        gen_s += t1 - t0
        write_s += t2 - t1
        totals["responses"] += len(c["client"])
        totals["response_hourly"] += len(hourly)
        totals["followup_daily"] += len(followups)
        totals["language_daily"] += len(languages)
        if progress and (d0 // plan.chunk_days) % 10 == 0:
            progress(
                f"  day {d0 + plan.chunk_days}/{plan.days}: {totals['responses']:,} responses "
                f"({time.perf_counter() - started:.0f} s)"
            )
    t0 = time.perf_counter()
    writer.finish()
    index_s = time.perf_counter() - t0
    return {
        **totals,
        "generate_s": gen_s,
        "write_s": write_s,
        "index_s": index_s,
        "total_s": time.perf_counter() - started,
    }

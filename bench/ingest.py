"""Single-response ingest throughput: the real app under gunicorn against two baselines.

Baselines: bench/bare_app.py (bare Flask, answers 201, writes nothing) and
bench/bare_insert_app.py (bare Flask + one durable insert of the same row, SQLAlchemy Core,
the app's engine options and connection hooks, committed before the 201). All servers use
gunicorn.conf.py unchanged (workers, threads, gthread worker class, access log), the same
environment, and are driven by the same wrk load generator and Lua script
(bench/kiosks.lua): concurrent kiosks, each request a new valid response with a fresh UUID
and the current client_time, spread round-robin over the enrolled devices.

Per database (a fresh SQLite file and a fresh PostgreSQL schema, each migrated with
``flask --app feedback.app db upgrade`` and enrolled with the services) the insert baseline
and the app write into the same table. Measurements are interleaved (rotating the order
each round) so the noise of this shared machine falls on all; ratios are of medians.
CPU per request: the server's own processes (gunicorn master and workers, plus the
PostgreSQL backends of its schema), and the whole machine's (with wrk and anything else).

Afterwards an in-process look (Flask test client, one thread, cProfile) says where a
request's time goes and counts statements, transactions and pool checkouts per tap.
Results go to the ``ingest`` section of docs/PERFORMANCE.md.

    .venv/bin/python -m bench.ingest               # both databases, ~5 minutes
    .venv/bin/python -m bench.ingest --databases sqlite --rounds 1 --duration 5 --no-write
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from bench import report

LUA = Path(__file__).with_name("kiosks.lua")
OUT = report.ROOT / "bench" / "out"


class Server:
    """One gunicorn master started by this script (its own session, so it and its workers
    are stopped together by process group, never by name)."""

    def __init__(self, name: str, target: str, env: dict, port: int):
        self.name, self.port = name, port
        OUT.mkdir(exist_ok=True)
        self.log_path = OUT / f"ingest-{name}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115  # the server's output until stop() closes it
        env = dict(env, PORT=str(port), HOST="127.0.0.1")
        self.proc = subprocess.Popen(
            [str(report.VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", target],
            cwd=report.ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"GET /livez HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                    if s.recv(64).startswith(b"HTTP/1."):
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"{self.name} not ready after {timeout} s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of all cores, from /proc/stat."""
    fields = list(map(int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]))
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def session_pids(sid: int) -> list[int]:
    """Processes of session ``sid``: a gunicorn master started in its own session and its workers."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields and int(fields[3]) == sid:
                out.append(int(entry.name))
    return out


def pg_backend_pids(base_url: str, app_name: str) -> list[int]:
    import psycopg

    with psycopg.connect(base_url, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", (app_name,))
        return [int(pid) for (pid,) in rows]


def process_ticks(pids: list[int]) -> dict[int, int]:
    """utime + stime (clock ticks) of each process still alive."""
    out = {}
    for pid in pids:
        fields = _stat(pid)
        if fields:
            out[pid] = int(fields[11]) + int(fields[12])
    return out


class PgWaits(threading.Thread):
    """Samples what the app's PostgreSQL sessions are doing (4 times a second, bounded by ``stop``)."""

    def __init__(self, base_url: str, app_name: str):
        super().__init__(daemon=True)
        self.base_url, self.app_name = base_url, app_name
        self.counts: dict[str, int] = {}
        self.done = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.base_url, autocommit=True) as conn:
            for _ in range(4 * 600):
                if self.done.wait(0.25):
                    break
                for state, wtype, wevent in conn.execute(
                    "SELECT state, wait_event_type, wait_event FROM pg_stat_activity WHERE application_name = %s",
                    (self.app_name,),
                ):
                    if state == "active":
                        key = f"active, waiting on {wtype}:{wevent}" if wtype else "active, on CPU"
                    elif state == "idle in transaction":
                        key = "idle in transaction (waiting for Python)"
                    else:
                        continue
                    self.counts[key] = self.counts.get(key, 0) + 1

    def stop(self) -> dict[str, int]:
        self.done.set()
        self.join(timeout=10)
        return self.counts


def run_wrk(
    server: Server,
    tokens_file: Path,
    *,
    duration: int,
    connections: int,
    threads: int,
    pg: tuple[str, str] | None = None,
    sample_waits: bool = False,
) -> dict:
    """One wrk run against ``server``; ``pg`` = (base URL, application name) of its PostgreSQL sessions."""
    port = server.port

    def own_pids() -> list[int]:
        return session_pids(server.proc.pid) + (pg_backend_pids(*pg) if pg else [])

    sampler = PgWaits(*pg) if pg and sample_waits else None
    if sampler:
        sampler.start()
    ticks0 = process_ticks(own_pids())
    busy0, total0 = cpu_times()
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{port}/api/v1/responses",
        "--",
        str(tokens_file),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    busy1, total1 = cpu_times()
    ticks1 = process_ticks(own_pids())
    server_s = sum(t - ticks0.get(pid, 0) for pid, t in ticks1.items()) / TICK
    waits = sampler.stop() if sampler else {}
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+),", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not (total and rps):
        raise RuntimeError(f"could not read wrk output:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    lat = {p: float(v) * _UNITS[u] for p, v, u in re.findall(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)}
    requests = max(1, int(total.group(1)))
    return {
        "server_cpu_ms": server_s * 1000 / requests,
        "machine_cpu_ms": (busy1 - busy0) / TICK * 1000 / requests,
        "requests": int(total.group(1)),
        "rps": float(rps.group(1)),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(map(int, sock.groups())) if sock else 0,
        "p50_ms": lat.get("50"),
        "p99_ms": lat.get("99"),
        "cpu_busy": (busy1 - busy0) / max(1, total1 - total0),
        "pg_waits": waits,
    }


def count_rows(database_url: str) -> tuple[int, int]:
    import sqlalchemy as sa

    from feedback.config import normalize_database_url

    engine = sa.create_engine(normalize_database_url(database_url))
    with engine.connect() as conn:
        total, suspect = conn.execute(
            sa.text("SELECT count(*), coalesce(sum(CASE WHEN suspect THEN 1 ELSE 0 END), 0) FROM responses")
        ).one()
    engine.dispose()
    return int(total), int(suspect)


# ---------------------------------------------------------------- in-process look


def _body(i: int) -> bytes:
    now = datetime.now(UTC)
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "rating": 1 + i % 5,
            "language": "en",
            "client_time": now.isoformat(timespec="milliseconds"),
            "followup_offered": ["effectiveness", "ease", "efficiency", "transparency", "humanity", "employee"],
            "followup_chosen": ["ease"],
        }
    ).encode()


PACKAGES = (
    "sqlalchemy",
    "marshmallow",
    "werkzeug",
    "flask",
    "psycopg",
    "json",
    "feedback",
    "kiosk_app",
    "hashlib",
    "zoneinfo",
    "uuid",
    "datetime",
    "logging",
)


def _bucket(key) -> str:
    filename, _line, func = key
    if filename == "~":
        if "sqlite3" in func:
            return "sqlite3 (C driver)"
        if "psycopg" in func or "pq" in func:
            return "psycopg (C driver)"
        if "commit" in func:
            return "driver commit"
        return "builtins"
    for pkg in PACKAGES:
        if f"/{pkg}/" in filename or filename.endswith(f"/{pkg}.py"):
            return pkg
    return "other"


WATCH = [  # (label, file name, function name): inclusive share of the profiled time
    ("device auth (token lookup, own read transaction)", "kiosks.py", "authenticate"),
    ("JSON + marshmallow load", "http.py", "load_json"),
    ("resolve survey version (2 queries)", "ingest_rules.py", "resolve_versions"),
    ("rule checks + payload_hash", "ingest_rules.py", "check_rules"),
    ("_store (the write transaction)", "ingest.py", "_store"),
    ("  repeat-tap flags", "repeat_taps.py", "repeat_taps"),
    ("  insert + rollup upserts (store_rows)", "ingest.py", "store_rows"),
    ("    rollups.apply", "rollups.py", "apply"),
    ("      upsert statement rebuilt per call (stmt.excluded)", "dml.py", "excluded"),
    ("  commit", "scoping.py", "commit"),
    ("ResponseOutSchema.dump", "schema.py", "dump"),
]


def profile_in_process(database_url: str, tokens: list[str], devices: dict, n: int) -> dict:
    """Sequential requests through the Flask test client: per-request time (app, bare, bare +
    insert), statements, transactions and pool checkouts per app request, and a cProfile of the
    app, summarised by function and by package."""
    import sqlalchemy as sa

    from bench import bare_insert_app
    from bench.bare_app import app as bare
    from feedback.app import create_app
    from feedback.config import normalize_database_url
    from feedback.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": normalize_database_url(database_url),
            "INSTANCE_PATH": report.instance_dir(),
            "SECRET_KEY": "bench-secret-key",
        }
    )
    logging_disable()
    client, bare_client = app.test_client(), bare.test_client()
    bodies = [_body(i) for i in range(n)]
    headers = [
        {"Authorization": f"Bearer {tokens[i % len(tokens)]}", "Content-Type": "application/json"} for i in range(n)
    ]
    counts = dict.fromkeys(("before_cursor_execute", "begin", "commit", "rollback", "checkout"), 0)

    def counter(name: str):
        def count(*_a, **_k) -> None:
            counts[name] += 1

        return count

    with app.app_context():
        for name in counts:
            sa.event.listen(db.engine, name, counter(name))
    # warm up (caches, pool)
    for i in range(20):
        client.post("/api/v1/responses", data=_body(i), headers=headers[i])
    counts.update(dict.fromkeys(counts, 0))
    t0 = time.perf_counter()
    for i in range(n // 2):
        assert client.post("/api/v1/responses", data=bodies[i], headers=headers[i]).status_code == 201
    app_s = (time.perf_counter() - t0) / (n // 2)
    per_tap = {k: v / (n // 2) for k, v in counts.items()}
    t0 = time.perf_counter()
    for i in range(n // 2):
        bare_client.post("/api/v1/responses", data=bodies[i], headers=headers[i])
    bare_s = (time.perf_counter() - t0) / (n // 2)
    insert_app = bare_insert_app.create(database_url, devices)
    insert_client = insert_app.test_client()
    insert_bodies = [_body(i) for i in range(n // 2 + 20)]
    for i in range(20):
        insert_client.post("/api/v1/responses", data=insert_bodies[n // 2 + i], headers=headers[i])
    t0 = time.perf_counter()
    for i in range(n // 2):
        assert insert_client.post("/api/v1/responses", data=insert_bodies[i], headers=headers[i]).status_code == 201
    insert_s = (time.perf_counter() - t0) / (n // 2)
    insert_app.config["BENCH_ENGINE"].dispose()
    prof = cProfile.Profile()
    prof.enable()
    for i in range(n // 2, n):
        client.post("/api/v1/responses", data=bodies[i], headers=headers[i])
    prof.disable()
    stats = pstats.Stats(prof).stats
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in stats.values())
    by_pkg: dict[str, float] = {}
    for key, (_cc, _nc, tt, _ct, _callers) in stats.items():
        by_pkg[_bucket(key)] = by_pkg.get(_bucket(key), 0) + tt
    watched = []
    for label, fname, func in WATCH:
        ct = sum(v[3] for k, v in stats.items() if k[0].endswith("/" + fname) and k[2] == func)
        if func == "check_rules":
            ct += sum(v[3] for k, v in stats.items() if k[0].endswith("/ingest.py") and k[2] == "payload_hash")
        watched.append((label, ct / total if total else 0))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return {
        "app_ms": app_s * 1000,
        "bare_ms": bare_s * 1000,
        "insert_ms": insert_s * 1000,
        "per_tap": per_tap,
        "by_package": sorted(((k, v / total) for k, v in by_pkg.items()), key=lambda kv: -kv[1]),
        "watched": watched,
        "n": n // 2,
    }


def logging_disable() -> None:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)


# ---------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--databases", default="sqlite,postgresql")
    ap.add_argument("--pg-url", default=report.DEFAULT_PG)
    ap.add_argument("--connections", type=int, default=32, help="concurrent simulated kiosks (wrk -c)")
    ap.add_argument("--wrk-threads", type=int, default=1)
    ap.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    ap.add_argument("--warmup", type=int, default=3, help="seconds of unmeasured load per server first")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--locations", type=int, default=64)
    ap.add_argument("--devices-per-location", type=int, default=16)
    ap.add_argument("--profile-requests", type=int, default=1000, help="0 to skip the in-process look")
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/PERFORMANCE.md alone")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    if not 1 <= args.duration <= 120 or not 1 <= args.rounds <= 10:
        sys.exit("--duration must be 1..120 s and --rounds 1..10 (every run is bounded)")
    started = time.time()
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]

    with ExitStack() as stack:
        servers: dict[str, Server] = {}
        dbs: dict[str, dict] = {}
        work = Path(tempfile.mkdtemp(prefix="feedback-bench-ingest-"))
        stack.callback(shutil.rmtree, work, True)
        base_env = report.app_env("sqlite:///unused", instance=str(work / "instance"))
        for kind in kinds:
            url, info = stack.enter_context(report.fresh_database(kind, args.pg_url))
            env = report.app_env(url, instance=str(work / f"instance-{kind}"))
            t0 = time.time()
            report.migrate(url, env)
            enrolled = report.enroll(
                url,
                locations=args.locations,
                devices_per_location=args.devices_per_location,
                instance=env["INSTANCE_PATH"],
            )
            tokens_file = work / f"tokens-{kind}.txt"
            tokens_file.write_text("\n".join(d["token"] for d in enrolled["devices"]) + "\n")
            versions = {loc["id"]: loc["version_id"] for loc in enrolled["locations"]}
            devices = {d["token"]: (d["id"], d["location_id"], versions[d["location_id"]]) for d in enrolled["devices"]}
            devices_file = work / f"devices-{kind}.json"
            devices_file.write_text(json.dumps(devices))
            print(
                f"[{kind}] migrated and enrolled {len(enrolled['devices'])} devices at "
                f"{len(enrolled['locations'])} locations in {time.time() - t0:.1f} s",
                flush=True,
            )
            dbs[kind] = {
                "url": url,
                "env": env,
                "insert_env": dict(env, BENCH_DEVICES=str(devices_file)),
                "tokens": tokens_file,
                "info": info,
                "token_list": [d["token"] for d in enrolled["devices"]],
                "devices": devices,
            }

        servers["bare"] = Server("bare", "bench.bare_app:app", base_env, free_port())
        for kind in kinds:
            servers[f"insert-{kind}"] = Server(
                f"insert-{kind}", "bench.bare_insert_app:from_env()", dbs[kind]["insert_env"], free_port()
            )
            servers[kind] = Server(kind, "wsgi:app", dbs[kind]["env"], free_port())
        for s in servers.values():
            stack.callback(s.stop)
        for s in servers.values():
            s.wait_ready()
        # The servers run until the end of the with-block; PostgreSQL schemas are dropped after them.

        def kind_of(name: str) -> str | None:
            return None if name == "bare" else name.removeprefix("insert-")

        def tokens_for(name: str) -> Path:
            kind = kind_of(name)
            return dbs[kind or kinds[0]]["tokens"]

        def pg_for(name: str) -> tuple[str, str] | None:
            kind = kind_of(name)
            if kind != "postgresql":
                return None
            return dbs[kind]["info"]["base_url"], dbs[kind]["info"]["schema"]

        names = list(servers)
        for name in names:
            run_wrk(
                servers[name],
                tokens_for(name),
                duration=args.warmup,
                connections=args.connections,
                threads=args.wrk_threads,
            )
        after_warmup = {k: count_rows(dbs[k]["url"])[0] for k in kinds}
        results: dict[str, list[dict]] = {n: [] for n in names}
        for r in range(args.rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                res = run_wrk(
                    servers[name],
                    tokens_for(name),
                    duration=args.duration,
                    connections=args.connections,
                    threads=args.wrk_threads,
                    pg=pg_for(name),
                    sample_waits=name == "postgresql",
                )
                results[name].append(res)
                print(
                    f"round {r + 1} {name:<18} {res['rps']:8.1f} req/s  non-2xx {res['non2xx']}  "
                    f"socket errors {res['socket_errors']}  p50 {res['p50_ms']} ms  p99 {res['p99_ms']} ms  "
                    f"CPU/request server {res['server_cpu_ms']:.2f} ms machine {res['machine_cpu_ms']:.2f} ms",
                    flush=True,
                )
        stored = {k: count_rows(dbs[k]["url"]) for k in kinds}
        for s in servers.values():
            s.stop()
        looks = {}
        if args.profile_requests:
            for kind in kinds:
                looks[kind] = profile_in_process(
                    dbs[kind]["url"], dbs[kind]["token_list"], dbs[kind]["devices"], args.profile_requests
                )
                print(
                    f"[{kind}] in-process: app {looks[kind]['app_ms']:.2f} ms/request, "
                    f"bare {looks[kind]['bare_ms']:.3f} ms, bare + insert {looks[kind]['insert_ms']:.3f} ms, "
                    + ", ".join(f"{k} {v:.2f}" for k, v in looks[kind]["per_tap"].items())
                    + " per tap",
                    flush=True,
                )

    # ------------------------------------------------------------ report
    def med(name: str, key: str) -> float:
        return report.median([r[key] for r in results[name]])

    def server_row(label: str, name: str, extra: str) -> list:
        res = results[name]
        return [
            label,
            f"{med(name, 'rps'):.0f}",
            " / ".join(f"{r['rps']:.0f}" for r in res),
            f"{med(name, 'p50_ms'):.1f} / {med(name, 'p99_ms'):.1f}",
            f"{med(name, 'server_cpu_ms'):.2f}",
            f"{med(name, 'machine_cpu_ms'):.2f}",
            f"{sum(r['non2xx'] for r in res)} / {sum(r['socket_errors'] for r in res)}",
            extra,
        ]

    rows = [server_row("bare Flask (answers 201, writes nothing)", "bare", "-")]
    ratio_rows = []
    bare_rps = med("bare", "rps")
    for kind in kinds:
        ins, app_ = f"insert-{kind}", kind
        total, suspect = stored[kind]
        answered = sum(r["requests"] - r["non2xx"] for name in (ins, app_) for r in results[name])
        rows.append(server_row(f"bare Flask + one durable insert, {kind}", ins, "-"))
        rows.append(
            server_row(
                f"**app, {kind}**",
                app_,
                f"{total - after_warmup[kind]} rows stored / {answered} answered 2xx (app + insert baseline); "
                f"{suspect} suspect of {total}",
            )
        )
        to_bare = med(app_, "rps") / bare_rps
        to_insert = med(app_, "rps") / med(ins, "rps")
        cpu = med(app_, "server_cpu_ms") / med(ins, "server_cpu_ms")
        p99 = med(app_, "p99_ms")
        ratio_rows.append(
            [
                kind,
                f"{to_bare:.2f}",
                f"**{to_insert:.2f}** ({'met' if to_insert >= 0.6 else 'NOT met'})",
                f"{p99:.0f} ms ({'met' if p99 < 150 else 'NOT met'})",
                f"{cpu:.1f}x ({'met' if cpu <= 2 else 'NOT met'})",
            ]
        )
    body = [
        report.header(
            "Single-response ingest: app vs bare Flask and vs bare Flask + one durable insert, under gunicorn",
            "bench.ingest",
            started,
            f"gunicorn.conf.py unchanged for all servers (workers={_conf('workers')}, threads={_conf('threads')}, "
            f"worker_class=gthread, access log to a file); load generator wrk {args.wrk_threads} thread(s), "
            f"{args.connections} connections (= concurrent kiosks), bench/kiosks.lua (fresh UUID v4, "
            f"current client_time, 60 % with follow-ups), {args.locations} locations x "
            f"{args.devices_per_location} devices = {args.locations * args.devices_per_location} device tokens "
            f"used round-robin; {args.rounds} rounds x {args.duration} s per server, interleaved, "
            f"after {args.warmup} s warm-up; fresh SQLite file / fresh PostgreSQL schema, "
            "migrated with `flask db upgrade`; the insert baseline (bench/bare_insert_app.py) writes the same "
            "row into the same table with the app's engine options and connection hooks (SQLite WAL, "
            "synchronous=FULL, BEGIN IMMEDIATE; PostgreSQL synchronous_commit=on) and commits before the 201 "
            "(its rows count as the devices' neighbours in the app's repeat-tap check, hence some suspect rows)",
        ),
        "",
        report.table(
            [
                "server",
                "median req/s",
                "per round",
                f"p50 / p99 ms ({args.connections} kiosks)",
                "server CPU ms/request",
                "machine CPU ms/request",
                "non-2xx / socket errors",
                "check: rows in DB",
            ],
            rows,
        ),
        "",
        "Server CPU: gunicorn master + workers (+ the PostgreSQL backends of the schema), from /proc; "
        "machine CPU: both cores busy time (wrk, PostgreSQL, and whatever else runs on this shared machine) "
        "per request. Ratios of medians:\n",
        report.table(
            [
                "database",
                "app / bare Flask",
                "app / (bare Flask + insert) (goal >= 0.6)",
                "app p99 (goal < 150 ms)",
                "app server CPU / insert's (goal <= 2x)",
            ],
            ratio_rows,
        ),
        "",
    ]
    if "postgresql" in results:
        waits: dict[str, int] = {}
        for r in results["postgresql"]:
            for k, v in r["pg_waits"].items():
                waits[k] = waits.get(k, 0) + v
        n = sum(waits.values()) or 1
        body.append(
            "PostgreSQL sessions of the app during the measured runs (pg_stat_activity sampled 4/s; "
            "share of non-idle samples): "
            + ", ".join(f"{k} {v / n * 100:.0f} %" for k, v in sorted(waits.items(), key=lambda kv: -kv[1])[:6])
            + "\n"
        )
    if looks:
        body.append(
            "In-process look (Flask test client, one thread, no HTTP server; "
            f"{args.profile_requests // 2} timed + {args.profile_requests // 2} profiled requests; "
            "counts from SQLAlchemy events on the app's engine):\n"
        )
        hdr = ["", *[f"{k}" for k in looks]]
        lines = [
            ["app ms/request", *[f"{v['app_ms']:.2f}" for v in looks.values()]],
            ["bare ms/request", *[f"{v['bare_ms']:.3f}" for v in looks.values()]],
            ["bare + insert ms/request", *[f"{v['insert_ms']:.3f}" for v in looks.values()]],
        ]
        for key, label in (
            ("before_cursor_execute", "SQL statements per tap (`before_cursor_execute`)"),
            ("begin", "transactions per tap (`begin`)"),
            ("commit", "commits per tap (`commit`)"),
            ("rollback", "rollbacks per tap (`rollback`)"),
            ("checkout", "pool checkouts per tap (pool `checkout`, each with a pre-ping)"),
        ):
            lines.append([label, *[f"{v['per_tap'][key]:.2f}" for v in looks.values()]])
        for i, (label, _f, _fn) in enumerate(WATCH):
            lines.append([f"`{label}` (inclusive)", *[f"{v['watched'][i][1] * 100:.0f} %" for v in looks.values()]])
        body.append(report.table(hdr, lines))
        body.append("\nSelf time by package (cProfile):\n")
        for kind, v in looks.items():
            body.append(f"- {kind}: " + ", ".join(f"{k} {p * 100:.0f} %" for k, p in v["by_package"][:8]))
    text = "\n".join(body)
    print(text)
    if not args.no_write:
        report.write_section("ingest", text)


def _conf(name: str):
    ns: dict = {}
    exec(compile((report.ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), ns)
    return ns[name]


if __name__ == "__main__":
    main()

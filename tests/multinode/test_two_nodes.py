"""Two nodes behind a real load balancer (issue 15, Operations, item 3); CI: ``.ci/two-nodes``.

Two gunicorns and two schedulers (one of each per node) on one database and one Redis, behind
Debian's HAProxy (round-robin, health checks on /readyz, retries with redispatch). Phones answer
the survey through node a and node b in turn; then kiosks post their outboxes through the
balancer, their ratings low enough to raise alerts, and node a (gunicorn and scheduler) is killed
with SIGKILL mid-load. Then the test proves from the database and the SMTP server's inbox:

- every acknowledged tap and phone answer is stored once, none lost, none twice; after a fold the
  rollups count each stored response once;
- the phone rate limit is one limit for both nodes: ``PHONE_LIMIT`` answers in all, not per node;
- each alert is raised once and e-mailed once, though four workers and two schedulers evaluate;
- each scheduled job ran once in every period from the first to the last, by one node or the
  other, and the other node's scheduler carried on alone after the kill.
"""

from __future__ import annotations

import itertools
import os
import re
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
import sqlalchemy
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from feedback.config import normalize_database_url
from feedback.models import Alert, JobRun, Response, ResponseHourly
from feedback.services.schedule import period_start
from tests.conftest import _fresh_database
from tests.dbfaults import free_port
from tests.faults.harness import Gunicorn, Kiosk, Phone
from tests.multinode.cluster import HaProxy, SmtpServer, flask, scheduler, seed

KIOSKS = 6
REDIS_DB = 13
PHONE_LIMIT = 6  # phone answers per IP per hour, for both nodes together
TARGET = 0.9  # the counter's CSAT target; the kiosks' ratings (1 to 5 in turn) are far below it
LOAD_SECONDS = 6.0  # both nodes serving
AFTER_KILL_SECONDS = 6.0  # node b alone
PERIODS = {"rollups-fold": 2, "alerts": 3}  # seconds; the schedulers tick every 0.25 s


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    with _fresh_database(tmp_path_factory.mktemp("two-nodes-db")) as url:
        yield url


@pytest.fixture(scope="module")
def redis_url():
    url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.fail("the two-node test needs Redis at 127.0.0.1:6379 (.ci/run starts one)")
    return url


def node_env(name: str, port: int, database: str, redis_url: str, smtp_port: int, prefix: str, tmp: Path) -> dict:
    return {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "RATELIMIT_KEY_PREFIX": prefix,  # this run's counters only
        "SECRET_KEY": "two-node-test-secret-key-not-for-production",
        "INSTANCE_PATH": str(tmp / f"instance-{name}"),
        "FEEDBACK_ENV": "development",
        "TRUSTED_PROXIES": "1",  # HAProxy's X-Forwarded-For
        "READINESS_TIMEOUT_SECONDS": "0.5",
        "ALERTS_ON_INGEST": "true",
        "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "ALERT_MAIL_FROM": "alerts@feedback.example.gov",
        "PHONE_LIMIT_PER_IP": f"{PHONE_LIMIT} per hour",
        "PHONE_LIMIT_PER_LOCATION": "1000 per minute",
        "SCHEDULER_TICK_SECONDS": "0.25",
        "SCHEDULE_FOLD_SECONDS": str(PERIODS["rollups-fold"]),
        "SCHEDULE_ALERTS_SECONDS": str(PERIODS["alerts"]),
        # Every other job daily, as the checks below expect (the digests' default is hourly).
        "SCHEDULE_DIGESTS_SECONDS": str(24 * 3600),
    }


def test_two_nodes_behind_a_balancer(database, redis_url, tmp_path, capsys):
    world = seed(database, tmp_path / "seed", kiosks=KIOSKS, target=TARGET)
    ports = {"a": free_port(), "b": free_port()}
    prefix = f"two-nodes-{uuid.uuid4().hex[:8]}"
    stop = threading.Event()
    began = datetime.now(UTC)
    with SmtpServer() as smtp:
        envs = {
            name: node_env(name, port, database, redis_url, smtp.port, prefix, tmp_path) for name, port in ports.items()
        }
        nodes = {name: Gunicorn(port, envs[name], tmp_path / f"node-{name}.log") for name, port in ports.items()}
        schedulers = {name: scheduler(envs[name], tmp_path / f"scheduler-{name}.log") for name in ports}
        balancer = HaProxy(ports, tmp_path)
        kiosks: list[Kiosk] = []
        try:
            for node in nodes.values():
                node.start()
            for loop in schedulers.values():
                loop.start()
            balancer.start()
            balancer.wait_ready()

            # 1. The phone limit: answers through node a, node b, a, b ... from one address.
            phones = []
            for i in range(PHONE_LIMIT + 4):
                name = "ab"[i % 2]
                phone = Phone(ports[name], world["slug"])
                phone.answer(5)
                phones.append((name, phone))

            # 2. Kiosks through the balancer; node a dies mid-load (gunicorn and scheduler).
            kiosks = [Kiosk(balancer.port, token, stop) for token in world["tokens"]]
            for kiosk in kiosks:
                kiosk.start()
            time.sleep(LOAD_SECONDS)
            killed_at = time.monotonic()
            nodes["a"].kill()
            schedulers["a"].kill()
            time.sleep(AFTER_KILL_SECONDS)
            stop.set()
            for kiosk in kiosks:
                kiosk.join(30)
            for kiosk in kiosks:
                kiosk.drain()
            time.sleep(PERIODS["alerts"] + 1)  # node b's scheduler: one more alerts period
            balanced = balancer.stats()
            ended = datetime.now(UTC)
        finally:
            stop.set()
            for process in (balancer, *schedulers.values(), *nodes.values()):
                process.stop()
        messages = smtp.inbox.messages

    print(flask(envs["b"], "rollups", "fold"), end="")
    figures = {
        **check_phones(phones),
        **check_taps(kiosks, killed_at),
        **check_balancer(balanced),
        **check_store(database, kiosks, [p for _, p in phones]),
        **check_alerts(database, messages, world["admin"]),
        **check_jobs(database, {name: loop.pid for name, loop in schedulers.items()}, tmp_path, (began, ended)),
    }
    table = "\n".join(f"  {label:<52} {value}" for label, value in figures.items())
    report = f"Two nodes behind HAProxy ({make_url(database).get_backend_name()}), proven:\n{table}\n"
    if os.environ.get("TWO_NODES_FIGURES"):  # .ci/two-nodes prints it after pytest's summary
        Path(os.environ["TWO_NODES_FIGURES"]).write_text(report)
    else:
        with capsys.disabled():
            print("\n" + report)


def check_phones(phones: list[tuple[str, Phone]]) -> dict:
    """The first PHONE_LIMIT answers taken, whichever node they reached; every later one 429."""
    statuses = [(name, phone.answers[-1].status) for name, phone in phones]
    taken = [name for name, status in statuses if status == 303]
    assert [status for _, status in statuses] == [303] * PHONE_LIMIT + [429] * (len(phones) - PHONE_LIMIT), statuses
    assert set(taken) == {"a", "b"}  # both nodes counted into the one limit
    refused = [phone.answers[-1].body.decode() for _, phone in phones[PHONE_LIMIT:]]
    assert all("Too many answers from this connection" in body for body in refused)  # the per-IP limit
    by_node = Counter(taken)
    return {
        "phone answers sent (a, b, a, b ...)": len(phones),
        "phone answers accepted before 429 / limit per IP": f"{len(taken)} / {PHONE_LIMIT} "
        f"(a {by_node['a']}, b {by_node['b']})",
    }


def check_taps(kiosks: list[Kiosk], killed_at: float) -> dict:
    answers = [a for k in kiosks for a in k.answers]
    assert not [a for a in answers if a.status and 400 <= a.status < 500], "a valid batch was refused"
    assert not [a for a in answers if a.status == 500], "a node failed a batch"
    after = [a for a in answers if a.sent >= killed_at]
    assert [a for a in after if a.status in (200, 201)], "nothing was stored after the kill"
    failed = Counter("no answer" if a.status is None else a.status for a in answers if a.status not in (200, 201))
    return {
        "kiosk batches posted / after the kill": f"{len(answers)} / {len(after)}",
        "batches not taken (sent again by the kiosk)": dict(failed) or 0,
    }


def check_balancer(servers: dict[str, dict[str, str]]) -> dict:
    """HAProxy sent requests to both nodes, saw node a go down, and kept serving with node b."""
    a, b = servers["a"], servers["b"]
    assert a["status"].startswith("DOWN") and b["status"] == "UP", (a["status"], b["status"])
    assert int(a["stot"]) > 0 and int(b["stot"]) > 0
    return {
        "HAProxy: requests to node a / node b": f"{a['stot']} / {b['stot']}",
        "HAProxy: node a at the end / retries / redispatched": f"{a['status']} / "
        f"{int(a['wretr'] or 0) + int(b['wretr'] or 0)} / {int(a['wredis'] or 0) + int(b['wredis'] or 0)}",
    }


def _engine(database: str):
    return sqlalchemy.create_engine(normalize_database_url(database), poolclass=NullPool)


def check_store(database: str, kiosks: list[Kiosk], phones: list[Phone]) -> dict:
    """Every acknowledged response stored once, nothing else; the rollups count each once."""
    assert not [k for k in kiosks if k.outbox], "an outbox was not emptied"
    made = set().union(*(k.made for k in kiosks))
    acknowledged = set().union(*(k.acknowledged for k in kiosks))
    phone_acknowledged = set().union(*(p.acknowledged for p in phones))
    engine = _engine(database)
    try:
        with engine.connect() as connection:
            kiosk_ids = [str(i) for i in connection.scalars(select(Response.id).where(Response.channel == "kiosk"))]
            phone_ids = [str(i) for i in connection.scalars(select(Response.id).where(Response.channel == "qr"))]
            counted_rows = connection.scalar(
                select(func.count()).select_from(Response).where(Response.comment_state.is_distinct_from("spam"))
            )
            pending = connection.scalar(select(func.count()).select_from(Response).where(Response.pending.is_(True)))
            counted = connection.scalar(select(func.sum(ResponseHourly.n)))
    finally:
        engine.dispose()
    duplicates = len(kiosk_ids) - len(set(kiosk_ids)) + len(phone_ids) - len(set(phone_ids))
    lost = len(acknowledged - set(kiosk_ids)) + len(phone_acknowledged - set(phone_ids))
    assert acknowledged == made, "a tap was never acknowledged"
    assert duplicates == 0 and lost == 0
    assert set(kiosk_ids) == acknowledged and set(phone_ids) == phone_acknowledged, "a stored response nobody sent"
    assert pending == 0 and counted == counted_rows == len(made) + len(phone_acknowledged)
    return {
        "taps made / acknowledged / stored": f"{len(made)} / {len(acknowledged)} / {len(kiosk_ids)}",
        "phone answers acknowledged / stored": f"{len(phone_acknowledged)} / {len(phone_ids)}",
        "responses stored twice / acknowledged but lost": f"{duplicates} / {lost}",
        "rollups after a fold: sum(n) / non-spam responses": f"{counted} / {counted_rows}",
    }


MESSAGE_ID = re.compile(r"\.alert(\d+)@")  # mailer.compose: make_msgid(f"alert{id}")


def check_alerts(database: str, messages: list, admin: str) -> dict:
    """Each alert raised once (per rule and claim key) and e-mailed once, to the admin."""
    engine = _engine(database)
    try:
        with engine.connect() as connection:
            alerts = connection.execute(select(Alert.id, Alert.kind, Alert.rule_id, Alert.claim_key, Alert.email_state))
            alerts = list(alerts)
    finally:
        engine.dispose()
    kinds = Counter(a.kind for a in alerts)
    assert kinds["below_target"] == 1, kinds
    assert len({(a.rule_id, a.claim_key) for a in alerts}) == len(alerts)
    assert all(a.email_state == "sent" for a in alerts), [(a.id, a.email_state) for a in alerts]
    mailed = Counter(int(MESSAGE_ID.search(m["Message-ID"]).group(1)) for m in messages)
    assert mailed == Counter(a.id for a in alerts), (mailed, alerts)  # each alert once, nothing else
    assert all(m["To"] == admin for m in messages)
    return {
        "alerts raised": ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items())),
        "alerts e-mailed / messages received": f"{len(alerts)} / {len(messages)}",
    }


def check_jobs(database: str, pids: dict[str, int], tmp_path: Path, span: tuple[datetime, datetime]) -> dict:
    """Each job's period run by one node only, and each claimed run ran once (the schedulers' logs
    say "Job <name> done" once per finished row). The frequent jobs ran in every period from the
    first to the last, through the kill: node b's scheduler carried on alone. The daily jobs ran
    once, though both schedulers started within the same day and claimed them at their first tick."""
    engine = _engine(database)
    try:
        with engine.connect() as connection:
            runs = list(connection.execute(select(JobRun.job, JobRun.period_start, JobRun.node, JobRun.ok)))
    finally:
        engine.dispose()
    logs = "".join((tmp_path / f"scheduler-{name}.log").read_text(errors="replace") for name in pids)
    assert all(f":{pid} started" in logs for pid in pids.values()), "a scheduler did not start"
    figures = {}
    for job in sorted({r.job for r in runs}, key=lambda j: (j not in PERIODS, j)):
        mine = sorted((r for r in runs if r.job == job), key=lambda r: r.period_start)
        starts = [r.period_start for r in mine]
        assert len(starts) == len(set(starts)), f"{job}: a period ran twice"
        by = Counter(next(name for name, pid in pids.items() if r.node.endswith(f":{pid}")) for r in mine)
        # A run cut off by the kill stays unfinished (ok NULL): at most one, node a's.
        cut = [r for r in mine if r.ok is None]
        assert len(cut) <= 1 and all(r.node.endswith(f":{pids['a']}") for r in cut), f"{job}: cut off: {cut}"
        assert all(r.ok for r in mine if r.ok is not None), f"{job}: a run failed"
        done = len(re.findall(rf"Job {re.escape(job)} done", logs))
        assert done == len(mine) - len(cut), f"{job}: {done} runs logged, {len(mine) - len(cut)} finished"
        period = PERIODS.get(job)
        if period is None:  # daily: once, or twice when the test ran over midnight (UTC)
            days = {period_start(moment, 24 * 3600) for moment in span}
            assert len(mine) == len(days) and set(starts) == days, f"{job}: {len(mine)} runs in {len(days)} day(s)"
            figures[f"job {job} (daily): runs"] = f"{len(mine)} (node {next(iter(by))})"
            continue
        steps = [(b - a).total_seconds() for a, b in itertools.pairwise(starts)]
        assert steps and all(step == period for step in steps), f"{job}: periods without a run: {steps}"
        assert mine[-1].node.endswith(f":{pids['b']}"), f"{job}: node b did not carry on"
        figures[f"job {job} (every {period} s): periods / runs"] = (
            f"{len(mine)} / {done} (node a {by['a']}, node b {by['b']}), no gap, none twice"
        )
    return figures

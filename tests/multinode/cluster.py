"""What the two-node test runs: its data, the load balancer (Debian's HAProxy), the schedulers and
a local SMTP server that keeps every message.

The nodes themselves are the fault test's gunicorns (``tests/faults/harness.py``), two of them on
one database and one Redis, as a deployment behind a balancer has them.
"""

from __future__ import annotations

import csv
import email
import os
import shutil
import signal
import subprocess
import sys
import time
from email import policy
from pathlib import Path

from aiosmtpd.controller import Controller

from feedback.database import write_transaction
from feedback.extensions import db
from feedback.models import Office
from feedback.services import survey_links
from tests.builders import Builder
from tests.dbfaults import free_port
from tests.faults.harness import ROOT, call

# Open all week, so a below-target alert is raised whatever the hour and day of the run.
ALWAYS_OPEN = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


def seed(database_url: str, instance_path: Path, *, kiosks: int, target: float) -> dict:
    """Tables, one counter (CSAT target ``target``) with ``kiosks`` kiosks, its phone link, and an
    admin who receives its alerts (no manager: admins hear of them then)."""
    from feedback.app import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(instance_path)})
    with app.app_context():
        db.create_all()
        build = Builder(db.session)
        office = build.office(name="Two Node Office", tz="UTC", hours=ALWAYS_OPEN)
        with write_transaction(db.session):
            db.session.get_one(Office, office.id).csat_target = target
        location = build.location(code="TWO-1", office=office)
        tokens = [build.device(location=location)[1] for _ in range(kiosks)]
        admin, _token = build.user_token(role="admin")
        with write_transaction(db.session):
            slug = survey_links.current_link(db.session, location).slug
        result = {"tokens": tokens, "slug": slug, "admin": admin.email}
        db.session.remove()
        db.engine.dispose()
    return result


class Inbox:
    """aiosmtpd handler keeping every message the nodes and schedulers send."""

    def __init__(self):
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 2.0.0 Message accepted"

    @property
    def messages(self):
        return [
            email.message_from_bytes(e.original_content or e.content, policy=policy.default) for e in self.envelopes
        ]


class SmtpServer:
    def __init__(self):
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


class Process:
    """A child process in a session of its own (``kill()`` takes its whole group, like a crash)."""

    def __init__(self, command: list[str], env: dict, log_path: Path):
        self.command, self.env, self.log_path = command, env, log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> Process:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        os.killpg(self.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if not self.alive():
            return
        os.killpg(self.pid, signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.kill()


def scheduler(env: dict, log_path: Path) -> Process:
    """``flask scheduler``, the loop a node runs beside its gunicorn."""
    return Process([sys.executable, "-m", "flask", "--app", "feedback.app", "scheduler"], env, log_path)


def flask(env: dict, *args: str) -> str:
    """A ``flask`` command run to its end (e.g. ``rollups fold``); its output."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "feedback.app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


HAPROXY_CONFIG = """\
global
    maxconn 512

defaults
    mode http
    timeout connect 1s
    timeout client 20s
    timeout server 20s
    # A request that cannot reach a node (refused, reset, no answer) is sent again, to the other
    # node (redispatch). Replaying a POST is safe here: a tap or a phone answer carries its id,
    # and a second copy is answered 200 and stored once.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response
    option http-buffer-request
    option forwardfor

frontend counters
    bind 127.0.0.1:{port}
    default_backend nodes

listen stats
    bind 127.0.0.1:{stats_port}
    stats enable
    stats uri /stats

backend nodes
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server check inter 200ms fall 2 rise 2
{servers}
"""


class HaProxy(Process):
    """Debian's HAProxy, round-robin over the nodes, each health-checked on /readyz."""

    def __init__(self, nodes: dict[str, int], workdir: Path):
        self.port, self.stats_port = free_port(), free_port()
        servers = "\n".join(f"    server {name} 127.0.0.1:{port}" for name, port in nodes.items())
        config = workdir / "haproxy.cfg"
        config.write_text(HAPROXY_CONFIG.format(port=self.port, stats_port=self.stats_port, servers=servers))
        subprocess.run([HAPROXY, "-c", "-q", "-f", str(config)], check=True)  # a bad config fails here
        super().__init__([HAPROXY, "-db", "-f", str(config)], {}, workdir / "haproxy.log")

    def stats(self) -> dict[str, dict[str, str]]:
        """The backend's servers as HAProxy counts them (its CSV stats): ``stot`` requests sent,
        ``wretr`` retries, ``wredis`` redispatches, ``status`` UP or DOWN, ``chkdown`` downs."""
        answer = call(self.stats_port, "GET", "/stats;csv", timeout=5)
        assert answer.status == 200, answer
        header, *rows = csv.reader(answer.body.decode().lstrip("# ").splitlines())
        return {row[1]: dict(zip(header, row, strict=False)) for row in rows if row and row[0] == "nodes"}

    def wait_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"haproxy exited; see {self.log_path}")
            if call(self.port, "GET", "/readyz", timeout=2).status == 200:
                return
            time.sleep(0.1)
        raise RuntimeError(f"haproxy did not pass a request within {timeout} s; see {self.log_path}")

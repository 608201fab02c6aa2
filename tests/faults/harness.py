"""What the fault test drives: a real gunicorn, kiosks with outboxes, phones, and a health monitor.

Everything speaks HTTP to the server over a socket (``http.client``), as kiosks and a load
balancer do; every answer is kept with the time it was sent, so the test can judge each fault
window afterwards.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@dataclass
class Answer:
    sent: float  # time.monotonic() when the request went out
    done: float
    status: int | None  # None: no HTTP answer (refused, reset, timed out)
    headers: dict = field(default_factory=dict)
    body: bytes = b""

    def json(self):
        return json.loads(self.body)


def call(port: int, method: str, path: str, body: bytes | None = None, headers=None, timeout: float = 10) -> Answer:
    sent = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return Answer(sent, time.monotonic(), response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    except (OSError, http.client.HTTPException):
        return Answer(sent, time.monotonic(), None)
    finally:
        connection.close()


class Gunicorn:
    """The project's gunicorn (``gunicorn.conf.py``) on its own port, in a process group of its own
    so that ``kill()`` takes master and workers down at once, mid-request, like a crashed node."""

    def __init__(self, port: int, env: dict, log_path: Path):
        self.port, self.env, self.log_path = port, env, log_path
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", *_control_socket_off(), "wsgi:app"]
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}); see {self.log_path}")
            if call(self.port, "GET", "/livez", timeout=2).status == 200:
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s; see {self.log_path}")

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.kill()


def _control_socket_off() -> list[str]:
    """Gunicorn 27 opens a control socket at one path per user: a test server must not take over
    (or lose) another instance's."""
    from gunicorn import config

    return ["--no-control-socket"] if hasattr(config, "ControlSocketDisable") else []


class Kiosk(threading.Thread):
    """A kiosk: a tap every ``interval`` seconds into its outbox, the outbox sent in batches; an
    item leaves the outbox only on 200/201 (as static/kiosk/sender.js does)."""

    def __init__(self, port: int, token: str, stop: threading.Event, interval: float = 0.08):
        super().__init__(daemon=True)
        self.port, self.token, self.stop, self.interval = port, token, stop, interval
        self.outbox: list[dict] = []
        self.made: set[str] = set()
        self.acknowledged: set[str] = set()
        self.answers: list[Answer] = []

    def run(self) -> None:
        while not self.stop.is_set():
            self.tap()
            if not self.send():
                time.sleep(0.15)  # a short back-off (real kiosks wait longer, with jitter)
            time.sleep(self.interval)

    def tap(self) -> None:
        item = {
            "id": str(uuid.uuid4()),
            "rating": 1 + len(self.made) % 5,
            "language": "en",
            "client_time": datetime.now(UTC).isoformat(),
        }
        self.outbox.append(item)
        self.made.add(item["id"])

    def send(self) -> bool:
        """Post the outbox's oldest items; True when the server stored them."""
        batch = self.outbox[:50]
        if not batch:
            return True
        body = json.dumps({"responses": batch}).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        answer = call(self.port, "POST", "/api/v1/responses/batch", body, headers)
        self.answers.append(answer)
        if answer.status in (200, 201):
            sent = {item["id"] for item in batch}
            self.outbox = [item for item in self.outbox if item["id"] not in sent]
            self.acknowledged |= sent
            return True
        return False

    def drain(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.outbox and time.monotonic() < deadline:
            if not self.send():
                time.sleep(0.2)


class Phone:
    """A phone answering the survey at /s/<slug> without script: the page, then the form post."""

    def __init__(self, port: int, slug: str):
        self.port, self.slug = port, slug
        self.cookie = ""
        self.answers: list[Answer] = []
        self.acknowledged: set[str] = set()

    def answer(self, rating: int) -> Answer:
        page = call(self.port, "GET", f"/s/{self.slug}", headers=self._cookies())
        self._keep_cookie(page)
        if page.status != 200:
            self.answers.append(page)
            return page
        form = {name: unescape(value) for name, value in HIDDEN.findall(page.body.decode())}
        form.update(rating=str(rating), step="send")
        headers = {"Content-Type": "application/x-www-form-urlencoded", **self._cookies()}
        posted = call(self.port, "POST", f"/s/{self.slug}", urlencode(form).encode(), headers)
        self._keep_cookie(posted)
        self.answers.append(posted)
        if posted.status == 303:
            self.acknowledged.add(form["id"])
        return posted

    def _cookies(self) -> dict:
        return {"Cookie": self.cookie} if self.cookie else {}

    def _keep_cookie(self, answer: Answer) -> None:
        if "set-cookie" in answer.headers:
            self.cookie = answer.headers["set-cookie"].split(";", 1)[0]


class Monitor(threading.Thread):
    """A load balancer's view: /livez and /readyz in turn, every ``interval`` seconds."""

    def __init__(self, port: int, stop: threading.Event, interval: float = 0.1):
        super().__init__(daemon=True)
        self.port, self.stop, self.interval = port, stop, interval
        self.probes: dict[str, list[Answer]] = {"/livez": [], "/readyz": []}

    def run(self) -> None:
        while not self.stop.is_set():
            for path, answers in self.probes.items():
                answers.append(call(self.port, "GET", path, timeout=5))
            time.sleep(self.interval)


@dataclass
class Window:
    name: str
    start: float
    end: float = float("inf")

    def holds(self, answer: Answer, settle: float = 0.0) -> bool:
        """Sent at least ``settle`` s after the window opened, answered before it closed."""
        return answer.sent >= self.start + settle and answer.done <= self.end


class Timeline:
    def __init__(self):
        self.windows: list[Window] = []

    def open(self, name: str) -> Window:
        window = Window(name, time.monotonic())
        self.windows.append(window)
        return window

    @staticmethod
    def close(window: Window) -> None:
        window.end = time.monotonic()

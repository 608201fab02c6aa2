"""gunicorn.conf.py against a real gunicorn: instances do not share a control socket (issue 11,
item 14), and a long URL gets the app's problem+json 414, not gunicorn's HTML (item 13)."""

from __future__ import annotations

import os
import runpy
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from gunicorn.config import KNOWN_SETTINGS

ROOT = Path(__file__).resolve().parent.parent  # the checkout, where gunicorn.conf.py and wsgi.py are
CONF = ROOT / "gunicorn.conf.py"
GUNICORN = Path(sys.executable).with_name("gunicorn")


def settings(monkeypatch, **env) -> dict:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return {k: v for k, v in runpy.run_path(str(CONF)).items() if not k.startswith("_")}


def test_every_setting_is_one_gunicorn_knows(monkeypatch):
    known = {setting.name for setting in KNOWN_SETTINGS}
    names = {k for k, v in settings(monkeypatch).items() if not callable(v) and k not in ("os", "multiprocessing")}
    assert names <= known, names - known


def test_no_shared_control_socket_unless_one_is_named(monkeypatch):
    monkeypatch.delenv("GUNICORN_CONTROL_SOCKET", raising=False)
    assert settings(monkeypatch)["control_socket_disable"] is True
    named = settings(monkeypatch, GUNICORN_CONTROL_SOCKET="/run/feedback/a.ctl")
    assert named["control_socket_disable"] is False
    assert named["control_socket"] == "/run/feedback/a.ctl"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.headers.get_content_type(), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get_content_type(), exc.read()


def _wait_up(port: int, proc) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        try:
            if _get(f"http://127.0.0.1:{port}/kiosk/manifest.webmanifest", timeout=1)[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start")


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("gunicorn")
    home = tmp_path / "home"
    home.mkdir()
    procs, ports = [], []
    for n in range(2):
        port = _free_port()
        env = {
            **os.environ,
            "HOME": str(home),
            "XDG_RUNTIME_DIR": str(home),
            "PORT": str(port),
            "WEB_CONCURRENCY": "1",
            "GUNICORN_THREADS": "2",
            "GUNICORN_ACCESSLOG": "",
            "INSTANCE_PATH": str(tmp_path / f"instance{n}"),
            "DATABASE_URL": f"sqlite:///{tmp_path / f'db{n}.sqlite'}",
            "SECRET_KEY": "test-secret-key",
        }
        env.pop("GUNICORN_CONTROL_SOCKET", None)
        procs.append(
            subprocess.Popen(
                [str(GUNICORN), "-c", str(CONF), "wsgi:app"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        )
        ports.append(port)
    try:
        for port, proc in zip(ports, procs, strict=True):
            _wait_up(port, proc)
        yield ports, home
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.mark.slow
def test_two_instances_run_side_by_side_without_a_control_socket(two_servers):
    ports, home = two_servers
    for port in ports:
        assert _get(f"http://127.0.0.1:{port}/kiosk/manifest.webmanifest")[0] == 200
    assert not list(home.rglob("*.ctl")), list(home.rglob("*"))


@pytest.mark.slow
@pytest.mark.parametrize("length", [4500, 8000])
def test_a_long_query_string_gets_problem_json_414(two_servers, length):
    ports, _home = two_servers
    status, content_type, body = _get(f"http://127.0.0.1:{ports[0]}/api/v1/summary?q={'x' * length}")
    assert status == 414
    assert content_type == "application/problem+json", body[:200]
    status, content_type, _body = _get(f"http://127.0.0.1:{ports[0]}/admin/?q={'x' * length}")
    assert status == 414 and content_type == "text/html"

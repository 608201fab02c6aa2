"""The Dockerfile's final stage, rehearsed without a container engine (.ci/deploy-check runs it):
its steps with the Dockerfile's own values, relocated under a temporary folder.

Copies the files .dockerignore lets into the build context, makes the wheels as the builder does,
installs only them into a venv at the image's VIRTUAL_ENV, then, as an unprivileged user
(``nobody``) and from the image's WORKDIR with its ENV, runs the migrate role's command, the CMD
(gunicorn) and the HEALTHCHECK command, and fetches the readiness check and a static file. So the
image's paths, user and commands are proven to fit what the wheel installs. Differences from the
image: Debian's Python instead of python:3.11-slim's, gunicorn on 127.0.0.1 (this machine's
network rules) and SQLite in the instance folder instead of PostgreSQL.

Usage: ``python -m tests.deploy.rehearse WORK_DIR`` (as root, for the switch to ``nobody``).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.deploy.files import ROOT, dockerfile_stages, in_build_context, tracked_files

# A Python every user may run (pyenv's lives under /root); the image has its own.
PYTHON = "/usr/bin/python3"
NOBODY = 65534
AS_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]


def _run(command: list, **kwargs) -> None:
    """Run quietly; on failure show what the command said and stop."""
    done = subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(port: int, path: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"X-Forwarded-Proto": "https"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def rehearse(work: Path) -> None:
    final = dockerfile_stages()[-1]
    image_env = final.env()
    image_root = work / "image"  # the image's file system, relocated

    def inside(path: str) -> Path:
        return image_root / path.lstrip("/")

    context, wheels = work / "context", work / "wheels"
    for name in tracked_files():
        if in_build_context(name):
            (context / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, context / name)

    venv = inside(image_env["VIRTUAL_ENV"])
    _run([PYTHON, "-m", "venv", venv])
    pip = [venv / "bin" / "pip", "--quiet", "--disable-pip-version-check", "--no-cache-dir"]
    _run([*pip, "wheel", "--wheel-dir", wheels, "-r", context / "requirements" / "app.txt"])
    _run([*pip, "wheel", "--no-deps", "--wheel-dir", wheels, context])
    _run([*pip, "install", "--no-index", "--find-links", wheels, "-r", context / "requirements" / "app.txt"])
    _run([*pip, "install", "--no-index", "--no-deps", *wheels.glob("counter_feedback-*.whl")])

    instance = inside(image_env["INSTANCE_PATH"])
    instance.mkdir(parents=True)
    os.chown(instance, NOBODY, NOBODY)
    for folder in [work, *work.rglob("*")]:  # readable by nobody, writable only in the instance folder
        if folder.is_dir():
            folder.chmod(0o755 if folder != instance else 0o750)
    port = _free_port()
    env = {
        **{name: value for name, value in image_env.items() if name != "PATH"},
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "VIRTUAL_ENV": str(venv),
        "INSTANCE_PATH": str(instance),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "WEB_CONCURRENCY": "1",
        "HOME": "/nonexistent",
    }
    workdir = inside(final.last("WORKDIR").args)
    _run([*AS_NOBODY, "flask", "--app", "feedback.app", "db", "upgrade"], cwd=workdir, env=env)
    log = (work / "gunicorn.log").open("w")
    cmd = [*AS_NOBODY, *final.last("CMD").exec_form()]
    server = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        healthcheck = [*AS_NOBODY, *final.last("HEALTHCHECK").exec_form()]
        deadline = time.monotonic() + 30
        while subprocess.run(healthcheck, cwd=workdir, env=env, capture_output=True).returncode != 0:
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit("the HEALTHCHECK command never passed:\n" + (work / "gunicorn.log").read_text())
            time.sleep(0.3)
        for path in ("/readyz", "/kiosk", "/static/kiosk/kiosk.js"):
            assert _get(port, path) == 200, path
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    print(f"final stage rehearsed: as uid {NOBODY} in {final.last('WORKDIR').args}, migrated, served, healthy")


if __name__ == "__main__":
    rehearse(Path(sys.argv[1]))

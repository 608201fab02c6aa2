"""The Dockerfile: a builder stage makes wheels, the final python:3.11-slim stage installs only those,
runs as a non-root user with no compiler, and its HEALTHCHECK and CMD work with what the wheel
installs. (.ci/deploy-check lints it with hadolint too.)"""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
import threading

import pytest
from werkzeug.serving import make_server

from tests.deploy.files import ROOT, dockerfile_stages, in_build_context, tracked_files

STAGES = dockerfile_stages()
BUILDER, FINAL = STAGES[0], STAGES[-1]
COMPILERS = re.compile(r"\b(gcc|g\+\+|cc|clang|build-essential|make|python3?-dev|libpq-dev)\b")


def _setup_cfg() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return config


def test_multi_stage_builder_then_a_slim_final_stage():
    assert len(STAGES) >= 2
    assert FINAL.image == "python:3.11-slim"
    assert BUILDER.name and all(stage.image.startswith("python:3.11") for stage in STAGES)


def test_the_builder_makes_wheels_of_the_locked_requirements_and_of_the_project():
    runs = " ".join(i.args for i in BUILDER.all("RUN"))
    assert "pip wheel --wheel-dir /wheels -r requirements/app.txt" in runs
    assert "pip wheel --no-deps --wheel-dir /wheels ." in runs


def test_the_final_stage_installs_only_wheels_and_no_compiler():
    runs = [i.args for i in FINAL.all("RUN")]
    assert not any("apt-get" in run or COMPILERS.search(run) for run in runs)
    assert not FINAL.all("COPY") and not FINAL.all("ADD")  # no source, no build tree
    install = next(run for run in runs if "pip install" in run)
    assert f"--mount=type=bind,from={BUILDER.name},source=/wheels,target=/wheels" in install
    assert install.count("--no-index") == install.count("pip install") == 2


def test_the_compiler_check_finds_one():
    assert COMPILERS.search("apt-get install -y --no-install-recommends build-essential")
    assert COMPILERS.search("apt-get install gcc libpq-dev")
    assert not COMPILERS.search("pip install --no-index --find-links=/wheels -r /tmp/app.txt")


def test_the_wheel_glob_names_this_project():
    name = _setup_cfg()["metadata"]["name"].replace("-", "_")
    install = next(i.args for i in FINAL.all("RUN") if "pip install" in i.args)
    assert f"/wheels/{name}-*.whl" in install


def test_the_final_stage_runs_as_a_non_root_user_it_creates():
    user = FINAL.last("USER").args
    uid, _, gid = user.partition(":")
    assert uid not in ("root", "0") and gid not in ("root", "0")
    created = " ".join(i.args for i in FINAL.all("RUN"))
    assert f"--uid {uid}" in created and (not gid or f"--gid {gid}" in created)
    # The instructions after USER run as that user: nothing after it installs or changes files.
    after = FINAL.instructions[FINAL.instructions.index(FINAL.last("USER")) :]
    assert not any(i.keyword in ("RUN", "COPY", "ADD") for i in after)


def test_the_user_may_write_the_instance_folder_and_nothing_else_is_needed():
    env = FINAL.env()
    created = " ".join(i.args for i in FINAL.all("RUN"))
    assert re.search(r"install -d -o feedback -g feedback -m 0750 .*" + re.escape(env["INSTANCE_PATH"]), created)
    assert env["FEEDBACK_ENV"] == "production"
    assert env["HOST"] == "0.0.0.0" and env["PORT"] == "8000"


def test_cmd_runs_gunicorn_from_the_wheels_share_folder():
    assert FINAL.last("CMD").exec_form() == ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
    assert FINAL.last("EXPOSE").args == FINAL.env()["PORT"] == "8000"
    # WORKDIR is where setup.cfg's data_files put gunicorn.conf.py in the venv, and wsgi is a module
    # of the wheel: `gunicorn -c gunicorn.conf.py wsgi:app` finds both there.
    venv = FINAL.env()["VIRTUAL_ENV"]
    assert FINAL.last("WORKDIR").args == f"{venv}/share/counter-feedback"
    options = _setup_cfg()["options"]
    data_files = _setup_cfg()["options.data_files"]
    assert data_files["share/counter-feedback"].strip() == "gunicorn.conf.py"
    assert "share/counter-feedback/migrations" in data_files  # `flask db upgrade` (migrate role)
    assert options["py_modules"].strip() == "wsgi"
    assert FINAL.env()["PATH"].startswith(f"{venv}/bin:")


def test_the_healthcheck_asks_livez_with_python_because_slim_has_no_curl():
    check = FINAL.last("HEALTHCHECK")
    command = check.exec_form()
    assert command[:2] == ["python", "-c"] and "/livez" in command[2] and "urllib" in command[2]
    assert {"interval", "timeout", "start-period", "retries"} <= set(check.flags())


@pytest.fixture
def livez_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()


def _run_healthcheck(port: int) -> int:
    command = FINAL.last("HEALTHCHECK").exec_form()
    env = {**os.environ, "PORT": str(port)}
    return subprocess.run([sys.executable, *command[1:]], env=env, capture_output=True, timeout=30).returncode


def test_the_healthcheck_command_passes_against_a_live_app_and_fails_without_one(livez_server):
    assert _run_healthcheck(livez_server) == 0
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    assert _run_healthcheck(closed) != 0


def test_the_build_context_holds_what_the_wheel_needs_and_no_secret_or_local_state():
    needed = [
        "setup.cfg",
        "pyproject.toml",
        "MANIFEST.in",
        "README.md",
        "wsgi.py",
        "gunicorn.conf.py",
        "requirements/app.txt",
    ]
    tracked = tracked_files()
    needed += [f for f in tracked if f.split("/")[0] in ("feedback", "kiosk_app", "admin_app", "static", "migrations")]
    assert [f for f in needed if not in_build_context(f)] == []
    for path in (
        ".env",
        ".git/config",
        ".venv/bin/python",
        "instance/feedback.db",
        "instance/secret_key",
        "deploy/production.env",
        "deploy/secrets/postgres_password",
        "feedback/__pycache__/app.cpython-311.pyc",
        "counter_feedback.egg-info/SOURCES.txt",
        "build/lib/wsgi.py",
    ):
        assert not in_build_context(path), path

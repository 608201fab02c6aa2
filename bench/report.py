"""Shared helpers for the benchmarks: fresh databases, enrolment, machine facts, and
writing a script's section of docs/PERFORMANCE.md between its markers.

Every benchmark makes its own database (a SQLite file in a temporary folder, or a
new PostgreSQL schema) and removes it at the end, so runs never see each other's
rows and never touch other schemas.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "PERFORMANCE.md"
VENV_BIN = Path(sys.executable).parent
DEFAULT_PG = "postgresql://root@127.0.0.1:5432/test"

# Offices in different time zones, so rollup buckets are computed in several zones.
ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Pacific/Honolulu",
    "America/Anchorage",
)


# ---------------------------------------------------------------- databases


def instance_dir() -> str:
    """A temporary Flask instance folder, removed when the benchmark exits."""
    import atexit
    import shutil

    path = tempfile.mkdtemp(prefix="feedback-bench-instance-")
    atexit.register(shutil.rmtree, path, True)
    return path


@contextmanager
def fresh_database(kind: str, pg_url: str = DEFAULT_PG, keep: bool = False):
    """Yield ``(database_url, info)`` for an empty database of ``kind`` ("sqlite" or "postgresql").

    SQLite: a file in a new temporary folder, deleted afterwards (with its -wal/-shm).
    PostgreSQL: a new schema ``bench_<hex>`` selected with ``search_path``, dropped afterwards.
    """
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="feedback-bench-"))
        path = folder / "bench.db"
        try:
            yield f"sqlite:///{path}", {"kind": "sqlite", "path": str(path), "folder": str(folder)}
        finally:
            if not keep:
                for p in folder.glob("*"):
                    p.unlink()
                folder.rmdir()
        return
    if kind != "postgresql":
        raise ValueError(kind)
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    sep = "&" if "?" in pg_url else "?"
    # application_name lets a benchmark find its own sessions in pg_stat_activity.
    url = f"{pg_url}{sep}options={quote(f'-csearch_path={schema}')}&application_name={schema}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield url, {"kind": "postgresql", "schema": schema, "base_url": pg_url}
    finally:
        if not keep:
            with psycopg.connect(pg_url, autocommit=True) as conn:
                # End any session still using the schema (a benchmark's own server), then drop it.
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def app_env(database_url: str, instance: str | None = None, **extra) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench-secret-key",
            "INSTANCE_PATH": instance or instance_dir(),
        }
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def migrate(database_url: str, env: dict | None = None) -> None:
    """``flask --app feedback.app db upgrade`` against ``database_url`` (the real migrations)."""
    env = env or app_env(database_url)
    subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "feedback.app", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )


def enroll(
    database_url: str,
    *,
    locations: int,
    devices_per_location: int,
    scale: str = "faces5",
    instance: str | None = None,
    survey_scales: tuple[str, ...] | None = None,
) -> dict:
    """Create offices, locations and kiosks with the services; returns ids, tokens and zones.

    ``survey_scales``: one survey per scale, assigned to locations round-robin (default: one survey).
    """
    from bench.sites import Sites
    from feedback.app import create_app
    from feedback.config import normalize_database_url
    from feedback.database import write_transaction
    from feedback.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": normalize_database_url(database_url),
            "INSTANCE_PATH": instance or instance_dir(),
            "SECRET_KEY": "bench-secret-key",
        }
    )
    out = {"locations": [], "devices": [], "surveys": {}}
    with app.app_context():
        s = db.session
        with write_transaction(s):
            sites = Sites(s)
            scales = survey_scales or (scale,)
            surveys = [sites.survey(f"Bench {sc}", sc) for sc in scales]
            for sv in surveys:
                v = sv.current_version()
                out["surveys"][sv.id] = {
                    "version_id": v.id,
                    "scale": v.scale,
                    "followup_choices": list(v.followup_choices),
                }
            offices = []
            for i, tz in enumerate(ZONES):
                office, _ = sites.office(f"Bench office {i}", tz)
                offices.append(office)
            for n in range(locations):
                office = offices[n % len(offices)]
                survey = surveys[n % len(surveys)]
                loc = sites.location(f"B{n:04d}", office, survey)
                version = out["surveys"][survey.id]
                out["locations"].append(
                    {
                        "id": loc.id,
                        "code": loc.code,
                        "tz": office.timezone,
                        "version_id": version["version_id"],
                        "scale": version["scale"],
                        "followup_choices": version["followup_choices"],
                        "opening_hours": office.opening_hours,
                    }
                )
                for d in range(devices_per_location):
                    dev, token = sites.kiosk(loc, label=f"bench {n}/{d}")
                    out["devices"].append({"id": dev.id, "location_id": loc.id, "token": token})
        db.session.remove()
        db.engine.dispose()
    return out


# ---------------------------------------------------------------- facts and figures


def machine() -> str:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, AttributeError):
        pass
    return (
        f"nproc={os.cpu_count()}, CPU: {model}{mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for pkg in ("flask", "sqlalchemy", "gunicorn", "psycopg", "marshmallow"):
        with contextlib.suppress(PackageNotFoundError):
            parts.append(f"{pkg} {version(pkg)}")
    import sqlite3

    parts.append(f"SQLite {sqlite3.sqlite_version}")
    try:
        import psycopg

        with psycopg.connect(DEFAULT_PG) as conn:
            parts.append("PostgreSQL " + conn.execute("show server_version").fetchone()[0])
    except Exception:  # noqa: BLE001  # no driver or no server: the report names SQLite alone
        pass
    return ", ".join(parts)


def command_line(module: str) -> str:
    return f".venv/bin/python -m {module} " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def median(values) -> float:
    return statistics.median(values)


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines)


def write_section(name: str, body: str) -> None:
    """Replace the text between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->`` (append if absent)."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    text = DOC.read_text() if DOC.exists() else "# Performance\n"
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _m: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text)


def revision() -> str:
    marker = ROOT / ".bench-revision"  # a clean export of a commit names it here
    if marker.exists():
        return marker.read_text().strip()
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}{' + uncommitted changes in the work tree' if dirty else ''}"


LOAD_AT_IMPORT = os.getloadavg()[0]  # the scripts import this module first thing


def header(title: str, module: str, started: float, settings: str) -> str:
    return (
        f"### {title}\n\n"
        f"- Command: `{command_line(module).strip()}`\n"
        f"- Date: {now_utc()} (took {time.time() - started:.0f} s)\n"
        f"- Code: {revision()}\n"
        f"- Machine: {machine()}; shared: other sessions' test suites and CI may run at the same time "
        f"(1-minute load average {LOAD_AT_IMPORT:.1f} at the start, {os.getloadavg()[0]:.1f} at the end)\n"
        f"- Software: {versions()}\n"
        f"- Settings: {settings}\n"
    )

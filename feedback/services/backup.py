"""Backups of the database to a file, their check, and a restore from one.

SQLite: ``sqlite3.Connection.backup`` copies the live file in one step, a consistent snapshot
that WAL lets gunicorn keep writing through; the copy is switched to a self-contained rollback
journal and checked (``PRAGMA integrity_check``, the Alembic version row) before it gets its
final name, so a file named ``feedback-*.sqlite3`` is always a whole, checked backup.

PostgreSQL: ``pg_dump --format=custom`` of the configured database, limited to the schema the
app uses (``public``, or the one its URL sets with ``options=-csearch_path=...``, as the tests
do), checked by reading its table of contents and its Alembic row back with ``pg_restore``.
A restore is ``pg_restore --clean --if-exists --single-transaction`` into that schema.

Only the ``keep`` newest backups in a folder are kept. The password of a PostgreSQL URL goes
to the tools in ``PGPASSWORD``, never on a command line other users can read.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from sqlalchemy import Engine, MetaData, inspect, select, text
from sqlalchemy.engine import URL

from feedback.database import DbSession

PREFIX = "feedback-"
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".dump"}
ALEMBIC_TABLE = "alembic_version"


class BackupError(RuntimeError):
    """A backup or restore that could not be made or did not check out; nothing was replaced."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int  # bytes
    alembic_version: str | None  # None: the database was never migrated (a test's create_all)
    removed: tuple[Path, ...] = ()  # older backups pruned to keep the newest ``keep``


# --- shared ---------------------------------------------------------------------------------------


def _dialect(url: URL) -> str:
    name = url.get_backend_name()
    if name not in SUFFIXES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {name!r}.")
    return name


def _target_name(target_dir: Path, now: datetime, suffix: str) -> Path:
    stem = f"{PREFIX}{now:%Y%m%dT%H%M%SZ}"
    path = target_dir / f"{stem}{suffix}"
    n = 1
    while path.exists():  # two backups within one second
        path = target_dir / f"{stem}-{n}{suffix}"
        n += 1
    return path


def backups_in(target_dir: Path) -> list[Path]:
    """The finished backups in ``target_dir``, oldest first (the names sort by time)."""
    if not target_dir.is_dir():
        return []
    found = [p for p in target_dir.iterdir() if p.name.startswith(PREFIX) and p.suffix in SUFFIXES.values()]
    return sorted((p for p in found if p.is_file()), key=_age_key)


def _age_key(path: Path) -> tuple[str, int]:
    """``feedback-<UTC time>[-n]``: by time, then by ``n`` (a second backup within the second)."""
    stamp, _, n = path.stem[len(PREFIX) :].partition("-")
    return stamp, int(n) if n.isdigit() else 0


def prune(target_dir: Path, keep: int) -> tuple[Path, ...]:
    """Delete all but the ``keep`` newest backups (``keep`` <= 0 keeps every one)."""
    if keep <= 0:
        return ()
    old = tuple(backups_in(target_dir)[:-keep])
    for path in old:
        path.unlink(missing_ok=True)
    return old


def is_empty(engine: Engine, metadata: MetaData) -> bool:
    """Whether no table of the app holds a row (a new database, or one with no tables yet)."""
    existing = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name in existing and conn.execute(select(table).limit(1)).first() is not None:
                return False
    return True


def backup(engine: Engine, target_dir: Path, now: datetime, keep: int = 14) -> Backup:
    """Back the database of ``engine`` up to a new timestamped file in ``target_dir``, check it,
    then prune the folder to the ``keep`` newest backups."""
    url = engine.url
    dialect = _dialect(url)
    target_dir.mkdir(parents=True, exist_ok=True)
    path = _target_name(target_dir, now, SUFFIXES[dialect])
    partial = path.with_name(path.name + ".partial")
    try:
        version = _sqlite_backup(url, partial) if dialect == "sqlite" else _pg_backup(url, partial)
        partial.rename(path)
    except (sqlite3.Error, OSError) as exc:
        raise BackupError(f"The backup failed: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return Backup(path, path.stat().st_size, version, prune(target_dir, keep))


def backup_job(session: DbSession, now: datetime, config: Mapping[str, Any]) -> str:
    """The scheduled job (same shape as ``retention.retention_job``): a backup by the app's
    settings, in one line. Raises BackupError when it failed (nothing is left behind)."""
    done = backup(session.get_bind().engine, Path(config["BACKUP_DIR"]), now, keep=int(config.get("BACKUP_KEEP", 14)))
    pruned = f", {len(done.removed)} older removed" if done.removed else ""
    return f"Backup {done.path} ({done.size} bytes, revision {done.alembic_version or 'none'}{pruned})."


def restore(engine: Engine, metadata: MetaData, source: Path, *, force: bool = False) -> str | None:
    """Replace the database of ``engine`` with the backup ``source``; return its Alembic version.

    Refused when the database holds any row, unless ``force``. The engine's pooled connections
    are closed before and after, so none keeps reading the old pages or tables.
    """
    url = engine.url
    dialect = _dialect(url)
    if not source.is_file():
        raise BackupError(f"No backup file {source}.")
    if not force and not is_empty(engine, metadata):
        raise BackupError("The database is not empty; restoring would replace its data (use --force).")
    engine.dispose()
    try:
        return _sqlite_restore(url, source) if dialect == "sqlite" else _pg_restore(engine, source)
    except (sqlite3.Error, OSError) as exc:
        raise BackupError(f"The restore failed: {exc}") from exc
    finally:
        engine.dispose()


# --- SQLite ---------------------------------------------------------------------------------------


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database has no file to back up.")
    return Path(url.database)


def _sqlite_version(conn: sqlite3.Connection) -> str | None:
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (ALEMBIC_TABLE,)).fetchone():
        return None
    row = conn.execute(f"SELECT version_num FROM {ALEMBIC_TABLE}").fetchone()
    if row is None:
        raise BackupError("The backup's alembic_version table has no row.")
    return str(row[0])


def check_sqlite(path: Path) -> str | None:
    """Check a SQLite backup file; return its Alembic version (None if it has no such table)."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if result == ["ok"]:
                return _sqlite_version(conn)
    except sqlite3.Error as exc:
        result = [str(exc)]
    raise BackupError(f"The backup {path} failed its integrity check: {'; '.join(map(str, result[:5]))}")


def _sqlite_backup(url: URL, partial: Path) -> str | None:
    live = _sqlite_file(url)
    if not live.is_file():
        raise BackupError(f"No database file {live}.")
    with closing(sqlite3.connect(live, timeout=30)) as source, closing(sqlite3.connect(partial)) as copy:
        source.backup(copy)  # all pages in one step: one read snapshot, writers go on (WAL)
        with source:
            expected = _sqlite_version(source)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    version = check_sqlite(partial)
    if version != expected:
        raise BackupError(f"The backup's Alembic version {version!r} is not the database's {expected!r}.")
    return version


def _sqlite_restore(url: URL, source: Path) -> str | None:
    version = check_sqlite(source)
    live = _sqlite_file(url)
    live.parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
        closing(sqlite3.connect(live, timeout=30)) as dest,
    ):
        src.backup(dest)  # page by page under the destination's write lock: readers see old or new
        dest.execute("PRAGMA journal_mode=WAL")
    return version


# --- PostgreSQL -----------------------------------------------------------------------------------


def pg_schema(url: URL) -> str:
    """The schema the app uses: ``search_path`` from the URL's ``options``, else ``public``."""
    raw = url.query.get("options", "")
    words = " ".join((raw,) if isinstance(raw, str) else raw)
    tokens = unquote(words).split()
    settings = []  # libpq spells a setting "-c name=value", "-cname=value" or "--name=value"
    for k, token in enumerate(tokens):
        if token == "-c" and k + 1 < len(tokens):
            settings.append(tokens[k + 1])
        elif token.startswith(("--", "-c")):
            settings.append(token[2:])
    for setting in settings:
        key, _, value = setting.partition("=")
        if key.strip().replace("-", "_") == "search_path" and value:
            return value.split(",")[0].strip().strip('"')
    return "public"


def libpq_command_args(url: URL) -> tuple[str, dict[str, str]]:
    """The ``--dbname`` URI for pg_dump/pg_restore (no driver, no password) and their environment."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    # ``URL.set`` leaves a field alone when given None, so the URL is built again without it.
    plain = URL.create("postgresql", url.username, None, url.host, url.port, url.database, url.query)
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str]) -> str:
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(f"{args[0]} is not installed (PostgreSQL client tools).") from exc
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed: {done.stderr.strip() or done.returncode}")
    return done.stdout


def _pg_version_in(path: Path, schema: str, env: dict[str, str]) -> str | None:
    listing = _run(["pg_restore", "--list", str(path)], env)
    if f" TABLE {schema} " not in listing:
        raise BackupError(f"The dump {path} holds no table of schema {schema!r}.")
    if f" TABLE DATA {schema} {ALEMBIC_TABLE} " not in listing:
        return None
    script = _run(
        ["pg_restore", "--data-only", f"--schema={schema}", f"--table={ALEMBIC_TABLE}", "--file=-", str(path)], env
    )
    rows = _copy_rows(script.splitlines())
    if not rows:
        raise BackupError("The dump's alembic_version table has no row.")
    return rows[0]


def _copy_rows(lines: list[str]) -> list[str]:
    out: list[str] = []
    inside = False
    for line in lines:
        if line.startswith("COPY "):
            inside = True
        elif inside and line == "\\.":
            inside = False
        elif inside:
            out.append(line)
    return out


def _pg_backup(url: URL, partial: Path) -> str | None:
    dbname, env = libpq_command_args(url)
    schema = pg_schema(url)
    _run(
        ["pg_dump", "--format=custom", f"--schema={schema}", f"--file={partial}", f"--dbname={dbname}"],
        env,
    )
    return _pg_version_in(partial, schema, env)


def _pg_restore(engine: Engine, source: Path) -> str | None:
    url = engine.url
    dbname, env = libpq_command_args(url)
    schema = pg_schema(url)
    version = _pg_version_in(source, schema, env)
    with engine.begin() as conn:  # a new database has no test schema yet (``public`` always exists)
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    # --schema restores the objects in it but not the schema itself, so --clean never drops the
    # schema (which would fail on any table made after the backup).
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--no-owner",
            f"--schema={schema}",
            f"--dbname={dbname}",
            str(source),
        ],
        env,
    )
    return version

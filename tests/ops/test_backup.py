"""``flask backup`` and ``flask restore`` on the database this run tests (SQLite or PostgreSQL).

Each test builds its own migrated database (``flask db upgrade``, so the Alembic row is there as in
production), fills it through the real write paths (kiosk ingest, the QR form's rows, the phone
survey), backs it up, changes or loses the data, restores, and compares every table, the rollups
included, with the state before the backup.
"""

from __future__ import annotations

import hashlib
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import delete, func, inspect, make_url, select, text

from feedback.app import create_app
from feedback.database import write_transaction
from feedback.extensions import db
from feedback.models import AuditEntry, Response
from feedback.services import audit, comments
from feedback.services import backup as backups
from feedback.services.actors import CLI
from tests.builders import Builder
from tests.helpers.responses import item, kiosk, qr, say, utc

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def ops_app(fresh_database_url, tmp_path):
    """An app on a database of its own, migrated to head, backing up to ``tmp_path/backups``."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": fresh_database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "BACKUP_DIR": str(tmp_path / "backups"),
            "CLOCK": lambda: NOW,
            "ROLLUP_FOLD": "inline",  # as the suite's app: a phone answer is counted before its answer
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


def head_revision() -> str:
    """The newest migration's revision, what a freshly migrated database records."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from feedback.config import resource_dir

    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    return ScriptDirectory.from_config(config).get_current_head() or ""


def fill(session) -> dict:
    """Two offices, kiosk taps, QR rows and phone comments (one marked spam), an audit trail."""
    build = Builder(session)
    chicago = build.office("Chicago", tz="America/Chicago")
    honolulu = build.office("Honolulu", tz="Pacific/Honolulu")
    c1 = build.location("C-1", office=chicago)
    h1 = build.location("H-1", office=honolulu)
    device, _token = build.device(c1)
    build.user_token()
    kiosk(session, device, [item(r, utc("2026-11-10T15:00") + timedelta(minutes=r)) for r in (5, 4, 1, 3, 5)])
    kiosk(session, device, [item(2, utc("2026-11-11T16:00"), offered=("ease",), chosen=("ease",))])
    qr(session, h1, [item(r, utc("2026-11-12T20:00") + timedelta(minutes=r)) for r in (1, 2, 5)])
    spam = say(session, c1, 1, utc("2026-11-13T15:00"), "BUY WATCHES")
    say(session, h1, 4, utc("2026-11-13T21:00"), "Quick and friendly", choices=("ease",))
    comments.act(session, CLI, {c1.id, h1.id}, "mark_spam", [spam])
    return {"C-1": c1, "H-1": h1, "device": device}


def snapshot(engine) -> dict[str, tuple[int, str]]:
    """Every table (the rollups and alembic_version included): its row count and a digest of its rows."""
    state = {}
    with engine.connect() as conn:
        for name in sorted(inspect(engine).get_table_names()):
            rows = sorted(repr(tuple(r)) for r in conn.execute(text(f'SELECT * FROM "{name}"')))
            state[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return state


def invoke(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def test_backup_change_restore_gives_back_every_row(ops_app):
    session = db.session
    world = fill(session)
    before = snapshot(db.engine)
    assert before["responses"][0] == 11 and before["response_hourly"][0] > 0 and before["followup_daily"][0] > 0
    assert before["alembic_version"][0] == 1

    made = invoke(ops_app, "backup")
    assert made.exit_code == 0, made.output + made.stderr
    path = Path(made.stdout.strip())
    assert path.parent == Path(ops_app.config["BACKUP_DIR"]) and path.is_file()
    assert path.name.startswith("feedback-20261120T120000Z")
    assert f"schema revision {head_revision()}" in made.stderr

    # After the backup: more taps, a comment handled, some responses and audit entries deleted.
    kiosk(session, world["device"], [item(5, utc("2026-11-14T15:00"))])
    with write_transaction(session):
        session.execute(delete(AuditEntry))
        audit.record(session, CLI, "test.after_backup", "test", None)
    open_ids = list(session.scalars(select(Response.id).where(Response.comment_state == "open")))
    comments.act(session, CLI, {world["C-1"].id, world["H-1"].id}, "handle", open_ids)
    session.remove()
    assert snapshot(db.engine) != before

    refused = invoke(ops_app, "restore", str(path))
    assert refused.exit_code == 1 and "not empty" in refused.stderr
    assert snapshot(db.engine)["responses"][0] == 12  # nothing was replaced

    restored = invoke(ops_app, "restore", "--force", str(path))
    assert restored.exit_code == 0, restored.output + restored.stderr
    assert f"schema revision {head_revision()}" in restored.stdout
    assert snapshot(db.engine) == before

    # The running app goes on writing to the restored database.
    kiosk(session, world["device"], [item(4, utc("2026-11-15T15:00"))])
    assert session.scalar(select(func.count()).select_from(Response)) == 12


def _drop_everything(engine) -> None:
    """Lose the database: the SQLite file is deleted; every table of the PostgreSQL schema dropped."""
    engine.dispose()
    if engine.url.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(engine.url.database + suffix).unlink(missing_ok=True)
        return
    with engine.begin() as conn:
        for name in inspect(conn).get_table_names():
            conn.execute(text(f'DROP TABLE "{name}" CASCADE'))
    engine.dispose()


def test_restore_into_a_lost_database_needs_no_force(ops_app, tmp_path):
    fill(db.session)
    before = snapshot(db.engine)
    done = backups.backup(db.engine, tmp_path / "elsewhere", NOW)
    assert done.alembic_version is not None and done.alembic_version.startswith(head_revision())
    db.session.remove()
    _drop_everything(db.engine)
    assert inspect(db.engine).get_table_names() == []

    restored = invoke(ops_app, "restore", str(done.path))
    assert restored.exit_code == 0, restored.output + restored.stderr
    assert snapshot(db.engine) == before


def test_only_the_newest_backups_are_kept(ops_app, tmp_path):
    fill(db.session)
    folder = tmp_path / "kept"
    made = [backups.backup(db.engine, folder, NOW + timedelta(hours=h), keep=2) for h in range(3)]
    assert [p.name for p in backups.backups_in(folder)] == [m.path.name for m in made[1:]]
    assert made[2].removed == (made[0].path,)
    # --keep 0 keeps every one.
    again = invoke(ops_app, "backup", "--to", str(folder), "--keep", "0")
    assert again.exit_code == 0, again.stderr
    assert len(backups.backups_in(folder)) == 3
    # A second backup within the same second is the newer one, so pruning drops the first.
    twice = [backups.backup(db.engine, folder, NOW + timedelta(hours=5), keep=0) for _ in range(3)]
    ext = twice[0].path.suffix
    assert [t.path.name for t in twice] == [f"feedback-20261120T170000Z{n}{ext}" for n in ("", "-1", "-2")]
    assert backups.backups_in(folder)[-3:] == [t.path for t in twice]
    backups.prune(folder, 1)
    assert backups.backups_in(folder) == [twice[-1].path]
    assert not list(folder.glob("*.partial"))


def test_a_backup_that_fails_leaves_nothing(ops_app, tmp_path, monkeypatch):
    folder = tmp_path / "failing"

    def broken(*_args):
        raise backups.BackupError("disk full")

    monkeypatch.setattr(backups, "_sqlite_backup", broken)
    monkeypatch.setattr(backups, "_pg_backup", broken)
    made = invoke(ops_app, "backup", "--to", str(folder))
    assert made.exit_code == 1 and "disk full" in made.stderr
    assert list(folder.iterdir()) == []


def _counted(engine) -> tuple[int, int]:
    """Responses that count (not spam) and are folded (a tap's row waits, pending, for the fold:
    services/fold.py), and the responses the hourly rollup holds: equal when consistent."""
    with engine.connect() as conn:
        responses = conn.scalar(
            text("SELECT count(*) FROM responses WHERE comment_state IS DISTINCT FROM 'spam' AND NOT pending")
        )
        rolled = conn.scalar(text("SELECT coalesce(sum(n), 0) FROM response_hourly"))
    return int(responses), int(rolled)


def test_a_backup_taken_while_taps_keep_coming_is_consistent(ops_app, tmp_path):
    world = fill(db.session)
    device_id = world["device"].id
    with write_transaction(db.session):  # some bulk, so the copy takes a while
        db.session.execute(
            AuditEntry.__table__.insert(),
            [{"actor": "cli", "action": "test.bulk", "target_type": "test", "details": {}, "at": NOW}] * 20000,
        )
    db.session.remove()
    stop, first = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        from feedback.models import Device

        try:
            with ops_app.app_context():
                device = db.session.get(Device, device_id)
                moment = utc("2026-11-16T15:00")
                while not stop.is_set():
                    kiosk(db.session, device, [item(r, moment + timedelta(seconds=r)) for r in (1, 3, 5)])
                    moment += timedelta(minutes=1)
                    first.set()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001  (reported by the test below)
            errors.append(exc)
            first.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert first.wait(30)
        start_count = _counted(db.engine)[0]
        made = [backups.backup(db.engine, tmp_path / "live", NOW + timedelta(seconds=k), keep=0) for k in range(3)]
        end_count = _counted(db.engine)[0]
    finally:
        stop.set()
        thread.join(30)
    assert not errors, errors
    assert end_count > start_count  # the writer really wrote while the backups were taken
    if db.engine.url.get_backend_name() == "sqlite":
        for done in made:
            assert backups.check_sqlite(done.path) is not None  # integrity_check ok, Alembic row there
    # Each copy holds whole transactions only: every counted response is in the rollups once.
    for done in made:
        assert backups.restore(db.engine, db.metadata, done.path, force=True) is not None
        responses, rolled = _counted(db.engine)
        assert responses == rolled and start_count <= responses <= end_count


@pytest.mark.parametrize(
    ("url", "schema"),
    [
        ("postgresql+psycopg://app:s3cret@db.example:5432/feedback", "public"),
        ("postgresql+psycopg://app@db/feedback?options=-csearch_path%3Dtest_ab12", "test_ab12"),
        ("postgresql+psycopg://app@db/feedback?options=-c%20search_path%3Dagency%2Cpublic", "agency"),
        ("postgresql+psycopg://app@db/feedback?options=-cstatement_timeout%3D5000", "public"),
    ],
)
def test_the_tools_get_the_schema_and_never_the_password_on_their_command_line(url, schema):
    parsed = make_url(url)
    assert backups.pg_schema(parsed) == schema
    dbname, env = backups.libpq_command_args(parsed)
    assert dbname.startswith("postgresql://app@db") and "s3cret" not in dbname and "psycopg" not in dbname
    assert env.get("PGPASSWORD") == ("s3cret" if "s3cret" in url else os.environ.get("PGPASSWORD"))


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_a_damaged_backup_is_refused_and_the_database_left_as_it_was(ops_app, tmp_path, damage):
    fill(db.session)
    done = backups.backup(db.engine, tmp_path / "damaged", NOW)
    data = done.path.read_bytes()
    done.path.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"not a backup at all" * 100)
    db.session.remove()
    before = snapshot(db.engine)

    restored = invoke(ops_app, "restore", "--force", str(done.path))

    assert restored.exit_code == 1 and isinstance(restored.exception, SystemExit), restored.output
    assert "Error:" in restored.stderr and "Traceback" not in restored.output
    assert snapshot(db.engine) == before


def test_the_scheduled_job_backs_up_by_the_settings(ops_app, tmp_path):
    fill(db.session)
    config = {"BACKUP_DIR": str(tmp_path / "scheduled"), "BACKUP_KEEP": 1}
    first = backups.backup_job(db.session, NOW, config)
    second = backups.backup_job(db.session, NOW + timedelta(days=1), config)
    [kept] = backups.backups_in(tmp_path / "scheduled")
    assert kept.name.startswith("feedback-20261121T120000Z")
    assert first.startswith("Backup ") and f"revision {head_revision()}" in first and "removed" not in first
    assert second.startswith(f"Backup {kept} (") and second.endswith(", 1 older removed).")

"""Flask CLI commands for operations: ``flask backup``, ``flask restore`` and ``flask retention run``.

Meant for cron or the scheduler; each prints one line saying what it did, and exits 1 with the
reason when it could not (a failed backup leaves no file behind).
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from feedback import clock
from feedback.extensions import db
from feedback.services import backup as backups
from feedback.services import retention

_Fail = click.ClickException


@click.command("backup")
@click.option("--to", "target", type=click.Path(file_okay=False), help="Folder for the backup [BACKUP_DIR].")
@click.option("--keep", type=int, help="Newest backups kept in the folder, 0 for all [BACKUP_KEEP].")
def backup_command(target: str | None, keep: int | None) -> None:
    """Back the database up to a new, checked file (SQLite: online copy; PostgreSQL: pg_dump)."""
    folder = Path(target or current_app.config["BACKUP_DIR"])
    keep = current_app.config["BACKUP_KEEP"] if keep is None else keep
    try:
        done = backups.backup(db.engine, folder, clock.now(), keep=keep)
    except backups.BackupError as exc:
        raise _Fail(str(exc)) from None
    click.echo(str(done.path))
    version = done.alembic_version or "none"
    pruned = f"; removed {len(done.removed)} older" if done.removed else ""
    click.echo(f"Backup checked: {done.size} bytes, schema revision {version}{pruned}.", err=True)


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
def restore_command(file: str, force: bool) -> None:
    """Replace the configured database with the backup FILE (stop the app first)."""
    try:
        version = backups.restore(db.engine, db.metadata, Path(file), force=force)
    except backups.BackupError as exc:
        raise _Fail(str(exc)) from None
    click.echo(f"Restored {file} (schema revision {version or 'none'}); run `flask db upgrade` if the code is newer.")


retention_cli = click.Group("retention", help="Records retention: purge old comments and audit entries.")


@retention_cli.command("run")
def retention_run() -> None:
    """Purge by RETENTION_COMMENT_DAYS and RETENTION_AUDIT_DAYS (0: keep forever) and audit it."""
    click.echo(retention.retention_job(db.session, clock.now(), current_app.config))


COMMANDS = (backup_command, restore_command, retention_cli)

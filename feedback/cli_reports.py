"""Flask CLI commands for reporting: the A-11 Section 280 files, customer volumes, alerts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import BinaryIO

import click
from flask import current_app
from sqlalchemy import select

from feedback import clock
from feedback.cli import fail_on_service_error
from feedback.database import write_transaction
from feedback.extensions import db
from feedback.models import Alert, Location
from feedback.services import a11, a11_files, alerts, mailer, offices, volumes
from feedback.services.actors import CLI
from feedback.services.fiscal import FiscalQuarter

_Fail = click.ClickException

export_cli = click.Group("export", help="Reports for a federal fiscal quarter.")
volumes_cli = click.Group("volumes", help="Customer volumes for the A-11 Section 280 collection.")


def _parse_quarter(text: str) -> FiscalQuarter:
    try:
        return FiscalQuarter.parse(text)
    except ValueError as exc:
        raise _Fail(f"Invalid --quarter: {exc}") from None


@export_cli.command("a11")
@click.option("--quarter", "quarter_text", required=True, help="Federal fiscal quarter, e.g. FY2027Q1.")
@click.option("--office", "office_name", default=None, help="Only this office's locations (default: all).")
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Folder for the files (made if needed).",
)
@fail_on_service_error
def export_a11(quarter_text: str, office_name: str | None, output_dir: str) -> None:
    """Write the A-11 Section 280 files of a quarter, as Touchpoints takes them: one per-response
    upload per collection detail, the collection (a11-QUARTER-collection.csv) and a worksheet with
    the counts and problems (a11-QUARTER-worksheet.csv)."""
    quarter = _parse_quarter(quarter_text)
    query = select(Location.id).order_by(Location.id)
    if office_name:
        query = query.where(Location.office_id == offices.office_by_name(db.session, office_name).id)
    ids = list(db.session.scalars(query))
    a11_files.begin_snapshot(db.session)
    report = a11.report(db.session, ids, quarter)
    for path, rows in a11_files.write_folder(db.session, report, Path(output_dir)):
        click.echo(f"Wrote {path} ({rows} rows)")
    db.session.rollback()  # ends the read snapshot
    problems = [(d, d.problems()) for d in report.details]
    problems = [(d, p) for d, p in problems if p]
    click.echo(f"{len(report.details)} collection detail(s), {len(problems)} with problems.")
    for detail, items in problems:
        key = detail.key
        click.echo(f"  {key.service or '(no service name)'} / {key.channel} ({detail.locations}):")
        for item in items:
            click.echo(f"    - {item}")
    for left in report.left_out:
        click.echo(f"Not reported: {left.pair.label}: {left.reason}.")


@volumes_cli.command("import")
@click.argument("file", type=click.File("rb"))
@fail_on_service_error
def volumes_import(file: BinaryIO) -> None:
    """Import customer volumes from a CSV file (columns: location_code, fiscal_year, quarter,
    channel, volume_of_customers, volume_of_customers_provided_survey_opportunity).

    Every row is checked first; one bad row stores nothing."""
    try:
        with write_transaction(db.session):
            result = volumes.import_csv(db.session, CLI, volumes.decode_upload(file.read()), scope=None)
    except volumes.ImportRejected as exc:
        lines = "\n".join(f"  line {row.line}: {' '.join(row.messages)}" for row in exc.rows)
        raise _Fail(f"{exc.detail}\n{lines}") from None
    click.echo(f"Imported {result.rows} rows ({result.changed} changed).")


# --- alerts -----------------------------------------------------------------------------------

alerts_cli = click.Group("alerts", help="Alert rules and the alerts they raise.")


@alerts_cli.command("run")
def alerts_run() -> None:
    """Evaluate every enabled alert rule, then e-mail pending alerts.

    Meant for cron (every few minutes); safe on several nodes at once: each alert and each
    e-mail is claimed in the database, so nothing is raised or sent twice.
    """
    now = clock.now()
    try:
        mail = mailer.Mailer.from_config(current_app.config)
    except ValueError as exc:
        raise _Fail(str(exc)) from None
    raised = alerts.run_periodic(db.session, now, email=mail is not None)
    kinds = Counter(db.session.scalars(select(Alert.kind).where(Alert.id.in_(raised)))) if raised else {}
    detail = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
    click.echo(f"Raised {len(raised)} alert{'s' if len(raised) != 1 else ''}{f' ({detail})' if detail else ''}.")
    if mail is None:
        click.echo("E-mail is off (SMTP_URL is not set); alerts are listed in the admin site.")
        return
    retried, released = mailer.requeue(db.session, now)
    report = mailer.deliver(db.session, mail, now)
    click.echo(
        f"E-mail: {report.sent} sent, {report.failed} failed, {report.skipped} skipped "
        f"({retried} failed retried, {released} abandoned sends released)."
    )


@alerts_cli.command("list")
@click.option("--all", "show_all", is_flag=True, help="Acknowledged alerts too.")
@click.option("--limit", default=20, show_default=True)
def alerts_list(show_all: bool, limit: int) -> None:
    """The newest alerts (open ones unless --all)."""
    query = (
        select(Alert, Location.code)
        .join(Location, Location.id == Alert.location_id)
        .order_by(Alert.id.desc())
        .limit(limit)
    )
    if not show_all:
        query = query.where(Alert.acknowledged_at.is_(None))
    rows = db.session.execute(query).all()
    if not rows:
        click.echo("No alerts.")
    for alert, code in rows:
        state = "acknowledged" if alert.acknowledged_at else "open"
        click.echo(
            f"#{alert.id}  {alert.raised_at:%Y-%m-%d %H:%M}Z  {code}  {alert.kind}  {state}  "
            f"e-mail {alert.email_state}  {alert.summary}"
        )

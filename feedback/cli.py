"""Flask CLI commands: demo, office, location, device, user, rollups. All idempotent."""

from __future__ import annotations

import functools
import io
import secrets
from datetime import timedelta

import click
import qrcode
from flask import Flask, current_app
from sqlalchemy import select

from feedback.database import write_transaction
from feedback.extensions import db
from feedback.models import Device, User
from feedback.services import a11, actors, demo, devices, enrollment, org, qr, rollups, survey_links, users, volumes
from feedback.services.errors import ServiceError
from feedback.services.fiscal import FiscalQuarter

_Fail = click.ClickException


def _fail_on_service_error(func):
    """Turn a service's refusal into a clear one-line error and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ServiceError as exc:
            details = "; ".join(f"{field}: {' '.join(map(str, msgs))}" for field, msgs in exc.errors.items())
            raise _Fail(f"{exc.detail}{' (' + details + ')' if details else ''}") from exc

    return wrapper


demo_cli = click.Group("demo", help="Demo data.")
office_cli = click.Group("office", help="Offices (service sites).")
location_cli = click.Group("location", help="Locations (counters).")
device_cli = click.Group("device", help="Kiosk devices.")
user_cli = click.Group("user", help="Admin users and API tokens.")
rollups_cli = click.Group("rollups", help="Pre-aggregated counts.")


@demo_cli.command("load")
@click.option("--weeks", default=13, show_default=True, help="Weeks of responses, ending yesterday.")
@click.option("--seed", default=2026, show_default=True)
@_fail_on_service_error
def demo_load(weeks: int, seed: int):
    """Load 3 offices, 9 locations, kiosks, users and WEEKS of responses (once)."""
    if demo.demo_loaded(db.session):
        click.echo("Demo data is already loaded; nothing changed.")
        return
    with click.progressbar(length=weeks * 7, label="Generating responses") as bar:

        def progress(days):
            for day in days:
                yield day
                bar.update(1)

        result = demo.load(db.session, weeks=weeks, seed=seed, progress=progress)
    click.echo(
        f"Loaded {result['locations']} locations and {result['responses']} responses over {result['days']} days."
    )
    click.echo(f"Admin sign-in: {demo.DEMO_ADMIN[0]} / {demo.DEMO_ADMIN[1]}")
    click.echo(f"Manager sign-in (Houston only): {demo.DEMO_MANAGER[0]} / {demo.DEMO_MANAGER[1]}")


@demo_cli.command("links")
def demo_links():
    """Print a one-time kiosk enrolment link and the phone-survey address of each office's first counter."""
    from feedback.models import Location, Office

    offices = db.session.scalars(select(Office).order_by(Office.name)).all()
    if not offices:
        raise _Fail("No offices yet: run `flask demo load` first.")
    for office in offices:
        with write_transaction(db.session):
            location = db.session.scalars(
                select(Location).where(Location.office_id == office.id).order_by(Location.code)
            ).first()
            device = (
                location
                and db.session.scalars(
                    select(Device)
                    .where(Device.location_id == location.id, Device.revoked_at.is_(None))
                    .order_by(Device.id)
                ).first()
            )
            if device is None:
                continue
            _record, code = enrollment.create_code(db.session, device, ttl=_enrollment_ttl())
            link = survey_links.current_link(db.session, location)
        base = current_app.config["PUBLIC_URL"]
        click.echo(f"  Kiosk {location.code:<9} {base}/kiosk/enroll/{code}")
        click.echo(f"  Phone {location.code:<9} {qr.survey_url(base, link.slug)}")
        if office.scoreboard_public:
            click.echo(f"  Scores {office.name}: {base}/scores/{office.slug}")


@office_cli.command("add")
@click.argument("name")
@click.option("--timezone", "tz", required=True, help="IANA time zone, e.g. America/Chicago.")
@_fail_on_service_error
def office_add(name: str, tz: str):
    """Create an office (no change if it exists)."""
    with write_transaction(db.session):
        office, created = org.get_or_create_office(db.session, name, tz)
    click.echo(f"{'Created' if created else 'Exists'}: office {office.name} ({office.timezone})")


@location_cli.command("add")
@click.argument("code")
@click.option("--office", "office_name", required=True, help="Office name.")
@click.option("--name", default=None, help="Display name (default: the code).")
@click.option("--timezone", "tz", default=None, help="Creates the office with this time zone if it is new.")
@_fail_on_service_error
def location_add(code: str, office_name: str, name: str | None, tz: str | None):
    """Create a location in an office (no change if the code exists there)."""
    with write_transaction(db.session):
        office, _ = org.get_or_create_office(db.session, office_name, tz)
        location, created = org.add_location(db.session, code, office=office, name=name or code)
    click.echo(f"{'Created' if created else 'Exists'}: location {location.code} in {office.name}")


@location_cli.command("link")
@click.argument("code")
@click.option("--rotate", is_flag=True, help="Retire the current phone-survey link and make a new one.")
@_fail_on_service_error
def location_link(code: str, rotate: bool):
    """Print the location's phone-survey address (the one its QR code holds)."""
    with write_transaction(db.session):
        location = org.location_by_code(db.session, code)
        link = (survey_links.rotate if rotate else survey_links.current_link)(db.session, location)
    click.echo(qr.survey_url(current_app.config["PUBLIC_URL"], link.slug))


@location_cli.command("qr")
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(["png", "svg"]), default="png", show_default=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="File to write (default: CODE-survey-qr.FORMAT).",
)
@_fail_on_service_error
def location_qr(code: str, fmt: str, output: str | None):
    """Write the location's phone-survey QR code for print."""
    with write_transaction(db.session):
        location = org.location_by_code(db.session, code)
        link = survey_links.current_link(db.session, location)
    url = qr.survey_url(current_app.config["PUBLIC_URL"], link.slug)
    data = qr.png(url) if fmt == "png" else qr.svg(url)
    path = output or f"{location.code}-survey-qr.{fmt}"
    with open(path, "wb") as fh:
        fh.write(data)
    click.echo(f"Wrote {path} ({len(data)} bytes) for {url}")


@device_cli.command("enroll")
@click.argument("location_code")
@click.option("--label", default="", help="A name staff recognise, e.g. 'tablet by window 3'.")
@_fail_on_service_error
def device_enroll(location_code: str, label: str):
    """Enrol a kiosk; prints its bearer token alone on the last line (shown only once)."""
    with write_transaction(db.session):
        location = org.location_by_code(db.session, location_code)
        device, token = devices.enroll(db.session, location, label)
        _record, code = enrollment.create_code(db.session, device, ttl=_enrollment_ttl())
    click.echo(f"Enrolled device {device.id} at {location.code}.")
    _print_link(code)
    click.echo("Its API token (opening the link issues the tablet a new one; keep it secret):")
    click.echo(token)


@device_cli.command("link")
@click.argument("device_id", type=int)
@_fail_on_service_error
def device_link(device_id: int):
    """Make a new one-time enrolment link for a device (e.g. a replaced tablet)."""
    with write_transaction(db.session):
        device = db.session.get(Device, device_id)
        if device is None or device.revoked_at is not None:
            raise _Fail(f"No active device {device_id}.")
        _record, code = enrollment.create_code(db.session, device, ttl=_enrollment_ttl())
    _print_link(code)


def _enrollment_ttl() -> timedelta:
    return timedelta(hours=current_app.config["ENROLLMENT_TTL_HOURS"])


def _print_link(code: str) -> None:
    url = f"{current_app.config['PUBLIC_URL']}/kiosk/enroll/{code}"
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    qr.add_data(url)
    out = io.StringIO()
    qr.print_ascii(out=out, invert=True)
    click.echo(out.getvalue())
    hours = current_app.config["ENROLLMENT_TTL_HOURS"]
    click.echo(f"One-time enrolment link (open it on the tablet; valid {hours:g} h): {url}")


@device_cli.command("revoke")
@click.argument("device_id", type=int)
@_fail_on_service_error
def device_revoke(device_id: int):
    """Revoke a kiosk's token; its next request is refused."""
    with write_transaction(db.session):
        device = devices.revoke(db.session, device_id)
    click.echo(f"Revoked device {device.id} (since {device.revoked_at:%Y-%m-%d %H:%M:%S} UTC)")


@device_cli.command("list")
def device_list():
    """List kiosks with their state."""
    for device in db.session.scalars(select(Device).order_by(Device.id)):
        state = "revoked" if device.revoked_at else "active"
        seen = device.last_seen_at.isoformat(timespec="seconds") if device.last_seen_at else "never"
        click.echo(f"{device.id:>4}  {device.location.code:<10} {state:<8} last seen {seen}  {device.label}")


@user_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "manager"]), required=True)
@click.option("--location", "codes", multiple=True, help="Location code a manager sees; repeat for several.")
@click.option("--office", "office_names", multiple=True, help="Office whose locations a manager sees; repeatable.")
@click.option(
    "--password", envvar="FEEDBACK_USER_PASSWORD", default=None, help="Default: a generated one, printed once."
)
@_fail_on_service_error
def user_create(email: str, role: str, codes: tuple[str, ...], office_names: tuple[str, ...], password: str | None):
    """Create a user, or update the role and locations of an existing one."""
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    with write_transaction(db.session):
        locations = [org.location_by_code(db.session, code) for code in codes]
        offices = [org.office_by_name(db.session, name) for name in office_names]
        user, created = users.create_user(db.session, email, password, role, locations, offices)
    scope = [c.upper() for c in codes] + list(office_names)
    click.echo(
        f"{'Created' if created else 'Updated'}: {user.email} ({user.role}{', ' + ', '.join(scope) if scope else ''})"
    )
    if generated and created:
        click.echo(f"Password: {password}")


@user_cli.command("token")
@click.argument("email")
@click.option("--name", default="cli", help="What the token is for.")
@_fail_on_service_error
def user_token(email: str, name: str):
    """Create a personal API token; prints it alone on the last line (shown only once)."""
    with write_transaction(db.session):
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise _Fail(f"No user {email!r}.")
        _token, token = users.create_api_token(db.session, user, name)
    click.echo(f"API token for {user.email} ({name}):")
    click.echo(token)


@rollups_cli.command("rebuild")
def rollups_rebuild():
    """Recompute the rollup tables from the stored responses."""
    with write_transaction(db.session):
        count = rollups.rebuild(db.session)
    click.echo(f"Rebuilt rollups from {count} responses.")


# --- A-11 Section 280 reporting ----------------------------------------------------------------

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
@_fail_on_service_error
def export_a11(quarter_text: str, office_name: str | None, output_dir: str):
    """Write the A-11 Section 280 files of a quarter, as Touchpoints takes them: one per-response
    upload per collection detail, the collection (a11-QUARTER-collection.csv) and a worksheet with
    the counts and problems (a11-QUARTER-worksheet.csv)."""
    from pathlib import Path

    from feedback.models import Location
    from feedback.services import a11_files

    quarter = _parse_quarter(quarter_text)
    query = select(Location.id).order_by(Location.id)
    if office_name:
        query = query.where(Location.office_id == org.office_by_name(db.session, office_name).id)
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
    for item in report.left_out:
        click.echo(f"Not reported: {item.pair.label}: {item.reason}.")


@volumes_cli.command("import")
@click.argument("file", type=click.File("rb"))
@_fail_on_service_error
def volumes_import(file):
    """Import customer volumes from a CSV file (columns: location_code, fiscal_year, quarter,
    channel, volume_of_customers, volume_of_customers_provided_survey_opportunity).

    Every row is checked first; one bad row stores nothing."""
    try:
        with write_transaction(db.session):
            result = volumes.import_csv(db.session, actors.CLI, volumes.decode_upload(file.read()), scope=None)
    except volumes.ImportRejected as exc:
        lines = "\n".join(f"  line {row.line}: {' '.join(row.messages)}" for row in exc.rows)
        raise _Fail(f"{exc.detail}\n{lines}") from None
    click.echo(f"Imported {result.rows} rows ({result.changed} changed).")


# --- alerts -----------------------------------------------------------------------------------

alerts_cli = click.Group("alerts", help="Alert rules and the alerts they raise.")


@alerts_cli.command("run")
def alerts_run():
    """Evaluate every enabled alert rule, then e-mail pending alerts.

    Meant for cron (every few minutes); safe on several nodes at once: each alert and each
    e-mail is claimed in the database, so nothing is raised or sent twice.
    """
    from collections import Counter

    from feedback import clock
    from feedback.models import Alert
    from feedback.services import alerts, mailer

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
def alerts_list(show_all: bool, limit: int):
    """The newest alerts (open ones unless --all)."""
    from feedback.models import Alert, Location

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


def register(app: Flask) -> None:
    app.cli.add_command(alerts_cli)
    for group in (demo_cli, office_cli, location_cli, device_cli, user_cli, rollups_cli):
        app.cli.add_command(group)
    for group in (export_cli, volumes_cli):
        app.cli.add_command(group)

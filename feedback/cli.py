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
from feedback.services import demo, devices, enrollment, org, qr, rollups, survey_links, users
from feedback.services.errors import ServiceError


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
@click.option("--weeks", default=6, show_default=True, help="Weeks of responses, ending yesterday.")
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
    click.echo(f"Loaded {result['locations']} locations and {result['responses']} responses "
               f"over {result['days']} days.")
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
                select(Location).where(Location.office_id == office.id).order_by(Location.code)).first()
            device = location and db.session.scalars(
                select(Device).where(Device.location_id == location.id, Device.revoked_at.is_(None))
                .order_by(Device.id)).first()
            if device is None:
                continue
            _record, code = enrollment.create_code(db.session, device, ttl=_enrollment_ttl())
            link = survey_links.current_link(db.session, location)
        base = current_app.config["PUBLIC_URL"]
        click.echo(f"  Kiosk {location.code:<9} {base}/kiosk/enroll/{code}")
        click.echo(f"  Phone {location.code:<9} {qr.survey_url(base, link.slug)}")


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
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="File to write (default: CODE-survey-qr.FORMAT).")
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
@click.option("--password", envvar="FEEDBACK_USER_PASSWORD", default=None,
              help="Default: a generated one, printed once.")
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
    click.echo(f"{'Created' if created else 'Updated'}: {user.email} ({user.role}"
               f"{', ' + ', '.join(scope) if scope else ''})")
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


def register(app: Flask) -> None:
    for group in (demo_cli, office_cli, location_cli, device_cli, user_cli, rollups_cli):
        app.cli.add_command(group)

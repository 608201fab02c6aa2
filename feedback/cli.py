"""Flask CLI commands that set the service up: demo, office, location, device, user, rollups;
and ``flask scheduler``, the process that runs the scheduled jobs.

They change data through the same services as the admin site, as the system actor "cli" (so the
same rules hold and the audit log records each change); all are idempotent. The reporting
commands (export, volumes, alerts) are in ``feedback.cli_reports``.
"""

from __future__ import annotations

import functools
import io
import secrets
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from typing import ParamSpec, TypeVar

import click
import qrcode
from flask import Flask, current_app
from sqlalchemy import select

from feedback import clock
from feedback.database import write_transaction
from feedback.extensions import db
from feedback.models import Device, Location, Office
from feedback.services import (
    api_tokens,
    demo,
    fold,
    hours,
    kiosks,
    locations,
    offices,
    qr,
    rollups,
    survey_links,
    surveys,
    users,
)
from feedback.services.actors import CLI
from feedback.services.errors import ServiceError

_Fail = click.ClickException
P = ParamSpec("P")
R = TypeVar("R")


def fail_on_service_error(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a service's refusal into a clear one-line error and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
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
@fail_on_service_error
def demo_load(weeks: int, seed: int) -> None:
    """Load 3 offices, 9 locations, kiosks, users and WEEKS of responses (once)."""
    if demo.demo_loaded(db.session):
        click.echo("Demo data is already loaded; nothing changed.")
        return
    with click.progressbar(length=weeks * 7, label="Generating responses") as bar:

        def progress(days: Iterable[date]) -> Iterator[date]:
            for day in days:
                yield day
                bar.update(1)

        result = demo.load(db.session, now=clock.now(), weeks=weeks, seed=seed, progress=progress)
    click.echo(
        f"Loaded {result['locations']} locations and {result['responses']} responses over {result['days']} days."
    )
    click.echo(f"Admin sign-in: {demo.DEMO_ADMIN[0]} / {demo.DEMO_ADMIN[1]}")
    click.echo(f"Manager sign-in (Houston only): {demo.DEMO_MANAGER[0]} / {demo.DEMO_MANAGER[1]}")


@demo_cli.command("links")
@fail_on_service_error
def demo_links() -> None:
    """Print a one-time kiosk enrolment link and the phone-survey address of each office's first counter."""
    now, base = clock.now(), current_app.config["PUBLIC_URL"]
    firsts = demo.first_kiosks(db.session)
    if not firsts:
        raise _Fail("No offices yet (or none with a kiosk): run `flask demo load` first.")
    for office, location, device in firsts:
        with write_transaction(db.session):
            _device, code, _expires = kiosks.new_enrolment_link(db.session, CLI, now, device.id, ttl=_enrollment_ttl())
            link = survey_links.current_link(db.session, location)
        click.echo(f"  Kiosk {location.code:<9} {base}/kiosk/enroll/{code}")
        click.echo(f"  Phone {location.code:<9} {qr.survey_url(base, link.slug)}")
        if office.scoreboard_public:
            click.echo(f"  Scores {office.name}: {base}/scores/{office.slug}")


def _office(name: str, tz: str | None) -> tuple[Office, bool]:
    """The office called ``name``, or a new one in zone ``tz`` (weekday hours); whether it is new."""
    office = offices.office_named(db.session, name)
    if office is not None:
        return office, False
    if not tz:
        raise _Fail(f"Office {name!r} does not exist; give its time zone (--timezone) to create it.")
    return offices.create_office(db.session, CLI, name=name, timezone=tz, opening_hours=hours.WEEKDAY_HOURS), True


@office_cli.command("add")
@click.argument("name")
@click.option("--timezone", "tz", required=True, help="IANA time zone, e.g. America/Chicago.")
@fail_on_service_error
def office_add(name: str, tz: str) -> None:
    """Create an office (no change if one has exactly this name)."""
    with write_transaction(db.session):
        office, created = _office(name, tz)
    click.echo(f"{'Created' if created else 'Exists'}: office {office.name} ({office.timezone})")


@location_cli.command("add")
@click.argument("code")
@click.option("--office", "office_name", required=True, help="Office name.")
@click.option("--name", default=None, help="Display name (default: the code).")
@click.option("--timezone", "tz", default=None, help="Creates the office with this time zone if it is new.")
@fail_on_service_error
def location_add(code: str, office_name: str, name: str | None, tz: str | None) -> None:
    """Create a location in an office, asking the "Default" survey (no change if the code exists there)."""
    with write_transaction(db.session):
        office, _ = _office(office_name, tz)
        found = db.session.scalar(select(Location).where(Location.code == code.strip().upper()))
        if found is not None and found.office_id == office.id:
            location, created = found, False
        else:  # new, or another office's code (which the service refuses)
            survey = surveys.default_survey(db.session, CLI)
            location, created = (
                locations.create_location(
                    db.session, CLI, code=code, name=name or code, office_id=office.id, survey_id=survey.id
                ),
                True,
            )
    click.echo(f"{'Created' if created else 'Exists'}: location {location.code} in {office.name}")


@location_cli.command("link")
@click.argument("code")
@click.option("--rotate", is_flag=True, help="Retire the current phone-survey link and make a new one.")
@fail_on_service_error
def location_link(code: str, rotate: bool) -> None:
    """Print the location's phone-survey address (the one its QR code holds)."""
    with write_transaction(db.session):
        location = locations.location_by_code(db.session, code)
        if rotate:
            locations.rotate_link(db.session, CLI, clock.now(), location.id)
        link = survey_links.current_link(db.session, location)
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
@fail_on_service_error
def location_qr(code: str, fmt: str, output: str | None) -> None:
    """Write the location's phone-survey QR code for print."""
    with write_transaction(db.session):
        location = locations.location_by_code(db.session, code)
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
@fail_on_service_error
def device_enroll(location_code: str, label: str) -> None:
    """Enrol a kiosk; prints its bearer token alone on the last line (shown only once)."""
    with write_transaction(db.session):
        location = locations.location_by_code(db.session, location_code)
        kiosk = kiosks.enroll_kiosk(db.session, CLI, clock.now(), location.id, label, ttl=_enrollment_ttl())
    click.echo(f"Enrolled device {kiosk.device.id} at {location.code}.")
    _print_link(kiosk.code)
    click.echo("Its API token (opening the link issues the tablet a new one; keep it secret):")
    click.echo(kiosk.token)


@device_cli.command("link")
@click.argument("device_id", type=int)
@fail_on_service_error
def device_link(device_id: int) -> None:
    """Make a new one-time enrolment link for a device (e.g. a replaced tablet)."""
    with write_transaction(db.session):
        _device, code, _expires = kiosks.new_enrolment_link(
            db.session, CLI, clock.now(), device_id, ttl=_enrollment_ttl()
        )
    _print_link(code)


def _enrollment_ttl() -> timedelta:
    return timedelta(hours=current_app.config["ENROLLMENT_TTL_HOURS"])


def _print_link(code: str) -> None:
    url = f"{current_app.config['PUBLIC_URL']}/kiosk/enroll/{code}"
    qr_code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    qr_code.add_data(url)
    out = io.StringIO()
    qr_code.print_ascii(out=out, invert=True)
    click.echo(out.getvalue())
    hours_valid = current_app.config["ENROLLMENT_TTL_HOURS"]
    click.echo(f"One-time enrolment link (open it on the tablet; valid {hours_valid:g} h): {url}")


@device_cli.command("revoke")
@click.argument("device_id", type=int)
@fail_on_service_error
def device_revoke(device_id: int) -> None:
    """Revoke a kiosk's token; its next request is refused."""
    with write_transaction(db.session):
        changed = kiosks.revoke_kiosk(db.session, CLI, clock.now(), device_id)
        revoked_at = db.session.get_one(Device, device_id).revoked_at
    state = "Revoked" if changed else "Already revoked:"
    click.echo(f"{state} device {device_id} (since {revoked_at:%Y-%m-%d %H:%M:%S} UTC)")


@device_cli.command("list")
def device_list() -> None:
    """List kiosks with their state (silent: quiet for a while during opening hours)."""
    for row in kiosks.kiosk_rows(db.session, CLI, clock.now()):
        device = row.device
        state = "revoked" if device.revoked_at else "silent" if row.silent else "active"
        seen = device.last_seen_at.isoformat(timespec="seconds") if device.last_seen_at else "never"
        click.echo(f"{device.id:>4}  {row.location.code:<10} {state:<8} last seen {seen}  {device.label}")


@user_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "manager"]), required=True)
@click.option("--location", "codes", multiple=True, help="Location code a manager sees; repeat for several.")
@click.option("--office", "office_names", multiple=True, help="Office whose locations a manager sees; repeatable.")
@click.option(
    "--password", envvar="FEEDBACK_USER_PASSWORD", default=None, help="Default: a generated one, printed once."
)
@fail_on_service_error
def user_create(
    email: str, role: str, codes: tuple[str, ...], office_names: tuple[str, ...], password: str | None
) -> None:
    """Create a user, or update the role and scope of an existing one (its password stays)."""
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    with write_transaction(db.session):
        scope = {
            "location_ids": [locations.location_by_code(db.session, code).id for code in codes],
            "office_ids": [offices.office_by_name(db.session, name).id for name in office_names],
        }
        user = users.user_by_email(db.session, email)
        created = user is None
        if user is None:
            user = users.create_user(db.session, CLI, email=email, role=role, password=password, **scope)
        else:
            users.update_user(db.session, CLI, user.id, role=role, **scope)
    named = [c.upper() for c in codes] + list(office_names)
    click.echo(
        f"{'Created' if created else 'Updated'}: {user.email} ({user.role}{', ' + ', '.join(named) if named else ''})"
    )
    if generated and created:
        click.echo(f"Password: {password}")


@user_cli.command("token")
@click.argument("email")
@click.option("--name", default="cli", help="What the token is for.")
@fail_on_service_error
def user_token(email: str, name: str) -> None:
    """Create a personal API token; prints it alone on the last line (shown only once)."""
    with write_transaction(db.session):
        user = users.user_by_email(db.session, email)
        if user is None:
            raise _Fail(f"No user {email!r}.")
        _token, token = api_tokens.create_token(db.session, CLI, name, owner=user)
    click.echo(f"API token for {user.email} ({name}):")
    click.echo(token)


@rollups_cli.command("rebuild")
def rollups_rebuild() -> None:
    """Recompute the rollup tables from the stored responses."""
    with write_transaction(db.session):
        count = rollups.rebuild(db.session)
    click.echo(f"Rebuilt rollups from {count} responses.")


@rollups_cli.command("fold")
def rollups_fold() -> None:
    """Add the responses taps stored since the last fold to the rollups (what a dead process left)."""
    count = fold.fold(db.session)
    click.echo(f"Folded {count} responses into the rollups.")


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run what is due once and exit (for cron or a test).")
def scheduler_command(once: bool) -> None:
    """Run the scheduled jobs (alerts, ...) each once per period, until stopped (Ctrl-C, SIGTERM).

    Safe on any number of nodes: each job's period is claimed in the database by one of them.
    """
    from feedback.scheduler import Scheduler

    loop = Scheduler(current_app._get_current_object())  # type: ignore[attr-defined]
    if once:
        outcomes = loop.tick()
        for outcome in outcomes:
            click.echo(f"{outcome.job}: {'ok' if outcome.ok else 'failed'}: {outcome.result}")
        if not outcomes:
            click.echo("Nothing due: every job has run in its current period.")
        return
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())  # finish the job in hand, then exit
    loop.run(stop)


def register(app: Flask) -> None:
    from feedback.cli_ops import COMMANDS as ops_commands
    from feedback.cli_reports import alerts_cli, export_cli, volumes_cli

    for group in (demo_cli, office_cli, location_cli, device_cli, user_cli, rollups_cli):
        app.cli.add_command(group)
    for group in (export_cli, volumes_cli, alerts_cli):
        app.cli.add_command(group)
    for command in ops_commands:
        app.cli.add_command(command)
    app.cli.add_command(scheduler_command)

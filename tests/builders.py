"""Test data builders: short calls that make valid offices, locations, devices and users.

These are fixtures: they store rows directly, without the services' audit entries, so a test
sees only the changes it makes itself. The product's writers (admin site, command line, demo
loader) go through the domain services (``feedback/services/offices.py`` and its neighbours).
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from feedback.database import write_transaction
from feedback.models import ApiToken, Device, Location, Office, Survey, SurveyVersion, User
from feedback.models.devices import hash_token, new_token
from feedback.scales import DEFAULT_FOLLOWUP, DEFAULT_SCALE
from feedback.services.actors import SystemActor
from feedback.services.hours import WEEKDAY_HOURS
from feedback.services.offices import slugify
from feedback.services.surveys import DEFAULT_QUESTION

_seq = itertools.count(1)
# The actor of a service call a test makes outside any request (audited by this name).
TESTER = SystemActor("test")
# Password hashes of test users: werkzeug's scrypt with a small work factor (checks read it from the hash).
QUICK_HASH = "scrypt:1024:8:1"
# The password of the users that the ``make_user`` fixture makes.
PASSWORD = "correct-horse-battery"


def add_office(session, name, tz="America/Chicago", hours=None) -> Office:
    """The office called ``name``, made if new (in the caller's transaction)."""
    office = session.scalar(select(Office).where(Office.name == name))
    if office is None:
        office = Office(name=name, slug=slugify(name), timezone=tz, opening_hours=hours or WEEKDAY_HOURS)
        session.add(office)
        session.flush()
    return office


def add_survey_version(
    session, survey, *, scale=DEFAULT_SCALE, question=None, followup_choices=DEFAULT_FOLLOWUP, **columns
) -> SurveyVersion:
    """The survey's next version, stored as given (in the caller's transaction): tests may need
    content the admin form would refuse (an OMB number without its burden statement)."""
    latest = session.scalar(select(func.max(SurveyVersion.version)).where(SurveyVersion.survey_id == survey.id))
    version = SurveyVersion(
        survey_id=survey.id,
        version=(latest or 0) + 1,
        scale=scale,
        question=dict(question or DEFAULT_QUESTION),
        followup_choices=list(followup_choices),
        **columns,
    )
    session.add(version)
    session.flush()
    return version


def add_survey(session, name, **version) -> Survey:
    """A survey with its first version (in the caller's transaction)."""
    survey = Survey(name=name)
    session.add(survey)
    session.flush()
    add_survey_version(session, survey, **version)
    return survey


def add_location(session, code, *, office, name="Counter", survey=None, active=True) -> Location:
    """The location with ``code``, made if new, asking ``survey`` (by default one named "Default"),
    in the caller's transaction."""
    location = session.scalar(select(Location).where(Location.code == code))
    if location is None:
        survey = survey or session.scalar(select(Survey).where(Survey.name == "Default"))
        location = Location(
            code=code, office=office, name=name, active=active, survey=survey or add_survey(session, "Default")
        )
        session.add(location)
        session.flush()
    return location


def _with_secret(session, model, **columns):
    """A row holding the hash of a new bearer secret, and the secret (in the caller's transaction)."""
    secret = new_token()
    row = model(token_hash=hash_token(secret), **columns)
    session.add(row)
    session.flush()
    return row, secret


def add_device(session, location, label="test kiosk") -> tuple[Device, str]:
    """A kiosk and its bearer token (in the caller's transaction)."""
    return _with_secret(session, Device, location=location, label=label)


def add_user(session, email, password, role, locations=(), offices=()) -> User:
    """A user with this role and scope (made if new; its password stays if not), in the caller's
    transaction."""
    user = session.scalar(select(User).where(User.email == email.lower()))
    if user is None:
        user = User(email=email.lower(), password_hash=generate_password_hash(password, method=QUICK_HASH))
        session.add(user)
    user.role, user.locations, user.offices = role, list(locations), list(offices)
    session.flush()
    return user


def add_api_token(session, user, name="") -> tuple[ApiToken, str]:
    """A personal API token of ``user`` and its secret (in the caller's transaction)."""
    return _with_secret(session, ApiToken, user=user, name=name)


class Builder:
    def __init__(self, session):
        self.session = session

    def office(self, name=None, tz="America/Chicago", hours=None):
        with write_transaction(self.session):
            return add_office(self.session, name or f"Office {next(_seq)}", tz, hours)

    def survey(self, scale="faces5", followup=DEFAULT_FOLLOWUP, **kwargs):
        with write_transaction(self.session):
            return add_survey(self.session, f"Survey {next(_seq)}", scale=scale, followup_choices=followup, **kwargs)

    def location(self, code=None, office=None, survey=None, **kwargs):
        office = office or self.office()
        survey = survey or self.survey(**kwargs)
        with write_transaction(self.session):
            return add_location(self.session, code or f"LOC-{next(_seq)}", office=office, survey=survey)

    def device(self, location=None, **kwargs):
        """Returns (device, token)."""
        location = location or self.location(**kwargs)
        with write_transaction(self.session):
            return add_device(self.session, location)

    def user_token(self, role="admin", locations=()):
        """Returns (user, api token)."""
        with write_transaction(self.session):
            user = add_user(self.session, f"user{next(_seq)}@example.gov", "password-123456", role, locations)
            _api, token = add_api_token(self.session, user)
        return user, token


def response_body(rating=5, when=None, **overrides):
    """A valid kiosk response body; ``when`` is an aware datetime (default: now)."""
    when = when or datetime.now(UTC)
    body = {"id": str(uuid.uuid4()), "rating": rating, "language": "en", "client_time": when.isoformat()}
    body.update(overrides)
    return body


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def assert_problem(resp, status: int, *fields: str) -> dict:
    """A problem+json answer with ``status``, a title, a detail and messages for ``fields``."""
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], dict)
    for field in fields:
        assert field in body["errors"], body["errors"]
        assert body["errors"][field], body["errors"]
    return body

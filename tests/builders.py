"""Test data builders: short calls that make valid offices, locations, devices and users."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime

from feedback.database import write_transaction
from feedback.scales import DEFAULT_FOLLOWUP
from feedback.services import devices, org, users

_seq = itertools.count(1)


class Builder:
    def __init__(self, session):
        self.session = session

    def office(self, name=None, tz="America/Chicago", hours=None):
        with write_transaction(self.session):
            office, _ = org.get_or_create_office(self.session, name or f"Office {next(_seq)}", tz, hours)
        return office

    def survey(self, scale="faces5", followup=DEFAULT_FOLLOWUP, **kwargs):
        with write_transaction(self.session):
            return org.create_survey(
                self.session, f"Survey {next(_seq)}", scale=scale, followup_choices=followup, **kwargs
            )

    def location(self, code=None, office=None, survey=None, **kwargs):
        office = office or self.office()
        survey = survey or self.survey(**kwargs)
        with write_transaction(self.session):
            location, _ = org.add_location(
                self.session, code or f"LOC-{next(_seq)}", office=office, name="Counter", survey=survey
            )
        return location

    def device(self, location=None, **kwargs):
        """Returns (device, token)."""
        location = location or self.location(**kwargs)
        with write_transaction(self.session):
            return devices.enroll(self.session, location, "test kiosk")

    def user_token(self, role="admin", locations=()):
        """Returns (user, api token)."""
        with write_transaction(self.session):
            user, _ = users.create_user(
                self.session, f"user{next(_seq)}@example.gov", "password-123456", role, list(locations)
            )
            _api, token = users.create_api_token(self.session, user)
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

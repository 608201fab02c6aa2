"""Phone survey fixtures.

The suite's app lives for the whole run inside one app context, and the test client reuses the
current app context for its requests, so without care every request would share ``g`` (where
Flask-WTF caches the CSRF token of the first session that asked) and the test's database session.
Here each request gets an app context of its own, as it does in production.
"""

from __future__ import annotations

import pytest

from feedback.extensions import limiter
from tests.phone.helpers import slug_for


@pytest.fixture(autouse=True)
def _empty_rate_limits(app):
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def office(build):
    return build.office(name="Harris County Tax Office")


@pytest.fixture
def location(build, office):
    return build.location(
        office=office,
        question={
            "en": "How was the vehicle registration counter?",
            "es": "¿Qué tal el mostrador de registro de vehículos?",
        },
    )


@pytest.fixture
def slug(session, location):
    return slug_for(session, location)

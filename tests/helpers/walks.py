"""Walking the URL map: two offices whose objects every route can name, the route parameters that
name an office's object, and the URL of a route for a given office's objects."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from werkzeug.routing import Rule

from feedback.database import write_transaction
from feedback.services import enrollment, survey_links
from tests.builders import add_api_token
from tests.helpers.responses import say

B_CODE = "BBB-9"
B_OFFICE = "Bravo Licence Centre"
# Route parameters that name no object of an office (a fiscal quarter): a route with only these
# is walked like a page without ids, with the value given here.
FREE_PARAMETERS = {"quarter": "FY2027Q1"}


def object_arguments(rule: Rule) -> set[str]:
    """The parameters of a route that name an office's object (an id, a code, a slug)."""
    return set(rule.arguments) - set(FREE_PARAMETERS)


def two_offices(session, build, make_user) -> dict:
    """Office A with a manager and an API token of hers; office B with everything a route can name
    (location, kiosk with an enrolment code, survey, a token of its manager); and an admin."""
    office_a = build.office(name="Alpha Passport Agency", tz="America/Chicago")
    office_b = build.office(name=B_OFFICE, tz="America/New_York")
    loc_a = build.location(code="AAA-1", office=office_a)
    loc_b = build.location(code=B_CODE, office=office_b)
    device_a, _ = build.device(location=loc_a)
    device_b, _ = build.device(location=loc_b)
    manager = make_user("manager.a@example.gov", "manager")
    other = make_user("manager.b@example.gov", "manager")
    admin = make_user("admin@example.gov", "admin")
    with write_transaction(session):
        session.get(type(manager), manager.id).offices = [office_a]
        session.get(type(other), other.id).offices = [office_b]
        survey_links.current_link(session, loc_a)
        survey_links.current_link(session, loc_b)
        token_b, _ = add_api_token(session, other, "b's token")
        _token_a, manager_api = add_api_token(session, manager, "a's token")
        enrollment.create_code(session, device_b, ttl=timedelta(hours=24), now=datetime.now(UTC))
    # A phone comment in each office (its follow-up page names it).
    comment_a = say(session, loc_a, 2, datetime.now(UTC) - timedelta(hours=2), "Alpha comment")
    comment_b = say(session, loc_b, 2, datetime.now(UTC) - timedelta(hours=2), "A comment of the other office")
    return {
        "a": {
            "office": office_a,
            "location": loc_a,
            "device": device_a,
            "user": manager,
            "token_id": None,
            "response_id": comment_a,
        },
        "b": {
            "office": office_b,
            "location": loc_b,
            "device": device_b,
            "user": other,
            "token_id": token_b.id,
            "survey": loc_b.survey_id,
            "response_id": comment_b,
        },
        "admin": admin,
        "manager_api": manager_api,
    }


def _value(rule: Rule, name: str, objects: dict):
    """The id or code of one of ``objects`` that a route parameter names."""
    path = rule.rule.lower()
    if name in FREE_PARAMETERS:
        return FREE_PARAMETERS[name]
    if name in ("code", "location_code"):
        return objects["location"].code
    if name in ("slug", "office_slug"):
        return objects["office"].slug
    if name in ("office_id",) or (name == "id" and "/offices/" in path):
        return objects["office"].id
    if name in ("location_id",) or (name == "id" and "/locations/" in path):
        return objects["location"].id
    if name in ("device_id", "kiosk_id") or (name == "id" and ("/kiosks/" in path or "/devices/" in path)):
        return objects["device"].id
    if name in ("user_id",) or (name == "id" and "/users/" in path):
        return objects["user"].id
    if name in ("token_id",) or (name == "id" and "/tokens/" in path):
        return objects.get("token_id") or 0
    if name in ("survey_id",) or (name == "id" and "/surveys/" in path):
        return objects.get("survey") or objects["location"].survey_id
    if name == "name" and "/reporting/" in path:  # an A-11 upload file (of a detail of the selection)
        return "a11-FY2027Q1-responses-any.csv"
    if name == "response_id":  # a phone comment
        return objects["response_id"]
    if name == "mapping_id":  # sign-in groups are the admins' alone, no office's
        return objects.get("sso_group") or 0
    if name == "alert_id":  # office B's real alerts are walked in tests/alerts/test_admin.py
        return objects.get("alert_id") or 0
    raise AssertionError(
        f"tests/helpers/walks.py does not know parameter {name!r} of {rule.rule}: teach _value() about it"
    )


def route_url(rule: Rule, objects: dict) -> str:
    values = {name: _value(rule, name, objects) for name in rule.arguments}
    url = rule.rule
    for name, value in values.items():
        url = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(value), url)
    return url


def routes_under(app, prefixes=("/admin", "/api/v1")):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(prefixes):
            yield rule

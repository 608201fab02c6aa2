"""The admin menu: four groups, the current place (a sub-page marks the item it sits under), and
the counts of open alerts and open comments in the signed-in user's scope, on every page."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import update

from admin_app.pages import nav_current
from feedback.database import write_transaction
from feedback.models import Alert, AlertRule, Response
from tests.admin.conftest import sign_in
from tests.helpers.responses import put


@pytest.fixture
def place(session, build, make_user):
    mine = build.location("M-1", office=build.office("Mine"))
    theirs = build.location("T-1", office=build.office("Theirs"))
    put(session, mine, [1, 5], date(2026, 11, 2), comment="Mine.")  # two open comments
    put(session, theirs, [1, 1, 1], date(2026, 11, 2), comment="Theirs.")
    with write_transaction(session):
        session.execute(update(Response).where(Response.comment == "Theirs.").values(comment_state="handled"))
        for loc in (mine, theirs):
            rule = AlertRule(location_id=loc.id, kind="silence", params={})
            session.add(rule)
            session.flush()
            session.add(Alert(rule_id=rule.id, location_id=loc.id, kind="silence", claim_key="k", summary="quiet"))
    make_user("boss@example.gov", "admin")
    make_user("mine@example.gov", "manager", [mine])
    return mine, theirs


def counts(body: str) -> dict[str, str]:
    return dict(re.findall(r'data-badge="(\w+)">([\d,]+)<', body))


def groups(body: str) -> list[str]:
    return re.findall(r'class="menu-group-label" id="[^"]+">([^<]+)<', body)


def test_counts_follow_the_scope_on_every_page(client, new_client, place):
    assert sign_in(client, "mine@example.gov").status_code == 302
    for path in ("/admin/", "/admin/kiosks", "/admin/standards"):
        body = client.get(path).get_data(as_text=True)
        assert counts(body) == {"comments": "2", "alerts": "1"}, path
        assert '<span class="visually-hidden"> open</span>' in body
    assert groups(body) == ["Scores", "Comments & alerts", "Reporting", "Setup"]
    assert "/admin/users" not in body  # admins only
    admin = new_client()
    assert sign_in(admin, "boss@example.gov").status_code == 302
    body = admin.get("/admin/").get_data(as_text=True)
    assert counts(body) == {"comments": "2", "alerts": "2"}  # Theirs' comments are handled
    assert 'href="/admin/users"' in body


def test_no_count_when_nothing_is_open(client, session, place):
    with write_transaction(session):
        session.execute(update(Response).values(comment_state="handled").where(Response.comment_state.is_not(None)))
    assert sign_in(client, "mine@example.gov").status_code == 302
    body = client.get("/admin/").get_data(as_text=True)
    assert counts(body) == {"alerts": "1"}


def test_the_current_place_is_marked_and_shown(client, place):
    assert sign_in(client, "boss@example.gov").status_code == 302
    body = client.get("/admin/locations/M-1").get_data(as_text=True)
    # a location's dashboard sits under Dashboard: marked, styled, but not "this page"
    assert '<a href="/admin/" class="current" aria-current="true">Dashboard</a>' in body
    assert '<li class="menu-group current-group">' in body
    body = client.get("/admin/standards").get_data(as_text=True)
    assert '<a href="/admin/standards" class="current" aria-current="page">Service standards</a>' in body
    assert body.count('class="current"') == 1


@pytest.mark.parametrize(
    ("endpoint", "item"),
    [
        ("admin.index", "admin.index"),
        ("admin.location_detail", "admin.index"),
        ("admin.alert_page", "admin.alerts_list"),
        ("admin.alert_rules_edit", "admin.alerts_list"),
        ("admin.office_edit", "admin.offices"),
        ("admin.office_posters", "admin.locations"),
        ("admin.survey_new", "admin.surveys"),
        ("admin.user_edit", "admin.users"),
        ("admin.kiosk_enrol", "admin.kiosks"),
        ("admin.login", None),
        (None, None),
    ],
)
def test_each_page_belongs_to_one_menu_item(endpoint, item):
    assert nav_current(endpoint) == item

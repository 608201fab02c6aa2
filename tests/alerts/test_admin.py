"""Alerts in the admin site: the list, one alert, acknowledging with a comment (audited, CSRF), the
rule settings per location (audited), and the scope: another office's alerts and rules are 404."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from feedback.database import write_transaction
from feedback.models import Alert, AlertRule, AuditEntry, Device, User
from feedback.services import alerts
from tests.admin.conftest import changes, field_errors, fresh, post, sign_in
from tests.alerts.conftest import chicago

MANAGER = "manager.a@example.gov"


@pytest.fixture
def world(session, build, make_user, clock, no_mail, counter):
    """Office A (the Chicago counter) and office B, each with a silence alert; a manager of office A."""
    office_b = build.office(name="Bravo Licence Centre", tz="America/Chicago")
    loc_b = build.location(code="BBB-9", office=office_b)
    device_b, _ = build.device(loc_b)
    manager = make_user(MANAGER, "manager")
    with write_transaction(session):
        session.get(Device, device_b.id).created_at = chicago(2026, 11, 23, 9, 0)
        session.get(User, manager.id).offices = [session.merge(counter["office"])]
    raised = alerts.run_periodic(session, clock.set(chicago(2026, 11, 30, 9, 30)))
    by_location = {session.get(Alert, i).location_id: i for i in raised}
    clock.set(chicago(2026, 11, 30, 9, 45))
    return {
        "a": by_location[counter["location"].id],
        "b": by_location[loc_b.id],
        "token": counter["token"],
        "location_a": counter["location"],
        "location_b": loc_b,
    }


@pytest.fixture
def manager(client, world):
    assert sign_in(client, MANAGER).status_code == 302
    return client


def audit(session) -> list[AuditEntry]:
    return changes(session)


def test_the_list_shows_the_managers_alerts_only(manager, world):
    page = manager.get("/admin/alerts")
    assert page.status_code == 200
    body = html.unescape(page.get_data(as_text=True))
    assert "CHI-1: no response for 60 minutes or more of opening hours" in body
    assert f'href="/admin/alerts/{world["a"]}"' in body
    assert "BBB-9" not in body and "Bravo" not in body
    assert "2026-11-30 09:30 CST" in body
    assert '<a href="/admin/alerts" class="current" aria-current="page">Alerts' in body  # in the menu


def test_the_alert_page_shows_the_figures(manager, world):
    page = manager.get(f"/admin/alerts/{world['a']}")
    assert page.status_code == 200
    body = html.unescape(page.get_data(as_text=True))
    # Monday 23 to Friday 27 November, 08:00-16:30, and Monday 30 November 08:00-09:30.
    assert '<tr><th scope="row">Silent for (opening time)</th><td>43 h 0 min</td></tr>' in body  # 2580 minutes
    assert '<tr><th scope="row">Last response (or kiosk enrolment)</th><td>2026-11-23 09:00 CST</td></tr>' in body
    assert '<tr><th scope="row">Active kiosks</th><td>1</td></tr>' in body
    assert 'name="csrf_token"' in body


def test_another_offices_alert_is_404(manager, world, session):
    assert manager.get(f"/admin/alerts/{world['b']}").status_code == 404
    assert manager.get("/admin/alerts/999999").status_code == 404
    resp = post(manager, f"/admin/alerts/{world['b']}/acknowledge", {"comment": "mine now"})
    assert resp.status_code == 404
    fresh(session)
    b = session.get(Alert, world["b"])
    assert (b.acknowledged_at, b.comment) == (None, None)
    assert audit(session) == []


def test_acknowledge_with_a_comment_is_audited(manager, world, session):
    resp = post(manager, f"/admin/alerts/{world['a']}/acknowledge", {"comment": "  Kiosk was unplugged; fixed.  "})
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/admin/alerts/{world['a']}"
    fresh(session)
    alert = session.get(Alert, world["a"])
    assert alert.acknowledged_at == chicago(2026, 11, 30, 9, 45)  # the app's clock
    assert alert.acknowledged_by == MANAGER
    assert alert.comment == "Kiosk was unplugged; fixed."
    [entry] = audit(session)
    assert (entry.actor, entry.action, entry.target_type, entry.target_id) == (
        MANAGER,
        "alert.acknowledge",
        "alert",
        world["a"],
    )
    assert entry.details == {
        "comment": [None, "Kiosk was unplugged; fixed."],
        "acknowledged_at": [None, chicago(2026, 11, 30, 9, 45).isoformat()],
        "acknowledged_by": [None, MANAGER],
    }

    # No longer open; listed among the acknowledged ones.
    assert f'/admin/alerts/{world["a"]}"' not in manager.get("/admin/alerts").get_data(as_text=True)
    assert f'/admin/alerts/{world["a"]}"' in manager.get("/admin/alerts?state=acknowledged").get_data(as_text=True)

    # A later comment changes the comment only; who acknowledged and when stay.
    assert (
        post(manager, f"/admin/alerts/{world['a']}/acknowledge", {"comment": "New cable ordered."}).status_code == 302
    )
    fresh(session)
    alert = session.get(Alert, world["a"])
    assert (alert.comment, alert.acknowledged_at) == ("New cable ordered.", chicago(2026, 11, 30, 9, 45))
    assert audit(session)[-1].details == {"comment": ["Kiosk was unplugged; fixed.", "New cable ordered."]}


def test_acknowledging_without_the_csrf_token_is_refused(manager, world, session):
    assert manager.post(f"/admin/alerts/{world['a']}/acknowledge", data={"comment": "x"}).status_code == 400
    fresh(session)
    assert session.get(Alert, world["a"]).acknowledged_at is None
    assert audit(session) == []


def test_a_too_long_comment_is_shown_again_with_its_error(manager, world, session):
    resp = post(manager, f"/admin/alerts/{world['a']}/acknowledge", {"comment": "x" * 2001})
    assert resp.status_code == 422
    assert field_errors(resp) == ["Field cannot be longer than 2000 characters."]
    fresh(session)
    assert session.get(Alert, world["a"]).acknowledged_at is None


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    resp = client.get("/admin/alerts")
    assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"]


# --- rules ------------------------------------------------------------------------------------


RULES_FORM = {
    "burst_enabled": "y",
    "burst_negatives": "3",
    "burst_of_last": "6",
    "burst_within_minutes": "20",
    "burst_recipients": "Duty.Officer@example.gov\nlead@example.gov",
    "below_target_window_days": "14",
    "below_target_recipients": "",
    "silence_enabled": "y",
    "silence_minutes": "45",
    "silence_recipients": "",
}


def test_the_rules_page_lists_the_defaults_of_the_managers_locations(manager, world):
    body = html.unescape(manager.get("/admin/alerts/rules").get_data(as_text=True))
    assert "CHI-1" in body and "BBB-9" not in body
    assert "5 negative of the last 8 within 30 min" in body
    assert "60 min of opening hours" in body
    assert "no target set: never fires" in body


def test_saving_the_rules_stores_them_and_audits_each_change(manager, world, session):
    page = manager.get("/admin/alerts/rules/CHI-1")
    assert page.status_code == 200
    assert 'name="burst_negatives" required type="number" value="5"' in page.get_data(as_text=True)
    resp = post(manager, "/admin/alerts/rules/CHI-1", RULES_FORM)
    assert resp.status_code == 302, field_errors(resp)
    fresh(session)
    rules = {
        r.kind: r for r in session.scalars(select(AlertRule).where(AlertRule.location_id == world["location_a"].id))
    }
    assert (rules["burst"].enabled, rules["burst"].params, rules["burst"].recipients) == (
        True,
        {"negatives": 3, "of_last": 6, "within_minutes": 20},
        ["duty.officer@example.gov", "lead@example.gov"],
    )
    assert (rules["below_target"].enabled, rules["below_target"].params) == (False, {"window_days": 14})
    assert (rules["silence"].enabled, rules["silence"].params) == (True, {"minutes": 45})
    entries = audit(session)
    assert [(e.action, e.target_type, e.target_id, e.details["kind"]) for e in entries] == [
        ("alert_rule.update", "location", world["location_a"].id, kind) for kind in ("burst", "below_target", "silence")
    ]
    assert entries[0].details["params"] == [
        {"negatives": 5, "of_last": 8, "within_minutes": 30},
        {"negatives": 3, "of_last": 6, "within_minutes": 20},
    ]
    # Saved again unchanged: nothing new in the audit log.
    assert post(manager, "/admin/alerts/rules/CHI-1", RULES_FORM).status_code == 302
    assert len(audit(session)) == 3


def test_invalid_rules_are_shown_again_and_nothing_is_stored(manager, world, session):
    form = RULES_FORM | {"burst_negatives": "9", "silence_minutes": "2", "burst_recipients": "not-an-address"}
    resp = post(manager, "/admin/alerts/rules/CHI-1", form)
    assert resp.status_code == 422
    assert field_errors(resp) == [
        "Cannot be more than the number of ratings looked at.",
        "Not an e-mail address: not-an-address.",
        "A whole number from 5 to 1440.",
    ]
    form = RULES_FORM | {"burst_negatives": "9"}
    resp = post(manager, "/admin/alerts/rules/CHI-1", form)
    assert field_errors(resp) == ["Cannot be more than the number of ratings looked at."]
    fresh(session)
    # Only the default silence rules stored when the fixture's alerts were raised; nothing from the form.
    assert sorted((r.kind, r.params) for r in session.scalars(select(AlertRule))) == [
        ("silence", {"minutes": 60}),
        ("silence", {"minutes": 60}),
    ]
    assert audit(session) == []


def test_another_offices_rules_are_404(manager, world, session):
    assert manager.get("/admin/alerts/rules/BBB-9").status_code == 404
    assert post(manager, "/admin/alerts/rules/BBB-9", RULES_FORM).status_code == 404
    assert audit(session) == []


def test_saved_rules_apply(manager, world, session, clock):
    from tests.alerts.conftest import stored_alerts, tap

    assert post(manager, "/admin/alerts/rules/CHI-1", RULES_FORM).status_code == 302  # silence after 45 minutes
    tap(manager, world["token"], 5, clock.set(chicago(2026, 12, 1, 8, 0)))
    assert alerts.run_periodic(session, clock.set(chicago(2026, 12, 1, 8, 44))) == []
    [raised] = alerts.run_periodic(session, clock.set(chicago(2026, 12, 1, 8, 45)))
    assert stored_alerts(session)[-1].id == raised
    assert stored_alerts(session)[-1].summary == "CHI-1: no response for 45 minutes or more of opening hours"
    # Switched off: the next silent spell raises nothing.
    assert post(manager, "/admin/alerts/rules/CHI-1", RULES_FORM | {"silence_enabled": ""}).status_code == 302
    tap(manager, world["token"], 5, clock.set(chicago(2026, 12, 1, 9, 0)))
    assert alerts.run_periodic(session, clock.set(chicago(2026, 12, 1, 11, 0))) == []


@pytest.mark.parametrize(
    ("kind", "details", "rows"),
    [
        (
            "below_target",
            {
                "from": "2026-11-24",
                "to": "2026-11-30",
                "window_days": 7,
                "n": 200,
                "positive": 140,
                "csat": 0.7,
                "low": 0.633,
                "high": 0.760,
                "target": 0.8,
            },
            [
                '<th scope="row">Confidence interval</th><td>63.3 % to 76.0 % (95 %)</td>',
                '<th scope="row">Target</th><td>80.0 %</td>',
            ],
        ),
        (
            "burst",
            {
                "negative": 5,
                "counted": 8,
                "first_negative_at": "2026-11-30T15:05:00+00:00",
                "last_negative_at": "2026-11-30T15:25:00+00:00",
                "rule": {"negatives": 5, "of_last": 8, "within_minutes": 30},
            },
            [
                '<th scope="row">Negative ratings</th><td>5 of the last 8</td>',
                '<th scope="row">Latest negative rating</th><td>2026-11-30 09:25 CST</td>',
            ],
        ),
    ],
)
def test_every_kind_of_alert_page_renders_its_figures(manager, world, session, kind, details, rows):
    with write_transaction(session):
        rule = AlertRule(location_id=world["location_a"].id, kind=kind, params={}, recipients=[])
        session.add(rule)
        session.flush()
        alert = Alert(
            rule_id=rule.id,
            location_id=world["location_a"].id,
            kind=kind,
            claim_key=f"{kind}:test",
            summary=f"CHI-1: {kind}",
            details=details,
            email_state="none",
        )
        session.add(alert)
    page = manager.get(f"/admin/alerts/{alert.id}")
    assert page.status_code == 200
    body = html.unescape(page.get_data(as_text=True))
    for row in rows:
        assert row in body

"""Burst of negative ratings, driven through the kiosk API (and the phone survey) with a controlled clock.

The default rule: at least 5 negative among the last 8 non-suspect ratings within 30 minutes.
On faces5, ratings 1-3 are negative and 4-5 positive.
"""

from __future__ import annotations

from datetime import timedelta

from feedback.extensions import limiter
from tests.alerts.conftest import chicago, stored_alerts, tap
from tests.phone.helpers import answer, slug_for


def taps(client, clock, token, ratings, step=timedelta(minutes=1)):
    """One tap per rating, ``step`` apart, each at the clock's time; returns the HTTP statuses."""
    statuses = []
    for rating in ratings:
        statuses.append(tap(client, token, rating, clock.now).status_code)
        clock.now += step
    return statuses


def test_five_negative_of_eight_within_30_minutes_raise_exactly_one_alert(client, clock, counter, session, no_mail):
    token = counter["token"]
    assert taps(client, clock, token, [5, 4, 5]) == [201] * 3  # 10:00-10:02, positive
    assert taps(client, clock, token, [1, 2, 1, 3]) == [201] * 4  # 10:03-10:06: 4 negative of 7
    assert stored_alerts(session) == []

    assert taps(client, clock, token, [2]) == [201]  # 10:07: the 5th negative of the last 8
    [alert] = stored_alerts(session)
    assert alert.kind == "burst"
    assert alert.location_id == counter["location"].id
    assert alert.claim_key == "burst:after:0"
    assert alert.raised_at == chicago(2026, 11, 30, 10, 7)
    assert alert.summary == "CHI-1: 5 of the last 8 ratings were negative within 30 minutes"
    assert alert.details["negative"] == 5 and alert.details["counted"] == 8
    assert alert.details["first_negative_at"] == chicago(2026, 11, 30, 10, 3).isoformat()
    assert alert.details["last_negative_at"] == chicago(2026, 11, 30, 10, 7).isoformat()
    assert alert.email_state == "none"  # e-mail is off: listed in the admin site only
    assert alert.rule.kind == "burst" and alert.rule.params == {"negatives": 5, "of_last": 8, "within_minutes": 30}


def test_more_negatives_in_the_same_episode_raise_no_second_alert(client, clock, counter, session, no_mail):
    token = counter["token"]
    taps(client, clock, token, [5, 5, 5, 1, 1, 1, 1, 1])  # 10:00-10:07, the alert at 10:07
    assert len(stored_alerts(session)) == 1
    # The burst goes on for 40 minutes: more than a window's worth of fresh negatives in a row.
    assert taps(client, clock, token, [1, 2, 1, 1, 1, 2, 1, 1, 1, 1], step=timedelta(minutes=4)) == [201] * 10
    [alert] = stored_alerts(session)
    assert alert.details["last_negative_at"] == chicago(2026, 11, 30, 10, 44).isoformat()  # the episode grew
    # Positives in between, then a negative while the earlier ones still count: the same episode.
    taps(client, clock, token, [5, 5, 5, 1])
    assert len(stored_alerts(session)) == 1


def test_client_times_with_fractions_of_a_second_stay_in_one_episode(client, clock, counter, session, no_mail):
    clock.advance(microseconds=250_000)  # kiosks send milliseconds
    taps(client, clock, counter["token"], [1] * 5)
    [alert] = stored_alerts(session)
    assert alert.details["last_negative_at"] == "2026-11-30T16:04:00.250000+00:00"
    taps(client, clock, counter["token"], [1] * 3)
    assert len(stored_alerts(session)) == 1


def test_positives_raise_nothing_and_cost_no_evaluation(client, clock, counter, session, no_mail, monkeypatch):
    from feedback.services import alerts

    evaluated = []
    monkeypatch.setattr(alerts, "evaluate", lambda *a, **k: evaluated.append(k["kinds"]) or [])
    assert taps(client, clock, counter["token"], [5, 4, 5, 4, 5, 5, 4, 5, 5, 5]) == [201] * 10
    assert evaluated == []
    assert taps(client, clock, counter["token"], [3]) == [201]  # neutral is not positive on faces5
    assert evaluated == [("burst", "below_target")]
    assert stored_alerts(session) == []


def test_negatives_spread_over_more_than_the_window_raise_nothing(client, clock, counter, session, no_mail):
    # One negative every 10 minutes: never more than 3 within 30 minutes.
    assert taps(client, clock, counter["token"], [1] * 12, step=timedelta(minutes=10)) == [201] * 12
    assert stored_alerts(session) == []


def test_repeat_taps_are_suspect_and_do_not_count(client, clock, counter, session, no_mail):
    # Five taps a second apart: the first counts, the other four are repeat taps (suspect).
    assert taps(client, clock, counter["token"], [1] * 5, step=timedelta(seconds=1)) == [201] * 5
    assert stored_alerts(session) == []
    clock.advance(minutes=1)
    assert taps(client, clock, counter["token"], [1] * 3) == [201] * 3  # 4 counted negatives: not yet
    assert stored_alerts(session) == []
    taps(client, clock, counter["token"], [1])
    assert len(stored_alerts(session)) == 1


def test_a_fresh_burst_after_the_first_one_calmed_raises_a_second_alert(client, clock, counter, session, no_mail):
    token = counter["token"]
    taps(client, clock, token, [1] * 5)  # 10:00-10:04
    [first] = stored_alerts(session)
    clock.set(chicago(2026, 11, 30, 11, 30))
    taps(client, clock, token, [5, 5, 5, 5, 5, 5, 5, 5])  # calm
    assert len(stored_alerts(session)) == 1
    taps(client, clock, token, [1, 2, 1, 2, 1])  # 11:38-11:42: five fresh negatives
    alerts = stored_alerts(session)
    assert len(alerts) == 2
    assert alerts[1].claim_key == f"burst:after:{first.id}"
    assert alerts[1].details["first_negative_at"] == chicago(2026, 11, 30, 11, 38).isoformat()


def test_a_disabled_rule_raises_nothing(client, clock, counter, session, no_mail, make_user):
    from feedback.database import write_transaction
    from feedback.services import alert_rules

    admin = make_user("admin@example.gov", "admin")
    with write_transaction(session):
        alert_rules.save_rules(
            session, admin, counter["location"].id, {"burst": {"enabled": False, "params": {}, "recipients": ""}}
        )
    taps(client, clock, counter["token"], [1] * 8)
    assert stored_alerts(session) == []


def test_alerts_on_ingest_off_leaves_the_rules_to_the_periodic_job(
    app, client, clock, counter, session, no_mail, monkeypatch
):
    from feedback.services import alerts

    monkeypatch.setitem(app.config, "ALERTS_ON_INGEST", False)
    assert taps(client, clock, counter["token"], [1] * 5) == [201] * 5
    assert stored_alerts(session) == []
    session.expire_all()
    [alert_id] = alerts.run_periodic(session, clock.now)  # the job still sees the burst
    assert stored_alerts(session)[0].id == alert_id


def test_a_positive_tap_runs_no_statement_for_the_alerts(app, client, clock, counter, session, no_mail, monkeypatch):
    from sqlalchemy import event

    engine = session.get_bind()
    statements = []
    monkeypatch.setitem(app.config, "AUTH_CACHE_SECONDS", 0)  # every tap reads its token: like counts

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def statements_of_a_tap(rating: int) -> int:
        statements.clear()
        clock.advance(minutes=1)
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert taps(client, clock, counter["token"], [rating]) == [201]
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    with_alerts = statements_of_a_tap(5)
    monkeypatch.setitem(app.config, "ALERTS_ON_INGEST", False)
    assert statements_of_a_tap(5) == with_alerts  # the hook decided "positive" from the stored records
    without = statements_of_a_tap(1)
    monkeypatch.setitem(app.config, "ALERTS_ON_INGEST", True)
    assert statements_of_a_tap(1) > without  # a negative one is evaluated


def test_phone_answers_count_too(app, clock, counter, session, no_mail, build):
    from tests.conftest import OwnContextClient

    limiter.reset()
    kiosk = OwnContextClient(app, app.response_class, use_cookies=True)
    taps(kiosk, clock, counter["token"], [1, 1, 1, 1])  # 10:00-10:03
    assert stored_alerts(session) == []
    slug = slug_for(session, counter["location"])
    phone = OwnContextClient(app, app.response_class, use_cookies=True)
    resp, _form = answer(phone, slug, rating=2)  # 10:04, from a phone
    resp.close()
    assert resp.status_code == 303
    [alert] = stored_alerts(session)
    assert alert.details["negative"] == 5 and alert.details["counted"] == 5
    assert alert.summary == "CHI-1: 5 of the last 5 ratings were negative within 30 minutes"
    limiter.reset()

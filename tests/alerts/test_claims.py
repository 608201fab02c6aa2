"""One situation, one alert: repeated and concurrent evaluations claim through the database.

Two evaluators are made to decide "raise" before either claims (a barrier between the read and
the claim), then both insert: the unique (rule_id, claim_key) lets one row in and the other
``INSERT ... ON CONFLICT DO NOTHING`` passes without an error. On SQLite the claims are
serialised by its write lock, on PostgreSQL they really race.
"""

from __future__ import annotations

import threading

import pytest

from feedback.extensions import db
from feedback.services import alerts
from tests.alerts.conftest import chicago, stored_alerts, tap


def test_running_the_periodic_job_twice_raises_one_alert(runner, clock, counter, session, no_mail):
    clock.set(chicago(2026, 11, 30, 9, 30))
    first = runner.invoke(args=["alerts", "run"], catch_exceptions=False)
    second = runner.invoke(args=["alerts", "run"], catch_exceptions=False)
    assert "Raised 1 alert (silence 1)." in first.output
    assert "Raised 0 alerts." in second.output
    assert len(stored_alerts(session)) == 1


def _race(app, monkeypatch, evaluate) -> list[list[int]]:
    """Run ``evaluate()`` in two threads, each with its own app context and database session, both
    held at a barrier after their reads until the other has read too; returns what each raised.
    Both must have found the alert to raise (so both really try to claim it)."""
    barrier = threading.Barrier(2, timeout=20)
    claim = alerts._claim_all
    found = []

    def claim_together(session, found_pass, *args, **kwargs):
        found.append([f.claim_key for f in found_pass.findings])
        barrier.wait()
        return claim(session, found_pass, *args, **kwargs)

    monkeypatch.setattr(alerts, "_claim_all", claim_together)
    results: list = [None, None]
    errors: list = []

    def worker(i):
        try:
            with app.app_context():
                results[i] = evaluate()
        except BaseException as exc:  # noqa: BLE001 (reported by the test)
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(found) == 2 and found[0] == found[1] and len(found[0]) == 1
    return results


def test_two_nodes_running_the_periodic_job_at_once_raise_one_alert(app, clock, counter, session, no_mail, monkeypatch):
    moment = clock.set(chicago(2026, 11, 30, 9, 30))
    results = _race(app, monkeypatch, lambda: alerts.run_periodic(db.session, moment))
    [alert] = stored_alerts(session)
    assert sorted(results, key=len) == [[], [alert.id]]
    assert alert.kind == "silence"


def test_two_evaluators_of_the_same_burst_raise_one_alert(app, client, clock, counter, session, no_mail, monkeypatch):
    for minute in range(5):  # five negatives, then no more requests: the evaluators race on them
        with monkeypatch.context() as m:
            m.setattr(alerts, "evaluate_ingested", lambda *a, **k: [])  # (evaluation off while tapping)
            tap(client, counter["token"], 1, clock.set(chicago(2026, 11, 30, 10, minute)))
    assert stored_alerts(session) == []
    location_id = counter["location"].id
    results = _race(app, monkeypatch, lambda: alerts.evaluate_on_ingest(db.session, [location_id], clock.now))
    [alert] = stored_alerts(session)
    assert alert.kind == "burst" and alert.claim_key == "burst:after:0"
    assert sorted(results, key=len) == [[], [alert.id]]


def test_the_default_rule_row_is_made_once_even_when_two_evaluators_need_it(
    app, clock, counter, session, no_mail, monkeypatch
):
    from sqlalchemy import func, select

    from feedback.models import AlertRule

    moment = clock.set(chicago(2026, 11, 30, 9, 30))
    assert session.scalar(select(func.count()).select_from(AlertRule)) == 0  # defaults: nothing stored yet
    _race(app, monkeypatch, lambda: alerts.run_periodic(db.session, moment))
    session.rollback()
    assert session.execute(select(AlertRule.kind, AlertRule.enabled)).all() == [("silence", True)]


@pytest.mark.parametrize("state", ["pending", "failed"])
def test_an_e_mail_is_claimed_by_one_node_only(app, session, clock, counter, no_mail, state):
    """The pending -> sending UPDATE succeeds once; a second claim (another node) changes nothing."""
    from feedback.services import mailer

    moment = clock.set(chicago(2026, 11, 30, 9, 30))
    [alert_id] = alerts.run_periodic(session, moment, email=True)
    if state == "failed":
        from feedback.database import write_transaction
        from feedback.models import Alert

        with write_transaction(session):
            session.get(Alert, alert_id).email_state = "failed"
        assert mailer._claim(session, alert_id, moment) is False
        assert mailer.requeue(session, moment) == (1, 0)
    assert mailer._claim(session, alert_id, moment) is True
    assert mailer._claim(session, alert_id, moment) is False
    [alert] = stored_alerts(session)
    assert (alert.email_state, alert.email_attempts) == ("sending", 1)

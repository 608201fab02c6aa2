"""Alert e-mail in the metrics (issue 15, item 6): each e-mail the SMTP server takes counts as sent,
each it refuses as a failure, by alert kind."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from feedback.database import write_transaction
from feedback.services import alert_rules
from tests.alerts.conftest import chicago, stored_alerts, tap


def sent(name: str) -> float:
    return REGISTRY.get_sample_value(name, {"kind": "burst"}) or 0.0


@pytest.fixture
def burst_rule(session, counter, make_user):
    admin = make_user("metrics.admin@example.gov", "admin")
    with write_transaction(session):
        alert_rules.save_rules(
            session,
            admin,
            counter["location"].id,
            {"burst": {"enabled": True, "params": {}, "recipients": "duty.officer@example.gov"}},
        )


@pytest.mark.parametrize("refuse", [False, True], ids=["taken", "refused"])
def test_alert_e_mails_are_counted_sent_or_failed(client, clock, counter, burst_rule, session, smtp_server, refuse):
    smtp_server.refuse = refuse
    before = sent("feedback_alerts_sent_total"), sent("feedback_alert_send_failures_total")
    for minute in range(5):
        assert tap(client, counter["token"], 1, clock.set(chicago(2026, 11, 30, 10, minute))).status_code == 201
    [alert] = stored_alerts(session)
    assert alert.email_state == ("failed" if refuse else "sent")
    after = sent("feedback_alerts_sent_total"), sent("feedback_alert_send_failures_total")
    assert (after[0] - before[0], after[1] - before[1]) == ((0, 1) if refuse else (1, 0))

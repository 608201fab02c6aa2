"""E-mail digests (issue 16 item 3): due on the configured weekday and hour in the subscriber's
home zone, sent once per user and period however many schedulers run, multipart and translated,
scoped to the manager's locations; the preview page and the subscription form."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from feedback.database import write_transaction
from feedback.models import DigestSend
from feedback.scheduler import Scheduler, registered_jobs
from feedback.services import digests
from tests.admin.conftest import csrf_token, sign_in
from tests.alerts.conftest import CHICAGO, chicago
from tests.builders import PASSWORD, add_user
from tests.helpers.responses import put

SCHEDULE = digests.Schedule(weekday=0, hour=7)


@pytest.fixture
def scope(build, session):
    """Two Chicago counters with last week's answers; a manager of the first, subscribed weekly."""
    office = build.office(name="Chicago Passport Agency", tz="America/Chicago")
    mine = build.location(code="CHI-1", office=office)
    other = build.location(code="CHI-2", office=office)
    last_week = date(2026, 11, 25)  # a Wednesday
    put(session, mine, [5, 5, 4, 1], last_week, comment=None)
    put(session, mine, [1], last_week, comment="Waited two hours", hour=11)
    put(session, mine, [5], last_week, comment="Lovely staff", hour=12)
    put(session, other, [1], last_week, comment="Secret of the other counter", hour=13)
    with write_transaction(session):
        manager = add_user(session, "boss@example.gov", PASSWORD, "manager", locations=[mine])
        digests.subscribe(session, manager, chicago(2026, 11, 20, 9), weekly=True, daily=False, language="en")
    return {"manager": manager, "mine": mine, "other": other}


def _jobs(app):
    return [job for job in registered_jobs(app.config) if job.name == "digests"]


def test_due_next_send_and_period_keys():
    monday_6 = datetime(2026, 11, 30, 6, 59, tzinfo=CHICAGO)
    assert not digests.is_due("weekly", monday_6, SCHEDULE)
    assert not digests.is_due("daily", monday_6, SCHEDULE)
    assert digests.is_due("weekly", monday_6 + timedelta(minutes=1), SCHEDULE)
    assert digests.is_due("weekly", monday_6 + timedelta(days=3), SCHEDULE)  # caught up later that week
    assert digests.is_due("daily", monday_6 + timedelta(days=1, minutes=1), SCHEDULE)
    assert digests.next_send("weekly", monday_6, SCHEDULE) == datetime(2026, 11, 30, 7, tzinfo=CHICAGO)
    assert digests.next_send("weekly", monday_6 + timedelta(hours=1), SCHEDULE) == datetime(
        2026, 12, 7, 7, tzinfo=CHICAGO
    )
    assert digests.next_send("daily", monday_6 + timedelta(hours=1), SCHEDULE) == datetime(
        2026, 12, 1, 7, tzinfo=CHICAGO
    )
    assert digests.period_key("weekly", date(2026, 11, 30)) == "2026-W49"
    assert digests.covered_days("weekly", date(2026, 11, 30)) == (date(2026, 11, 23), date(2026, 11, 29))
    with pytest.raises(ValueError, match="DIGEST_WEEKDAY"):
        digests.Schedule.from_config("someday", 7)


def test_the_digest_holds_the_managers_scope_only(session, scope):
    digest = digests.build(session, scope["manager"], "weekly", chicago(2026, 11, 30, 7))
    assert (digest.start, digest.end) == (date(2026, 11, 23), date(2026, 11, 29))
    assert [line.code for line in digest.locations] == ["CHI-1"]
    line = digest.locations[0]
    assert (line.tally.count, line.tally.positive) == (6, 4)
    assert [c.text for c in digest.comments] == ["Waited two hours"]  # negative only, own counter only


def test_two_schedulers_send_each_digest_once(app, session, scope, smtp_server, clock):
    app.config.update(DIGEST_WEEKDAY="mon", DIGEST_HOUR=7)
    clock.set(chicago(2026, 11, 30, 6, 30))
    first, second = (Scheduler(app, jobs=_jobs(app), node=n) for n in ("node-a", "node-b"))
    first.tick(), second.tick()
    assert smtp_server.messages == []  # before 07:00 local
    clock.set(chicago(2026, 11, 30, 7, 5))
    outcomes = first.tick() + second.tick()
    assert [o.ok for o in outcomes] == [True]  # one node claimed this hour's run
    clock.set(chicago(2026, 11, 30, 8, 5))  # the next hour's run, on both nodes
    first.tick(), second.tick()
    # Later runs from either node find the digest claimed.
    mail = digests_mailer(app)
    reports = [
        digests.send_due(session, clock.now, mail, lambda m: smtp_server.envelopes.append(m), SCHEDULE, n)
        for n in ("node-a", "node-b")
    ]
    assert [(r.sent, r.skipped) for r in reports] == [(0, 1), (0, 1)]
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "boss@example.gov"
    assert "weekly" in message["Subject"].lower()
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert "CHI-1" in body and "CHI-2" not in body
        assert "Waited two hours" in body and "Secret of the other counter" not in body
        assert "http://127.0.0.1:8000/admin/locations/CHI-1" in body
        assert "/admin/digest" in body
    session.rollback()
    sends = session.scalars(select(DigestSend)).all()
    assert [(s.kind, s.period_key, s.state) for s in sends] == [("weekly", "2026-W49", "sent")]
    clock.set(chicago(2026, 12, 7, 7, 5))  # a week later: the next one
    first.tick()
    assert len(smtp_server.messages) == 2


def digests_mailer(app):
    from feedback import digest_mail
    from feedback.services.mailer import Mailer

    mail = Mailer.from_config(app.config)
    return lambda digest, language: digest_mail.compose(digest, language, mail, digest_now(digest))


def digest_now(digest):
    return datetime.combine(digest.end + timedelta(days=1), datetime.min.time(), digest.zone)


def test_spanish_daily_digest_and_a_refused_send_is_retried(app, session, scope, smtp_server, clock):
    with write_transaction(session):
        digests.subscribe(session, scope["manager"], clock.now, weekly=False, daily=True, language="es")
    clock.set(chicago(2026, 11, 26, 9, 0))  # Thursday: the daily digest of Wednesday
    smtp_server.refuse = True
    job = Scheduler(app, jobs=_jobs(app), node="a")
    [outcome] = job.tick()
    assert "1 failed" in outcome.result
    smtp_server.refuse = False
    clock.set(chicago(2026, 11, 26, 10, 0))
    [outcome] = job.tick()
    assert "1 digests sent" in outcome.result
    [message] = smtp_server.messages
    assert "diario" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "Comentarios destacados" in text and "Waited two hours" in text
    session.rollback()
    [send] = session.scalars(select(DigestSend)).all()
    assert (send.period_key, send.state, send.attempts) == ("2026-11-26", "sent", 2)


def test_a_claim_is_taken_once(session, scope):
    now, user_id = chicago(2026, 11, 30, 7, 5), scope["manager"].id
    first = digests.claim(session, user_id, "weekly", "2026-W49", now, "node-a")
    assert first is not None
    assert digests.claim(session, user_id, "weekly", "2026-W49", now, "node-b") is None
    assert digests.claim(session, user_id, "weekly", "2026-W50", now, "node-b") not in (None, first)


def test_no_mail_without_smtp_nor_to_deactivated_users(app, session, scope, clock, smtp_server):
    clock.set(chicago(2026, 11, 30, 7, 5))
    smtp_url = app.config["SMTP_URL"]
    app.config["SMTP_URL"] = None
    [outcome] = Scheduler(app, jobs=_jobs(app), node="a").tick()
    assert outcome.result == "e-mail off"
    app.config["SMTP_URL"] = smtp_url
    with write_transaction(session):
        session.get(type(scope["manager"]), scope["manager"].id).active = False
    clock.set(chicago(2026, 11, 30, 8, 5))
    [outcome] = Scheduler(app, jobs=_jobs(app), node="a").tick()
    assert outcome.result.startswith("0 digests sent") and smtp_server.messages == []


def test_preview_page_and_subscription_form(app, client, session, scope, clock):
    clock.set(chicago(2026, 11, 29, 20, 0))  # Sunday evening: the next weekly digest is tomorrow 07:00
    assert sign_in(client, "boss@example.gov").status_code == 302
    page = client.get("/admin/digest")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Monday, November 30, 2026" in body
    assert "CHI-1" in body and "CHI-2" not in body and "Waited two hours" in body
    assert client.post("/admin/digest", data={"weekly": "y", "language": "es"}).status_code == 400  # no CSRF
    token = csrf_token(client, "/admin/digest")
    saved = client.post("/admin/digest", data={"csrf_token": token, "daily": "y", "language": "es"})
    assert saved.status_code == 303
    session.rollback()
    sub = digests.subscription(session, scope["manager"].id)
    assert (sub.weekly, sub.daily, sub.language) == (False, True, "es")
    daily = client.get("/admin/digest?kind=daily").get_data(as_text=True)
    assert "checked" in daily and "Nov 29, 2026" in daily


def test_the_digest_leads_with_the_home_pages_attention_list(app, session, scope):
    from feedback.services import attention, digest_attention

    now = chicago(2026, 11, 30, 7)
    digest = digests.build(session, scope["manager"], "weekly", now)
    expected = attention.attention(session, [scope["mine"].id], now).items
    assert expected, "the scope has open comments at least"
    assert [item.path for item in digest.attention] == [digest_attention.path_of(i) for i in expected]
    assert any("open comment" in item.summary for item in digest.attention)
    assert not any("CHI-2" in item.summary for item in digest.attention)  # the manager's scope only
    # Every path the list can name is the admin page the home page links to.
    with app.test_request_context():
        from flask import url_for

        args = {"admin.location_detail": {"code": "CHI 1-é"}, "admin.reporting": {"quarter": "FY2027Q1"}}
        for endpoint in digest_attention.PATHS:
            item = attention.Item("alerts", "high", 1, endpoint, args.get(endpoint, {}))
            assert digest_attention.path_of(item) == url_for(endpoint, **item.args)

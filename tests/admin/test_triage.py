"""Triage pages (admin_app/triage.py): one comment's follow-up form and the topics page, through
the real pages and forms (CSRF on), as an admin and as a manager whose scope is one office."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from sqlalchemy import select

from feedback.database import write_transaction
from feedback.models import AuditEntry, CommentCase, Office, Response, User
from feedback.services import phone
from tests.admin.conftest import csrf_token, fresh
from tests.helpers.responses import utc

ADMIN, MANAGER, OTHER = "admin@example.gov", "manager.a@example.gov", "manager.b@example.gov"


def say(session, location, rating, when, comment, chosen=()):
    return phone.submit(
        session,
        location,
        response_id=uuid.uuid4(),
        rating=rating,
        language="en",
        survey_version=None,
        followup_offered=["ease", "efficiency"],
        followup_chosen=list(chosen),
        comment=comment,
        repeat=False,
        now=when,
    ).response.id


@pytest.fixture
def world(session, build, make_user):
    """Alpha: AAA-1 with two comments; Bravo: BBB-1 with one. A manager of each office, an admin."""
    alpha = build.office("Alpha Passport Agency", "America/Chicago")
    bravo = build.office("Bravo Licence Centre", "America/New_York")
    a1 = build.location("AAA-1", office=alpha)
    b1 = build.location("BBB-1", office=bravo)
    ids = {
        "slow": say(session, a1, 1, utc("2026-11-20T14:05"), "The line was slow", ("efficiency",)),
        "kind": say(session, a1, 5, utc("2026-11-21T15:30"), "Kind staff, short line"),
        "again": say(session, a1, 2, utc("2026-11-19T15:30"), "Long line again"),
        "bravo": say(session, b1, 1, utc("2026-11-23T18:00"), "Bravo's secret comment"),
    }
    users = {"manager": make_user(MANAGER, "manager"), "other": make_user(OTHER, "manager")}
    users["admin"] = make_user(ADMIN, "admin")
    with write_transaction(session):
        session.get(User, users["manager"].id).offices = [session.get(Office, alpha.id)]
        session.get(User, users["other"].id).offices = [session.get(Office, bravo.id)]
    return {"ids": ids, "users": users}


def case_url(rid, **query):
    return f"/admin/comments/{rid}/case" + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def post_case(client, rid, back=None, **data):
    url = case_url(rid, **({"back": back} if back else {}))
    return client.post(url, data={"csrf_token": csrf_token(client, url), **data})


def test_manager_follows_up_a_comment_of_their_office(signed_in_as, world, session):
    client = signed_in_as(MANAGER)
    rid = world["ids"]["slow"]
    body = client.get(case_url(rid)).get_data(as_text=True)
    assert "The line was slow" in body
    options = re.findall(r'<option[^>]*value="(\d*)"[^>]*>([^<]*)</option>', body)
    assert [name for _, name in options] == ["No one", ADMIN, MANAGER]  # not the other office's manager
    me = str(world["users"]["manager"].id)
    answer = post_case(
        client, rid, back="/admin/comments?side=negative", assignee=me, due="2026-11-30", note="Ask the lead"
    )
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/admin/comments?side=negative")
    fresh(session)
    case = session.get(CommentCase, rid)
    assert (str(case.assignee_id), case.due.isoformat(), case.note) == (me, "2026-11-30", "Ask the lead")
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "comment.case")).all()
    assert entry.actor == MANAGER and entry.details["response"] == str(rid)

    # "Assigned to me" in the inbox lists it with its follow-up; the other comment is not.
    body = client.get("/admin/comments?assignee=me").get_data(as_text=True)
    assert "The line was slow" in body and "Kind staff" not in body
    assert f"Assigned to {MANAGER}" in body and "Ask the lead" in body and "due 2026-11-30" in body
    body = client.get("/admin/comments?assignee=none").get_data(as_text=True)
    assert "Kind staff" in body and "The line was slow" not in body
    body = client.get("/admin/comments?side=negative&driver=efficiency").get_data(as_text=True)
    assert "The line was slow" in body and "Kind staff" not in body
    assert client.get("/admin/comments?side=sideways").status_code == 400
    assert client.get("/admin/comments?assignee=someone").status_code == 400

    # Resolve with what was done: the comment is handled.
    answer = post_case(client, rid, assignee=me, resolution="Opened a second window", resolved="y")
    assert answer.status_code == 302
    fresh(session)
    assert session.get(Response, rid).comment_state == "handled"
    assert session.get(CommentCase, rid).resolved_by_id == world["users"]["manager"].id


def test_manager_cannot_reach_or_assign_outside_their_scope(signed_in_as, world, session):
    client = signed_in_as(MANAGER)
    bravo = world["ids"]["bravo"]
    assert client.get(case_url(bravo)).status_code == 404
    token = csrf_token(client, case_url(world["ids"]["slow"]))
    assert client.post(case_url(bravo), data={"csrf_token": token, "note": "x"}).status_code == 404
    # An assignee who does not see the location is not a choice: refused, nothing stored.
    answer = post_case(client, world["ids"]["slow"], assignee=str(world["users"]["other"].id), note="x")
    assert answer.status_code == 422
    # Without the CSRF token: refused.
    assert client.post(case_url(world["ids"]["slow"]), data={"note": "x"}).status_code == 400
    # Resolving without saying what was done: the form says so.
    answer = post_case(client, world["ids"]["slow"], resolved="y")
    assert answer.status_code == 422 and "Say what was done" in html.unescape(answer.get_data(as_text=True))
    # Somewhere else than the inbox as "back": the inbox.
    answer = post_case(client, world["ids"]["slow"], back="//evil.example/admin/comments", note="ok")
    assert answer.headers["Location"].endswith("/admin/comments")
    fresh(session)
    assert session.get(CommentCase, bravo) is None
    assert session.get(CommentCase, world["ids"]["slow"]).note == "ok"
    assert session.get(CommentCase, world["ids"]["slow"]).assignee_id is None
    body = client.get("/admin/comments/topics?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    assert "AAA-1" in body and "BBB-1" not in body
    assert client.get("/admin/comments/topics?location=BBB-1").status_code == 404


def test_admin_topics_show_drivers_and_words_per_location(signed_in_as, world):
    client = signed_in_as(ADMIN)
    answer = client.get("/admin/comments/topics?from=2026-11-01&to=2026-11-30")
    assert answer.status_code == 200
    body = html.unescape(answer.get_data(as_text=True))
    assert "AAA-1" in body and "BBB-1" in body
    # AAA-1: "line" in both negative comments (and one positive, counted apart); linked to them.
    assert re.search(
        r'q=line&amp;side=negative[^>]*>line</a> <span class="hint">\(2 comments\)', answer.get_data(as_text=True)
    )
    assert "No word recurs yet." in body  # after a positive rating, and at BBB-1
    # Efficiency chosen once after a negative rating, linked to those comments.
    assert "driver=efficiency&side=negative" in body
    # The default period is the last 30 days: nothing from November then (the clock is real time).
    assert "No comments in this period." in client.get("/admin/comments/topics?from=2020-01-01&to=2020-01-31").get_data(
        as_text=True
    )


def test_filter_forms_sent_with_empty_fields_are_not_refused(signed_in_as, world):
    """The inbox's filter form sends every field, the empty ones too (a browser does)."""
    client = signed_in_as(ADMIN)
    blank = "office=&location=&q=&from=&to=&assignee=&driver="
    body = client.get(f"/admin/comments?{blank}&side=negative").get_data(as_text=True)
    assert "The line was slow" in body and "Kind staff" not in body
    assert client.get("/admin/comments/topics?location=&from=&to=").status_code == 200


def test_inbox_negative_first_and_its_pages(signed_in_as, world):
    client = signed_in_as(ADMIN)
    body = client.get("/admin/comments?order=negative").get_data(as_text=True)
    assert body.index("Bravo&#39;s secret comment") < body.index("The line was slow") < body.index("Kind staff")
    assert "negative ratings first, then newest" in body
    newest = client.get("/admin/comments").get_data(as_text=True)
    assert newest.index("Kind staff") < newest.index("The line was slow")
    assert client.get("/admin/comments?order=worst").status_code == 400
    assert client.get("/admin/comments?order=negative&after=2~123_abc").status_code == 400

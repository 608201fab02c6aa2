"""The comment inbox of the admin site (/admin/comments), through the real pages and forms.

Tabs with counts, each comment with its location, local time, rating in words, channel and
language; per-row buttons and the bulk form (CSRF, POST-redirect-GET with a flash message);
spam out of the summary API and back; a manager's scope (404, nothing changed); visitor text
escaped.
"""

from __future__ import annotations

import html
import re
import uuid

import pytest
from sqlalchemy import select

from feedback.database import write_transaction
from feedback.models import Office, Response, User
from feedback.services import phone
from tests.admin.conftest import changes, csrf_token, fresh
from tests.builders import add_api_token
from tests.helpers.responses import utc

URL = "/admin/comments"
ALPHA, BRAVO = "Alpha Passport Agency", "Bravo Licence Centre"
ADMIN, MANAGER = "admin@example.gov", "manager.a@example.gov"
XSS = '<script>alert("hi")</script> & <b>bold</b>'


def say(session, location, rating, when, comment, language="en"):
    result = phone.submit(
        session,
        location,
        response_id=uuid.uuid4(),
        rating=rating,
        language=language,
        survey_version=None,
        followup_offered=[],
        followup_chosen=[],
        comment=comment,
        repeat=False,
        now=when,
    )
    return result.response.id


@pytest.fixture
def world(session, build, make_user):
    """Alpha (Chicago): AAA-1 (five faces) with three comments, AAA-2 (thumbs) with one.
    Bravo (New York): BBB-1 with one. A manager of Alpha, an admin with an API token."""
    alpha = build.office(ALPHA, "America/Chicago")
    bravo = build.office(BRAVO, "America/New_York")
    a1 = build.location("AAA-1", office=alpha)
    a2 = build.location("AAA-2", office=alpha, scale="thumbs")
    b1 = build.location("BBB-1", office=bravo)
    ids = {
        # 14:05 UTC = 08:05 in Chicago (CST)
        "slow": say(session, a1, 2, utc("2026-11-20T14:05"), "The line was slow"),
        "kind": say(session, a1, 5, utc("2026-11-21T15:30"), "Maria was very kind", language="es"),
        "xss": say(session, a1, 4, utc("2026-11-22T16:00"), XSS),
        "thumb": say(session, a2, 1, utc("2026-11-23T17:00"), "No chairs to sit on"),
        "bravo": say(session, b1, 1, utc("2026-11-23T18:00"), "Bravo's secret comment"),
    }
    manager = make_user(MANAGER, "manager")
    make_user(ADMIN, "admin")
    with write_transaction(session):
        session.get(User, manager.id).offices = [session.get(Office, alpha.id)]
        _token, api = add_api_token(session, session.get(User, manager.id), "reports")
    return {"alpha": alpha, "bravo": bravo, "a1": a1, "a2": a2, "b1": b1, "ids": ids, "api": api, "manager": manager}


@pytest.fixture
def manager(signed_in_as, world):
    return signed_in_as(MANAGER)


@pytest.fixture
def admin(signed_in_as, world):
    return signed_in_as(ADMIN)


def page(client, **query) -> str:
    response = client.get(URL, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def shown(body: str) -> list[str]:
    """The comment texts on a page, in order, unescaped."""
    return [html.unescape(t) for t in re.findall(r'<blockquote id="text-[0-9a-f]+">(.*?)</blockquote>', body, re.S)]


def tab_counts(body: str) -> dict[str, int]:
    found = re.findall(r'<li><a href="[^"]*"(?: aria-current="page")?>(\w+) <span class="count">\((\d+)\)</span>', body)
    return {label: int(n) for label, n in found}


def act(client, action: str, *ids, token: str | None = None, query: dict | None = None, follow=False):
    token = token or csrf_token(client, URL)
    return client.post(
        URL,
        query_string=query,
        data={"csrf_token": token, "action": action, "ids": [str(i) for i in ids]},
        follow_redirects=follow,
    )


def state(session, response_id):
    fresh(session)
    return session.execute(
        select(Response.comment_state, Response.comment_flagged).where(Response.id == response_id)
    ).one()


def summary(client, world, **query):
    response = client.get(
        "/api/v1/summary",
        headers={"Authorization": f"Bearer {world['api']}"},
        query_string={"from": "2026-11-01", "to": "2026-11-30", **query},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["total"]


# --- the page -----------------------------------------------------------------------------------


def test_inbox_shows_the_managers_comments_with_details(manager, world):
    body = page(manager)
    assert shown(body) == ["No chairs to sit on", XSS, "Maria was very kind", "The line was slow"]
    assert "Bravo" not in body and "BBB-1" not in body
    assert tab_counts(body) == {"Open": 4, "Flagged": 0, "Handled": 0, "Archived": 0, "Spam": 0}
    assert '<a href="/admin/comments" aria-current="page">Open' in body
    # Local time in the office's zone, rating in words with the scale, channel, language.
    assert (
        '<time datetime="2026-11-20T08:05:00-06:00">Nov 20, 2026, 8:05:00\u202fAM</time> CST' in body
        or '<time datetime="2026-11-20T08:05:00-06:00">Nov 20, 2026, 8:05:00 AM</time> CST' in body
    )
    assert "Dissatisfied (2 of 5, Five faces)" in body
    assert "Very satisfied (5 of 5, Five faces)" in body
    assert "Thumbs down (1 of 2, Thumbs)" in body
    assert "Phone (QR) · Español" in body and "Phone (QR) · English" in body
    assert "AAA-2" in body and ALPHA in body
    # The menu links here, for a manager too.
    assert '<a href="/admin/comments" class="current" aria-current="page">Comments' in body


def test_comment_text_is_escaped(manager, world):
    body = page(manager)
    assert "<script>alert" not in body and "<b>bold</b>" not in body
    assert "&lt;script&gt;alert(&#34;hi&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in body


def test_every_control_has_a_label_and_every_form_a_csrf_token(manager, world):
    body = page(manager)
    boxes = re.findall(r'<input type="checkbox" form="bulk" name="ids" value="([^"]+)" id="([^"]+)">', body)
    assert len(boxes) == 4
    for _value, box_id in boxes:
        label = re.search(rf'<label for="{box_id}" class="visually-hidden">([^<]+)</label>', body)
        assert label and label.group(1).startswith("Select the comment of "), box_id
    assert '<label for="select-all" class="visually-hidden">Select all comments on this page</label>' in body
    assert '<label for="bulk-action">With the selected comments</label>' in body
    for label_for in ("f-location", "f-q", "f-from", "f-to"):
        assert f'<label for="{label_for}">' in body
    forms = re.findall(r'<form method="post"[^>]*>.*?</form>|<form id="bulk"[^>]*>.*?</form>', body, re.S)
    assert len(forms) == 1 + 4 + 1  # bulk, a row each, sign out
    assert all('name="csrf_token"' in form for form in forms)
    assert "<caption>Open comments, newest first</caption>" in body
    assert body.count('<th scope="col"') == 6
    assert 'src="/static/admin/comments.js"' in body and "<script>" not in body


def test_filters_location_text_and_dates(manager, world):
    assert shown(page(manager, location="aaa-2")) == ["No chairs to sit on"]
    assert shown(page(manager, q="MARIA")) == ["Maria was very kind"]
    assert tab_counts(page(manager, q="maria"))["Open"] == 1
    assert shown(page(manager, **{"from": "2026-11-21", "to": "2026-11-22"})) == [XSS, "Maria was very kind"]
    assert shown(page(manager, office=world["alpha"].slug)) == shown(page(manager))
    assert "No comments match." in page(manager, q="nothing like this")


def test_filters_outside_the_scope_or_malformed(manager, world):
    assert manager.get(URL, query_string={"location": "BBB-1"}).status_code == 404
    assert manager.get(URL, query_string={"location": "NOPE-1"}).status_code == 404
    assert manager.get(URL, query_string={"office": world["bravo"].slug}).status_code == 404
    assert manager.get(URL, query_string={"tab": "deleted"}).status_code == 400
    assert manager.get(URL, query_string={"from": "2026-13-01"}).status_code == 400
    assert manager.get(URL, query_string={"from": "2026-11-20", "to": "2026-11-01"}).status_code == 400
    assert manager.get(URL, query_string={"after": "junk"}).status_code == 400


def test_pages_of_older_comments(manager, world, monkeypatch):
    monkeypatch.setattr("admin_app.comments.PER_PAGE", 3)
    first = page(manager)
    assert shown(first) == ["No chairs to sit on", XSS, "Maria was very kind"]
    older = re.search(r'<a href="(/admin/comments\?after=[^"]+)" rel="next">Older comments</a>', first)
    assert older
    second = manager.get(html.unescape(older.group(1)))
    body = second.get_data(as_text=True)
    assert shown(body) == ["The line was slow"]
    assert '<a href="/admin/comments">Newest</a>' in body and "Older comments" not in body


# --- acting -------------------------------------------------------------------------------------


def test_row_action_handles_redirects_with_a_flash_and_audits(manager, world, session):
    rid = world["ids"]["slow"]
    response = act(manager, "handle", rid)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/comments"
    body = manager.get(URL).get_data(as_text=True)
    assert '<p class="flash" role="status">1 comment marked handled.</p>' in body
    assert "The line was slow" not in shown(body)
    assert tab_counts(body)["Handled"] == 1
    assert tuple(state(session, rid)) == ("handled", False)
    [entry] = changes(session)
    assert (entry.action, entry.actor, entry.target_type, entry.target_id) == (
        "comment.handle",
        MANAGER,
        "response",
        None,
    )
    assert entry.details == {"response": str(rid), "location": "AAA-1", "comment_state": ["open", "handled"]}
    # Back where the user acted from: the same tab and filters.
    query = {"tab": "handled", "q": "slow"}
    response = act(manager, "reopen", rid, query=query)
    assert response.headers["Location"] == "/admin/comments?tab=handled&q=slow"
    assert tuple(state(session, rid)) == ("open", False)


@pytest.mark.parametrize(
    ("action", "expected", "message"),
    [
        ("archive", ("archived", False), "1 comment archived."),
        ("flag", ("open", True), "1 comment flagged."),
        ("mark_spam", ("spam", False), "1 comment marked as spam; its rating no longer counts in any score."),
    ],
)
def test_each_row_action(manager, world, session, action, expected, message):
    rid = world["ids"]["kind"]
    body = act(manager, action, rid, follow=True).get_data(as_text=True)
    assert message in body
    assert tuple(state(session, rid)) == expected
    [entry] = changes(session)
    assert entry.action == f"comment.{action}" and entry.details["response"] == str(rid)


def test_row_buttons_follow_the_state(manager, world, session):
    rid = world["ids"]["slow"]
    act(manager, "flag", rid)
    act(manager, "mark_spam", world["ids"]["kind"])

    def buttons(body, response_id):
        row = re.search(rf'<tr id="c-{response_id.hex}".*?</tr>', body, re.S).group(0)
        return re.findall(r'<button type="submit" name="action" value="(\w+)"', row)

    body = page(manager)
    assert buttons(body, rid) == ["handle", "archive", "mark_spam", "unflag"]
    assert f'<tr id="c-{rid.hex}" class="flagged">' in body
    assert buttons(page(manager, tab="spam"), world["ids"]["kind"]) == ["unmark_spam"]
    assert shown(page(manager, tab="flagged")) == ["The line was slow"]
    assert re.findall(
        r'<option value="(\w+)">', page(manager, tab="spam").split('id="bulk-action"')[1].split("</select>")[0]
    ) == ["unmark_spam"]


def test_bulk_spam_leaves_the_summary_api_and_unspam_restores_it(manager, world, session):
    before = summary(manager, world, location="AAA-1")
    # AAA-1: 2, 5, 4 -> 2 of 3 positive.
    assert (before["count"], before["positive"], before["csat"]) == (3, 2, 0.6667)
    ids = world["ids"]
    response = act(manager, "mark_spam", ids["slow"], ids["xss"])
    assert response.status_code == 302
    body = manager.get(URL).get_data(as_text=True)
    assert "2 comments marked as spam; their ratings no longer count in any score." in body
    after = summary(manager, world, location="AAA-1")
    assert (after["count"], after["positive"], after["csat"], after["distribution"]) == (
        1,
        1,
        1.0,
        {"faces5": [0, 0, 0, 0, 1]},
    )
    # Spam is also gone from the raw responses of the read API and the location page's comments.
    raw = manager.get(
        "/api/v1/responses",
        headers={"Authorization": f"Bearer {world['api']}"},
        query_string={"from": "2026-11-01", "to": "2026-11-30", "location": "AAA-1"},
    ).get_json()
    assert [r["id"] for r in raw["responses"]] == [str(ids["kind"])]
    location_page = manager.get("/admin/locations/AAA-1", query_string={"from": "2026-11-01", "to": "2026-11-30"})
    assert "The line was slow" not in location_page.get_data(as_text=True)
    assert "Maria was very kind" in location_page.get_data(as_text=True)
    # Twice is once: nothing more is subtracted.
    body = act(manager, "mark_spam", ids["slow"], follow=True).get_data(as_text=True)
    assert "1 of the chosen comments needed no change." in body
    assert summary(manager, world, location="AAA-1") == after
    assert tab_counts(page(manager))["Spam"] == 2

    act(manager, "unmark_spam", ids["slow"], ids["xss"], query={"tab": "spam"})
    assert summary(manager, world, location="AAA-1") == before
    fresh(session)
    assert [e.action for e in changes(session)] == ["comment.mark_spam"] * 2 + ["comment.unmark_spam"] * 2


def test_bulk_without_a_choice_or_with_a_bad_value(manager, world, session):
    token = csrf_token(manager, URL)
    response = manager.post(URL, data={"csrf_token": token, "action": "handle"}, follow_redirects=True)
    assert "Choose at least one comment first." in response.get_data(as_text=True)
    assert (
        manager.post(URL, data={"csrf_token": token, "action": "delete", "ids": str(world["ids"]["slow"])}).status_code
        == 400
    )
    assert manager.post(URL, data={"csrf_token": token, "action": "handle", "ids": "not-a-uuid"}).status_code == 400
    assert (
        manager.post(
            URL,
            query_string={"tab": "nope"},
            data={"csrf_token": token, "action": "handle", "ids": str(world["ids"]["slow"])},
        ).status_code
        == 400
    )
    fresh(session)
    assert changes(session) == []
    assert {s for (s,) in session.execute(select(Response.comment_state))} == {"open"}


# --- scope and CSRF -----------------------------------------------------------------------------


def test_a_manager_cannot_act_on_another_offices_comment(manager, world, session):
    ids = world["ids"]
    assert act(manager, "mark_spam", ids["bravo"]).status_code == 404
    # A bulk action with one comment outside the scope changes nothing at all.
    assert act(manager, "mark_spam", ids["slow"], ids["bravo"], ids["kind"]).status_code == 404
    assert act(manager, "handle", uuid.uuid4()).status_code == 404
    fresh(session)
    assert {s for (s,) in session.execute(select(Response.comment_state))} == {"open"}
    assert changes(session) == []
    assert summary(manager, world, location="AAA-1")["count"] == 3


def test_an_admin_sees_and_acts_on_every_office(admin, world, session):
    body = page(admin)
    assert "Bravo's secret comment" in shown(body) and len(shown(body)) == 5
    assert shown(page(admin, office=world["bravo"].slug)) == ["Bravo's secret comment"]
    assert act(admin, "archive", world["ids"]["bravo"]).status_code == 302
    assert tuple(state(session, world["ids"]["bravo"])) == ("archived", False)
    # The audit log shows the entry.
    audit = admin.get("/admin/audit").get_data(as_text=True)
    assert "comment.archive" in audit and str(world["ids"]["bravo"]) in audit


def test_posts_without_a_csrf_token_are_refused(manager, world, session):
    rid = world["ids"]["slow"]
    assert manager.post(URL, data={"action": "mark_spam", "ids": str(rid)}).status_code == 400
    assert manager.post(URL, data={"action": "mark_spam", "ids": str(rid), "csrf_token": "forged"}).status_code == 400
    assert tuple(state(session, rid)) == ("open", False)


def test_signed_out_is_sent_to_sign_in(client, world, session):
    assert client.get(URL).status_code == 302
    token = csrf_token(client)  # the sign-in page's token: a session, but no user
    response = client.post(URL, data={"csrf_token": token, "action": "mark_spam", "ids": str(world["ids"]["slow"])})
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    assert tuple(state(session, world["ids"]["slow"])) == ("open", False)

"""Triage of comments (feedback.services.triage) and their topics (feedback.services.topics):
cases assigned in scope and audited, the inbox's triage filters, drivers and keywords per location."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from feedback.database import write_transaction
from feedback.models import AuditEntry, CommentCase, Response
from feedback.services import comments, topics, triage
from feedback.services.actors import CLI
from feedback.services.errors import InvalidInput, NotFound
from tests.builders import add_user
from tests.helpers.responses import say, utc

NOW = utc("2026-11-20T12:00")
ALL_DRIVERS = ("effectiveness", "ease", "efficiency", "transparency", "humanity", "employee")


@pytest.fixture
def world(session, build):
    """Chicago C-1 (faces5) and C-2, Honolulu H-1; a manager of C-1 only, one of the Chicago office,
    one of Honolulu, an admin and a deactivated admin."""
    chicago = build.office("Chicago Field Office", tz="America/Chicago")
    honolulu = build.office("Honolulu Field Office", tz="Pacific/Honolulu")
    c1 = build.location("C-1", office=chicago)
    c2 = build.location("C-2", office=chicago)
    h1 = build.location("H-1", office=honolulu)
    ids = {
        "slow": say(session, c1, 2, utc("2026-11-10T15:20"), "The line was slow", choices=("efficiency",)),
        "slow2": say(session, c1, 1, utc("2026-11-10T16:20"), "Slow line, slow staff", choices=("efficiency", "ease")),
        "good": say(session, c1, 5, utc("2026-11-11T15:00"), "Great staff", choices=("ease",)),
        "other": say(session, c2, 3, utc("2026-11-13T17:00"), "Parking was hard to find"),
        "hnl": say(session, h1, 5, utc("2026-11-13T20:00"), "Aloha, quick visit"),
    }
    with write_transaction(session):
        people = {
            "admin": add_user(session, "admin@example.gov", "x" * 12, "admin"),
            "c1": add_user(session, "c1@example.gov", "x" * 12, "manager", [c1]),
            "chicago": add_user(session, "chi@example.gov", "x" * 12, "manager", offices=[chicago]),
            "hnl": add_user(session, "hnl@example.gov", "x" * 12, "manager", offices=[honolulu]),
            "gone": add_user(session, "gone@example.gov", "x" * 12, "admin"),
        }
        people["gone"].active = False
    return {"C-1": c1, "C-2": c2, "H-1": h1, "ids": ids, "people": people, "all": {c1.id, c2.id, h1.id}}


def case_input(**kw):
    return triage.CaseInput(**{"assignee_id": None, "due": None, "note": "", "resolution": "", "resolved": False} | kw)


def audits(session, action):
    session.rollback()
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_users_in_scope_are_admins_and_the_managers_who_see_the_location(session, world):
    names = lambda loc: [u.email for u in triage.users_in_scope(session, world[loc].id)]  # noqa: E731
    assert names("C-1") == ["admin@example.gov", "c1@example.gov", "chi@example.gov"]
    assert names("C-2") == ["admin@example.gov", "chi@example.gov"]
    assert names("H-1") == ["admin@example.gov", "hnl@example.gov"]
    scope_c2 = {world["C-2"].id}
    assert [u.email for u in triage.assignees_for_scope(session, scope_c2)] == ["admin@example.gov", "chi@example.gov"]


def test_assigning_stores_the_case_and_audits_each_change(session, world):
    rid, manager = world["ids"]["slow"], world["people"]["chicago"]
    changed = triage.save_case(
        session,
        manager,
        {world["C-1"].id, world["C-2"].id},
        rid,
        case_input(assignee_id=world["people"]["c1"].id, due=date(2026, 11, 25), note="  Call the counter lead  "),
        NOW,
    )
    assert changed == {
        "assignee_id": [None, world["people"]["c1"].id],
        "due": [None, "2026-11-25"],
        "note": [None, "Call the counter lead"],
    }
    session.rollback()
    case = session.get(CommentCase, rid)
    assert (case.assignee_id, case.due, case.note, case.resolved_at) == (
        world["people"]["c1"].id,
        date(2026, 11, 25),
        "Call the counter lead",
        None,
    )
    [entry] = audits(session, "comment.case")
    assert entry.actor == "chi@example.gov"
    assert entry.details["response"] == str(rid) and entry.details["location"] == "C-1"
    assert entry.details["note"] == [None, "Call the counter lead"]
    # The same values again: nothing changes, nothing audited.
    same = case_input(assignee_id=world["people"]["c1"].id, due=date(2026, 11, 25), note="Call the counter lead")
    assert triage.save_case(session, manager, world["all"], rid, same, NOW) == {}
    assert len(audits(session, "comment.case")) == 1


def test_an_empty_case_is_not_stored(session, world):
    assert triage.save_case(session, CLI, world["all"], world["ids"]["good"], case_input(), NOW) == {}
    session.rollback()
    assert session.scalar(select(func.count()).select_from(CommentCase)) == 0
    assert audits(session, "comment.case") == []


def test_assignee_must_see_the_location(session, world):
    rid = world["ids"]["other"]  # C-2: the C-1-only manager does not see it
    with pytest.raises(InvalidInput) as exc:
        triage.save_case(session, CLI, world["all"], rid, case_input(assignee_id=world["people"]["c1"].id), NOW)
    assert "assignee_id" in exc.value.errors
    with pytest.raises(InvalidInput):  # a deactivated admin is no one's assignee
        triage.save_case(session, CLI, world["all"], rid, case_input(assignee_id=world["people"]["gone"].id), NOW)
    session.rollback()
    assert session.get(CommentCase, rid) is None
    assert audits(session, "comment.case") == []


def test_a_comment_outside_the_scope_is_not_found(session, world):
    manager = world["people"]["c1"]
    with pytest.raises(NotFound):
        triage.save_case(session, manager, {world["C-1"].id}, world["ids"]["hnl"], case_input(note="x"), NOW)
    session.rollback()
    assert session.get(CommentCase, world["ids"]["hnl"]) is None


def test_spam_has_no_case(session, world):
    rid = world["ids"]["good"]
    comments.act(session, CLI, world["all"], "mark_spam", [rid])
    with pytest.raises(NotFound):
        triage.save_case(session, CLI, world["all"], rid, case_input(note="x"), NOW)


def test_resolving_needs_what_was_done_and_marks_the_comment_handled(session, world):
    rid, admin = world["ids"]["slow"], world["people"]["admin"]
    with pytest.raises(InvalidInput) as exc:
        triage.save_case(session, admin, world["all"], rid, case_input(resolved=True, resolution="  "), NOW)
    assert list(exc.value.errors) == ["resolution"]
    changed = triage.save_case(
        session, admin, world["all"], rid, case_input(resolved=True, resolution="Added a second clerk at noon"), NOW
    )
    assert changed["resolved_at"] == [None, NOW.isoformat()]
    assert changed["resolved_by_id"] == [None, admin.id]
    session.rollback()
    assert session.get(Response, rid).comment_state == "handled"
    [handled] = audits(session, "comment.handle")
    assert handled.details["comment_state"] == ["open", "handled"]
    # Reopening the case clears who resolved it; the comment stays handled (the inbox reopens it).
    changed = triage.save_case(
        session, admin, world["all"], rid, case_input(resolution="Added a second clerk at noon"), NOW
    )
    assert set(changed) == {"resolved_at", "resolved_by_id"}
    session.rollback()
    assert session.get(CommentCase, rid).resolved_at is None


def listed(session, world, user_id=None, tab="open", **filters):
    page = comments.inbox(session, world["all"], tab=tab, extra=triage.conditions(user_id, **filters))
    names = {v: k for k, v in world["ids"].items()}
    return sorted(names[i.id] for i in page.items), page.counts


def test_side_driver_and_assignee_filters(session, world):
    # Negative is "not positive" as everywhere (A-11's negative follow-up): 3 of 5 is on that side.
    assert listed(session, world, side="negative")[0] == ["other", "slow", "slow2"]
    assert listed(session, world, side="positive")[0] == ["good", "hnl"]
    assert listed(session, world, driver="efficiency")[0] == ["slow", "slow2"]
    assert listed(session, world, driver="ease")[0] == ["good", "slow2"]
    assert listed(session, world, driver="humanity")[0] == []
    me = world["people"]["chicago"]
    triage.save_case(session, CLI, world["all"], world["ids"]["slow2"], case_input(assignee_id=me.id), NOW)
    triage.save_case(session, CLI, world["all"], world["ids"]["other"], case_input(note="no one yet"), NOW)
    assert listed(session, world, me.id, assignee="me")[0] == ["slow2"]
    assert listed(session, world, None, assignee=str(me.id))[0] == ["slow2"]
    assert listed(session, world, None, assignee="me")[0] == []  # a system actor has no assignments
    assert listed(session, world, assignee="none")[0] == ["good", "hnl", "other", "slow"]
    names, counts = listed(session, world, me.id, assignee="me", side="negative", driver="ease")
    assert names == ["slow2"] and counts["open"] == 1 and counts["handled"] == 0
    with pytest.raises(InvalidInput):
        triage.conditions(None, side="sideways")
    with pytest.raises(InvalidInput):
        triage.conditions(None, driver="speed")


def test_topics_count_drivers_by_side_and_find_recurring_words(session, world):
    c1 = world["C-1"].id
    found = topics.topics(session, world["all"], date(2026, 11, 1), date(2026, 11, 30))
    assert [t.location_id for t in found] == [c1, world["C-2"].id, world["H-1"].id]
    first = found[0]
    assert first.comments == 3
    assert first.drivers["efficiency"] == [2, 0] and first.drivers["ease"] == [1, 1]
    # Negative: "slow" is in 2 comments of C-1, "line" in 2; "staff" in one only (not a topic).
    words = {kw.word: kw.comments for kw in first.negative_words}
    assert words == {"slow": 2, "line": 2}
    assert first.negative_words[0].word == "slow"  # three times: the most frequent
    assert first.positive_words == []  # one positive comment: no word recurs
    # Spam and other periods are left out.
    comments.act(session, CLI, world["all"], "mark_spam", [world["ids"]["slow2"]])
    found = topics.topics(session, {c1}, date(2026, 11, 1), date(2026, 11, 30))
    assert found[0].comments == 2 and found[0].negative_words == []
    assert topics.topics(session, {c1}, date(2026, 11, 12), date(2026, 11, 30)) == []


def test_keywords_prefer_words_of_one_location():
    docs = {
        1: ["long wait at the window", "long wait again", "window closed"],
        2: ["long wait", "long queue", "parking hard"],
    }
    found = topics.keywords(docs, min_comments=2)
    # "window" is only in location 1's comments; "long" and "wait" are everywhere: lower IDF.
    assert [kw.word for kw in found[1]] == ["window", "long", "wait"]
    assert [kw.word for kw in found[2]] == ["long"]  # "wait" is in one comment there
    assert topics.words("The staff, THE staff! [removed] 12345 über") == ["staff", "staff", "über"]


def test_negative_first_order_pages_by_side_then_newest(session, world):
    """Negative: slow2 (Nov 10 16:20), slow (15:20), other (3 of 5, Nov 13); positive: hnl, good."""
    names = {v: k for k, v in world["ids"].items()}
    seen, after = [], None
    while True:
        page = comments.inbox(session, world["all"], per_page=2, after=after, negative_first=True)
        seen += [names[i.id] for i in page.items]
        if page.next_cursor is None:
            break
        assert page.next_cursor[:2] in ("0~", "1~")
        after = page.next_cursor
    assert seen == ["other", "slow2", "slow", "hnl", "good"]
    newest = [names[i.id] for i in comments.inbox(session, world["all"]).items]
    assert newest == ["hnl", "other", "good", "slow2", "slow"]
    # A cursor of the other order is refused, not misread.
    plain = comments.inbox(session, world["all"], per_page=2).next_cursor
    with pytest.raises(InvalidInput):
        comments.inbox(session, world["all"], per_page=2, after=plain, negative_first=True)
    with pytest.raises(InvalidInput):
        comments.inbox(session, world["all"], per_page=2, after="0~" + plain)


def test_retention_purge_forgets_the_follow_up_with_the_text(session, world):
    from feedback.services import retention

    old, recent = world["ids"]["slow"], world["ids"]["hnl"]
    for rid in (old, recent):
        triage.save_case(session, CLI, world["all"], rid, case_input(note="Quoted: the line was slow"), NOW)
    # Comments older than 7 days on Nov 18 (so before Nov 11) go: "slow" (Nov 10), not "hnl" (Nov 13).
    retention.purge(session, utc("2026-11-18T00:00"), comment_days=7, audit_days=None)
    session.rollback()
    assert session.get(CommentCase, old) is None
    assert session.get(CommentCase, recent).note == "Quoted: the line was slow"

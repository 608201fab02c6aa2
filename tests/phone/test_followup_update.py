"""The phone answer's update path: the rating is stored on the first post, and the follow-up,
the comment or a corrected rating update that same response: idempotent, for that phone's own
answer only (a forged id changes nothing), within PHONE_UPDATE_MINUTES, and with the rollups
kept equal to the responses (``flask rollups rebuild`` agrees)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from feedback.extensions import db
from feedback.models import FollowupDaily, ResponseHourly
from feedback.services import comments, followup_update
from feedback.services.actors import CLI
from tests.builders import auth, response_body
from tests.phone.helpers import answer, hidden_fields, open_survey, post, slug_for, stored


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock(app, monkeypatch):
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    monkeypatch.setitem(app.config, "CLOCK", clock)
    return clock


def rollups_now():
    """Both rollup tables, emptied buckets left out (an update can leave a bucket at zero)."""
    with db.engine.connect() as conn:
        hourly = sorted(tuple(r) for r in conn.execute(select(ResponseHourly.__table__)) if r.n != 0)
        followups = sorted(
            tuple(r) for r in conn.execute(select(FollowupDaily.__table__)) if (r.offered, r.chosen) != (0, 0)
        )
    return hourly, followups


def rate(client, slug, rating, **form_extra):
    """The first post of a fresh page (a face chosen): returns the page's form for later posts."""
    form = open_survey(client, slug)
    form.update(rating=str(rating), step="rate", **form_extra)
    assert post(client, slug, form, json=True).get_json() == {"status": "ok"}
    return form


def test_the_first_post_stores_and_later_posts_update_the_same_response(client, slug):
    form = rate(client, slug, 2)
    [row] = stored()
    assert (str(row["id"]), row["rating"], row["followup_chosen"], row["comment"]) == (form["id"], 2, [], None)
    form.update(step="send", choice=["efficiency"], comment="The line was long")
    for _ in range(2):  # sent twice (a retry): the same answer
        assert post(client, slug, form, json=True).get_json() == {"status": "ok"}
        [row] = stored()
        assert (row["rating"], row["followup_chosen"], row["comment"]) == (2, ["efficiency"], "The line was long")
        assert row["comment_state"] == "open"
    form.update(comment="Call me at (713) 555-0134")  # an update's comment is scrubbed like any other
    post(client, slug, form, json=True)
    assert stored()[0]["comment"] == "Call me at [removed]"
    form.update(step="send", choice=[], comment="")  # the visitor took it all back
    post(client, slug, form, json=True)
    [row] = stored()
    assert (row["followup_chosen"], row["comment"], row["comment_state"]) == ([], None, None)


def test_a_reopened_page_continues_the_answer_and_never_duplicates(client, slug, location):
    form = rate(client, slug, 5)
    page = client.get(f"/s/{slug}")  # the visitor closed the tab and scanned the code again
    html = page.get_data(as_text=True)
    reopened = hidden_fields(html)
    assert reopened["id"] == form["id"] and reopened["rating"] == "5"
    assert "Your rating is saved" in html
    assert 'value="5" class="rate" aria-pressed="true"' in html
    reopened.update(step="send", choice=["employee"], comment="Maria was great")
    assert post(client, slug, reopened).status_code == 303
    again = hidden_fields(client.get(f"/s/{slug}").get_data(as_text=True))
    assert again["id"] == form["id"]
    [row] = stored()
    assert (row["rating"], row["followup_chosen"], row["comment"]) == (5, ["employee"], "Maria was great")
    html = client.get(f"/s/{slug}").get_data(as_text=True)
    assert 'value="employee" checked' in html and "Maria was great" in html


@pytest.mark.parametrize("script", [False, True])
def test_a_forged_id_cannot_touch_another_phones_answer(new_client, client, slug, script):
    victim = rate(client, slug, 5)
    victim.update(step="send", choice=["ease"], comment="All good")
    post(client, slug, victim)
    [before] = stored()

    attacker = new_client()
    form = open_survey(attacker, slug)
    for step in ("rate", "send", "skip"):
        form.update(id=victim["id"], rating="1", step=step, choice=["efficiency"], comment="forged")
        refused = post(attacker, slug, form, json=script)
        assert refused.status_code == 403, step
        if script:
            assert "id" in refused.get_json()["errors"]
        else:
            assert "can no longer be changed" in refused.get_data(as_text=True)
    assert stored() == [before]


def test_a_forged_id_cannot_touch_a_kiosk_response_or_another_counters(client, build, session, office, slug):
    _device, token = build.device(office=office)
    kiosk = response_body(4)
    assert client.post("/api/v1/responses", json=kiosk, headers=auth(token)).status_code == 201
    own_elsewhere = rate(client, slug_for(session, build.location(office=office)), 3)  # at another counter
    before = stored()
    for forged in (kiosk["id"], own_elsewhere["id"]):
        form = open_survey(client, slug)
        form.update(id=forged, rating="1", step="send", comment="forged")
        assert post(client, slug, form, json=True).status_code == 403
    assert stored() == before


def test_the_update_is_time_limited(app, client, slug, clock, monkeypatch):
    monkeypatch.setitem(app.config, "PHONE_UPDATE_MINUTES", 30)
    form = rate(client, slug, 4)
    clock.now += timedelta(minutes=29)
    form.update(step="send", choice=["ease"])
    assert post(client, slug, form).status_code == 303
    clock.now += timedelta(minutes=2)  # 31 minutes after the rating was stored
    form.update(step="send", choice=["ease", "efficiency"], comment="late")
    refused = post(client, slug, form)
    assert refused.status_code == 409
    assert "Your answer was already sent" in refused.get_data(as_text=True)
    assert post(client, slug, form, json=True).status_code == 409
    [row] = stored()
    assert (row["followup_chosen"], row["comment"]) == (["ease"], None)
    assert hidden_fields(client.get(f"/s/{slug}").get_data(as_text=True))["id"] != form["id"]  # a new page


def test_an_answer_the_office_reviewed_is_not_changed(client, session, slug, location):
    form = rate(client, slug, 2)
    form.update(step="send", comment="Slow today")
    post(client, slug, form)
    [row] = stored()
    comments.act(session, CLI, [location.id], "handle", [row["id"]])
    form.update(comment="Actually fine", rating="5")
    assert post(client, slug, form, json=True).status_code == 409
    assert [(r["rating"], r["comment"]) for r in stored()] == [(2, "Slow today")]


def test_rollups_stay_equal_to_the_responses_through_updates(client, new_client, slug, runner):
    phones = [client, new_client(), new_client()]
    forms = [rate(phone, slug, rating) for phone, rating in zip(phones, (5, 2, 4), strict=True)]
    steps = [
        (0, {"step": "send", "choice": ["ease", "employee"]}),
        (1, {"step": "rate", "rating": "5"}),  # negative to positive: no chips to carry over
        (1, {"step": "skip", "rating": "5", "choice": ["efficiency"]}),
        (2, {"step": "send", "rating": "1", "choice": ["humanity"], "comment": "rude"}),
        (0, {"step": "send", "choice": ["ease"]}),
        (0, {"step": "send", "choice": ["ease"]}),  # again: no change
    ]
    for index, change in steps:
        forms[index].update(change)
        assert post(phones[index], slug, forms[index], json=True).status_code == 200
    rows = {str(r["id"]): r for r in stored()}
    assert [(rows[f["id"]]["rating"], rows[f["id"]]["followup_chosen"]) for f in forms] == [
        (5, ["ease"]),
        (5, ["efficiency"]),
        (1, ["humanity"]),
    ]
    incremental = rollups_now()
    with db.engine.connect() as conn:
        assert conn.scalar(select(func.sum(ResponseHourly.n))) == 3  # three responses, each counted once

    result = runner.invoke(args=["rollups", "rebuild"])
    assert result.exit_code == 0 and "from 3 responses" in result.output
    assert rollups_now() == incremental


def test_the_service_refuses_ids_the_phone_does_not_own(session, client, slug, location):
    form = rate(client, slug, 3)
    own = uuid.UUID(form["id"])
    now = datetime.now(UTC)
    change = followup_update.Change(rating=1)
    with pytest.raises(followup_update.NotYours):
        followup_update.update(session, location, own, change, mine=set(), now=now, window=timedelta(minutes=30))
    with pytest.raises(followup_update.Closed):
        followup_update.update(
            session, location, own, change, mine={own}, now=now + timedelta(hours=1), window=timedelta(minutes=30)
        )
    updated = followup_update.update(session, location, own, change, mine={own}, now=now, window=timedelta(minutes=30))
    assert updated.rating == 1
    assert [r["rating"] for r in stored()] == [1]


def test_one_post_with_everything_still_stores_once(client, slug):
    """A script whose rating post was lost sends everything with Send: stored then, once."""
    sent, form = answer(client, slug, 4, choices=["ease"], comment="ok", json=True)
    assert sent.get_json() == {"status": "ok"}
    assert post(client, slug, form, json=True).status_code == 200
    [row] = stored()
    assert (row["rating"], row["followup_chosen"], row["comment"]) == (4, ["ease"], "ok")

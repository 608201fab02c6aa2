"""The phone survey at /s/<slug>: pages, plain-form and script posts, repeats, honeypot, comments, privacy."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pytest
from sqlalchemy import event, select

from feedback.database import write_transaction
from feedback.extensions import db
from feedback.models.rollups import ResponseHourly
from feedback.scales import DEFAULT_FOLLOWUP
from feedback.services import phone, survey_links
from tests.builders import add_survey_version
from tests.phone.helpers import answer, dropped, hidden_fields, link_count, open_survey, post, slug_for, stored

QUESTION_EN = "How was the vehicle registration counter?"
QUESTION_ES = "¿Qué tal el mostrador de registro de vehículos?"


def nothing_stored():
    return not stored() and not dropped()


# --- GET /s/<slug> --------------------------------------------------------------------------------


def test_survey_page_shows_the_locations_question(client, slug, location):
    page = client.get(f"/s/{slug}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert QUESTION_EN in html
    assert "Harris County Tax Office" in html
    assert "Very satisfied" in html and "Very dissatisfied" in html
    assert page.headers["Cache-Control"] == "no-store"
    fields = hidden_fields(html)
    assert fields["lang"] == "en"
    assert fields["survey_version"] == str(location.survey.current_version().id)
    uuid.UUID(fields["id"])
    assert nothing_stored()


def test_each_page_gets_a_new_response_id(client, slug):
    assert open_survey(client, slug)["id"] != open_survey(client, slug)["id"]


@pytest.mark.parametrize("how", ["accept-language", "query"])
def test_survey_page_in_spanish(client, slug, how):
    if how == "accept-language":
        page = client.get(f"/s/{slug}", headers={"Accept-Language": "es-MX,es;q=0.9"})
    else:
        page = client.get(f"/s/{slug}?lang=es", headers={"Accept-Language": "en-US,en;q=0.9"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="es" dir="ltr">' in html
    assert QUESTION_ES in html and QUESTION_EN not in html
    assert "Muy satisfecho" in html and "Muy insatisfecho" in html
    assert "Very satisfied" not in html
    assert hidden_fields(html)["lang"] == "es"


def test_english_is_the_default_for_other_languages(client, slug):
    html = client.get(f"/s/{slug}", headers={"Accept-Language": "fr-FR,fr"}).get_data(as_text=True)
    assert QUESTION_EN in html and hidden_fields(html)["lang"] == "en"


def test_unknown_slug_is_a_friendly_404(client, slug):
    links = link_count()
    for path in ("/s/nosuchslug", "/s/" + "a" * 80, "/s/nosuchslug/thanks"):
        page = client.get(path)
        assert page.status_code == 404, path
        assert "We could not find this survey" in page.get_data(as_text=True)
    assert nothing_stored() and link_count() == links


def test_unknown_slug_in_spanish(client):
    page = client.get("/s/nosuchslug", headers={"Accept-Language": "es"})
    assert page.status_code == 404
    assert '<html lang="es" dir="ltr">' in page.get_data(as_text=True)


def test_rotated_slug_is_gone_and_names_the_office(client, session, location, slug):
    with write_transaction(session):
        new = survey_links.rotate(session, location, datetime.now(UTC)).slug
    assert new != slug
    page = client.get(f"/s/{slug}")
    html = page.get_data(as_text=True)
    assert page.status_code == 410
    assert "no longer in use" in html
    assert "Harris County Tax Office" in html
    assert client.get(f"/s/{new}").status_code == 200
    assert nothing_stored()


def test_a_form_opened_before_rotation_is_not_stored(client, session, location, slug):
    form = open_survey(client, slug)
    with write_transaction(session):
        survey_links.rotate(session, location, datetime.now(UTC))
    form.update(rating="5", step="send", comment="fine")
    page = post(client, slug, form)
    assert page.status_code == 410
    assert "no longer in use" in page.get_data(as_text=True)
    assert nothing_stored()


def test_inactive_location_is_gone(client, session, location, slug):
    form = open_survey(client, slug)
    with write_transaction(session):
        location.active = False
    page = client.get(f"/s/{slug}")
    html = page.get_data(as_text=True)
    assert page.status_code == 410
    assert "not collecting feedback" in html
    assert "Harris County Tax Office" in html
    form.update(rating="5", step="send")
    assert post(client, slug, form).status_code == 410
    assert post(client, slug, form, json=True).status_code == 410
    assert nothing_stored()


# --- Without JavaScript: rating page, details page, thanks -----------------------------------------


@pytest.mark.parametrize(
    ("rating", "wording", "other"),
    [
        (1, "What could be better?", "What went well?"),
        (2, "What could be better?", "What went well?"),
        (3, "What could be better?", "What went well?"),
        (4, "What went well?", "What could be better?"),
        (5, "What went well?", "What could be better?"),
    ],
)
def test_rating_alone_is_stored_and_shows_the_details_page(client, slug, rating, wording, other):
    form = open_survey(client, slug)
    form["rating"] = str(rating)  # the rating button's name and value; no step
    page = post(client, slug, form)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert wording in html and other not in html
    assert "Your rating is saved" in html
    details = hidden_fields(html)
    assert details["rating"] == str(rating)
    assert details["id"] == form["id"]
    assert details["csrf_token"]
    assert 'name="choice" value="efficiency"' in html
    assert 'name="comment"' in html
    # Stored now: a visitor who leaves at this page is counted (issue 10 item 3).
    [row] = stored()
    assert (str(row["id"]), row["rating"], row["followup_chosen"], row["comment"]) == (form["id"], rating, [], None)
    assert row["followup_offered"] == list(DEFAULT_FOLLOWUP)


def test_details_page_in_spanish(client, slug):
    form = open_survey(client, slug, headers={"Accept-Language": "es"})
    form["rating"] = "1"
    html = post(client, slug, form).get_data(as_text=True)
    assert "¿Qué podríamos mejorar?" in html
    assert "Tardó demasiado" in html  # the negative chip of "efficiency"
    assert hidden_fields(html)["lang"] == "es"


def _details(client, slug, rating):
    form = open_survey(client, slug)
    form["rating"] = str(rating)
    page = post(client, slug, form)
    assert page.status_code == 200
    return hidden_fields(page.get_data(as_text=True))


def test_send_from_the_details_page_stores_the_answer(client, slug, location):
    details = _details(client, slug, 2)
    details.update(
        step="send", choice=["efficiency", "ease"], comment="  The line was long,\n call me at 713-555-0134 "
    )
    sent = post(client, slug, details)
    assert sent.status_code == 303
    target = urlparse(sent.headers["Location"])
    assert target.path == f"/s/{slug}/thanks"
    thanks = client.get(sent.headers["Location"])
    assert thanks.status_code == 200
    assert "Thank you!" in thanks.get_data(as_text=True)

    [row] = stored()
    assert row["id"] == uuid.UUID(details["id"])
    assert row["location_id"] == location.id
    assert row["survey_version_id"] == location.survey.current_version().id
    assert row["channel"] == "qr"
    assert row["device_id"] is None
    assert row["rating"] == 2
    assert row["followup_offered"] == list(DEFAULT_FOLLOWUP)
    assert sorted(row["followup_chosen"]) == ["ease", "efficiency"]
    assert row["language"] == "en"
    assert row["comment"] == "The line was long, call me at [removed]"
    assert row["suspect"] is False
    assert row["received_at"] is not None


def test_send_in_spanish_stores_the_language(client, slug):
    form = open_survey(client, slug, query="?lang=es")
    form["rating"] = "5"
    details = hidden_fields(post(client, slug, form).get_data(as_text=True))
    details.update(step="send", choice=["humanity"])
    sent = post(client, slug, details)
    assert sent.status_code == 303
    assert "lang=es" in sent.headers["Location"]
    assert "¡Gracias!" in client.get(sent.headers["Location"]).get_data(as_text=True)
    [row] = stored()
    assert row["language"] == "es" and row["followup_chosen"] == ["humanity"] and row["comment"] is None


def test_skip_keeps_the_chosen_chips_and_sends_no_comment(client, slug):
    """Skip means "no more": what was ticked is kept, and only Send stores a comment."""
    details = _details(client, slug, 1)
    details.update(step="skip", choice=["employee", "efficiency"], comment="I typed this and then skipped")
    sent = post(client, slug, details)
    assert sent.status_code == 303
    [row] = stored()
    assert row["rating"] == 1
    assert row["followup_offered"] == list(DEFAULT_FOLLOWUP)
    assert row["followup_chosen"] == ["efficiency", "employee"]  # in the survey's order
    assert row["comment"] is None


def test_choices_the_survey_does_not_offer_are_ignored(client, build, session, office):
    location = build.location(office=office, followup=("ease", "efficiency"))
    slug = slug_for(session, location)
    sent, _ = answer(client, slug, 2, choices=["ease", "humanity"])
    assert sent.status_code == 303
    [row] = stored()
    assert row["followup_offered"] == ["ease", "efficiency"]
    assert row["followup_chosen"] == ["ease"]


def test_unknown_choice_is_refused(client, slug):
    sent, _ = answer(client, slug, 2, choices=["bribery"])
    assert sent.status_code == 422
    assert nothing_stored()


def test_the_same_form_twice_stores_one_row(client, slug):
    details = _details(client, slug, 4)
    details.update(step="send", choice=["ease"], comment="Quick")
    first = post(client, slug, details)
    again = post(client, slug, details)
    assert first.status_code == again.status_code == 303
    assert urlparse(again.headers["Location"]).path == f"/s/{slug}/thanks"
    [row] = stored()
    assert row["rating"] == 4 and row["suspect"] is False


def test_the_same_phone_correcting_its_rating_updates_the_one_response(client, slug):
    details = _details(client, slug, 4)
    details.update(step="send", choice=["ease"])
    assert post(client, slug, details).status_code == 303
    details.update(rating="5", choice=["ease", "employee"])
    assert post(client, slug, details).status_code == 303
    assert post(client, slug, details, json=True).get_json() == {"status": "ok"}  # idempotent
    [row] = stored()
    assert (row["rating"], row["followup_chosen"], row["suspect"]) == (5, ["ease", "employee"], False)
    details.update(rating="1", step="rate")  # the other side: the positive chips no longer apply
    assert post(client, slug, details).status_code == 200
    [row] = stored()
    assert (row["rating"], row["followup_chosen"]) == (1, [])


def test_rating_outside_the_scale_is_refused(client, slug):
    for rating in ("0", "6", "five", ""):
        form = open_survey(client, slug)
        form["rating"] = rating
        page = post(client, slug, form)
        assert page.status_code == 422, rating
        assert "Please choose one of the answers below." in page.get_data(as_text=True)
    assert nothing_stored()


def test_missing_id_is_refused(client, slug):
    form = open_survey(client, slug)
    del form["id"]
    form.update(rating="3", step="send")
    assert post(client, slug, form).status_code == 422
    assert nothing_stored()


def test_rating_off_the_scale_is_refused_before_the_details_page(client, build, session, office):
    thumbs = slug_for(session, build.location(office=office, scale="thumbs"))
    form = open_survey(client, thumbs)
    form["rating"] = "4"  # within the form's range, not on a thumbs scale
    page = post(client, thumbs, form)
    assert page.status_code == 422
    assert "Please choose one of the answers below." in page.get_data(as_text=True)
    form["rating"] = "1"
    assert "What could be better?" in post(client, thumbs, form).get_data(as_text=True)
    assert [row["rating"] for row in stored()] == [1]


def _edit_survey(session, location, **changes):
    settings = {"scale": "faces5", "question": {"en": "Edited question?"}, "followup_choices": ("ease", "other")}
    settings.update(changes)
    with write_transaction(session):
        return add_survey_version(session, location.survey, **settings)


def test_a_page_opened_before_the_survey_was_edited_keeps_its_version(client, session, location, slug):
    seen = location.survey.current_version()
    form = open_survey(client, slug)
    edited = _edit_survey(session, location)
    form.update(rating="2", step="send", choice=["efficiency", "humanity"])
    sent = post(client, slug, form, json=True)
    assert sent.status_code == 200, sent.get_data(as_text=True)
    [row] = stored()
    assert row["survey_version_id"] == seen.id != edited.id
    assert row["followup_offered"] == list(DEFAULT_FOLLOWUP)  # what the page showed
    assert sorted(row["followup_chosen"]) == ["efficiency", "humanity"]


def test_details_page_keeps_the_version_of_the_rating_page(client, new_client, session, location, slug):
    seen = location.survey.current_version()
    form = open_survey(client, slug)
    _edit_survey(session, location, scale="thumbs")
    form["rating"] = "5"  # on the five faces the visitor saw
    page = post(client, slug, form)
    assert page.status_code == 200
    details = hidden_fields(page.get_data(as_text=True))
    assert details["survey_version"] == str(seen.id)
    details.update(step="send", choice=["employee"])
    assert post(client, slug, details).status_code == 303
    [row] = stored()
    assert (row["rating"], row["survey_version_id"], row["followup_chosen"]) == (5, seen.id, ["employee"])
    # This phone, reopening the survey, continues its answer on the version it saw...
    assert "Edited question?" not in client.get(f"/s/{slug}").get_data(as_text=True)
    # ...and a page opened by another phone shows the edited survey.
    assert "Edited question?" in new_client().get(f"/s/{slug}").get_data(as_text=True)


def test_a_version_of_another_survey_is_refused(client, build, session, office, slug):
    other = build.location(office=office).survey.current_version()
    form = open_survey(client, slug)
    form.update(rating="5", step="send", survey_version=str(other.id))
    refused = post(client, slug, form, json=True)
    assert refused.status_code == 422
    assert "survey_version" in refused.get_json()["errors"]
    assert nothing_stored()


# --- With JavaScript: one post with Accept: application/json ---------------------------------------


def test_script_post_stores_one_row(client, slug):
    sent, form = answer(client, slug, 5, choices=["employee"], comment="Maria was great", json=True)
    assert sent.status_code == 200
    assert sent.get_json() == {"status": "ok"}
    [row] = stored()
    assert row["id"] == uuid.UUID(form["id"])
    assert row["channel"] == "qr" and row["device_id"] is None
    assert row["rating"] == 5 and row["followup_chosen"] == ["employee"]
    assert row["comment"] == "Maria was great"
    assert row["suspect"] is False


def test_script_skip(client, slug):
    sent, _ = answer(client, slug, 3, step="skip", choices=["ease"], comment="never mind", json=True)
    assert sent.get_json() == {"status": "ok"}
    [row] = stored()
    assert row["followup_chosen"] == ["ease"] and row["comment"] is None


def test_script_retry_stores_one_row(client, slug):
    sent, form = answer(client, slug, 5, json=True)
    again = post(client, slug, form, json=True)
    assert sent.status_code == again.status_code == 200
    assert len(stored()) == 1


def test_script_errors_are_json(client, build, session, office, slug):
    form = open_survey(client, slug)
    form.update(rating="9", step="send")
    refused = post(client, slug, form, json=True)
    assert refused.status_code == 422
    assert "rating" in refused.get_json()["errors"]
    # Valid for the form, not for this survey's scale (thumbs: 1 or 2).
    thumbs = slug_for(session, build.location(office=office, scale="thumbs"))
    refused, _ = answer(client, thumbs, 4, json=True)
    assert refused.status_code == 422
    assert "rating" in refused.get_json()["errors"]
    assert nothing_stored()


# --- CSRF ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("script", [False, True])
def test_post_without_csrf_token_is_refused(client, slug, script):
    form = open_survey(client, slug)
    del form["csrf_token"]
    form.update(rating="5", step="send")
    page = post(client, slug, form, json=script)
    assert page.status_code == 400
    assert "This page has expired" in page.get_data(as_text=True)
    assert nothing_stored()


def test_csrf_token_is_bound_to_the_session(new_client, client, slug):
    form = open_survey(client, slug)
    form.update(rating="5", step="send")
    other = new_client()  # no session cookie: the token is not theirs
    page = post(other, slug, form)
    assert page.status_code == 400
    assert "This page has expired" in page.get_data(as_text=True)
    form["csrf_token"] = "forged"
    assert post(client, slug, form).status_code == 400
    assert nothing_stored()


# --- One answer per phone per location per 10 minutes ----------------------------------------------


def _suspects():
    return [row["suspect"] for row in sorted(stored(), key=lambda row: row["received_at"])]


def test_second_answer_from_the_same_phone_is_suspect(new_client, client, slug):
    assert answer(client, slug, 5)[0].status_code == 303
    second, _ = answer(client, slug, 1, comment="again")
    assert second.status_code == 303  # thanked like anyone else
    assert answer(client, slug, 2, json=True)[0].get_json() == {"status": "ok"}
    assert _suspects() == [False, True, True]
    other_phone = new_client()
    assert answer(other_phone, slug, 4)[0].status_code == 303
    assert _suspects() == [False, True, True, False]


def test_the_window_is_per_location(client, build, session, office, slug):
    other = slug_for(session, build.location(office=office))
    answer(client, slug, 5)
    answer(client, other, 5)
    assert _suspects() == [False, False]


def test_not_suspect_after_the_window(client, slug, location):
    answer(client, slug, 5)
    with client.session_transaction() as cookie:
        answered = cookie["answered"]
        assert set(answered) == {str(location.id)}
        answered[str(location.id)] = (datetime.now(UTC) - timedelta(minutes=11)).timestamp()
        cookie["answered"] = answered
    answer(client, slug, 4)
    assert _suspects() == [False, False]
    answer(client, slug, 3)  # the window started again with the last answer
    assert _suspects() == [False, False, True]


def test_just_inside_the_window_is_suspect(client, slug, location):
    answer(client, slug, 5)
    with client.session_transaction() as cookie:
        cookie["answered"] = {str(location.id): (datetime.now(UTC) - timedelta(minutes=9)).timestamp()}
    answer(client, slug, 4)
    assert _suspects() == [False, True]


def test_the_window_comes_from_the_config(app, client, slug, monkeypatch):
    monkeypatch.setitem(app.config, "PHONE_REPEAT_MINUTES", 0)
    answer(client, slug, 5)
    answer(client, slug, 4)
    assert _suspects() == [False, False]
    monkeypatch.setitem(app.config, "PHONE_REPEAT_MINUTES", 10)
    answer(client, slug, 3)
    assert _suspects() == [False, False, True]


def test_suspect_answers_go_to_the_suspect_rollup(client, slug):
    answer(client, slug, 5)
    answer(client, slug, 1)
    with db.engine.connect() as conn:
        rows = conn.execute(select(ResponseHourly.__table__)).mappings().all()
    assert sorted((row["suspect"], row["n"], row["channel"]) for row in rows) == [(False, 1, "qr"), (True, 1, "qr")]


def test_session_cookie_holds_only_location_ids_and_times(app, client, build, session, office, slug, location):
    other = build.location(office=office)
    before = datetime.now(UTC).timestamp()
    answer(client, slug, 2, choices=["efficiency"], comment="Ask for Dana Smith, dana@example.com")
    answer(client, slug_for(session, other), 5, json=True)
    after = datetime.now(UTC).timestamp()

    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only
    content = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    # Flask-Login marks any non-empty session not fresh (a boolean); no user id or identifier is kept.
    assert set(content) <= {"csrf_token", "answered", "mine", "_fresh"}
    assert content.get("_fresh", False) is False
    answered = content["answered"]
    assert set(answered) == {str(location.id), str(other.id)}
    assert all(isinstance(t, float) and before <= t <= after for t in answered.values())
    # The phone's own answers (random ids it may still complete), per location.
    mine = content["mine"]
    assert set(mine) == {str(location.id), str(other.id)}
    for response_id, made in mine.values():
        assert uuid.UUID(response_id) in {row["id"] for row in stored()} and before <= made <= after
    text = json.dumps(content)
    for personal in ("Dana", "dana@example.com", "efficiency", "127.0.0.1"):
        assert personal not in text


def test_cookie_forgets_old_answers(client, build, session, office, slug, location):
    other = build.location(office=office)
    with client.session_transaction() as cookie:
        cookie["answered"] = {str(other.id): (datetime.now(UTC) - timedelta(hours=2)).timestamp()}
    answer(client, slug, 5)
    with client.session_transaction() as cookie:
        assert set(cookie["answered"]) == {str(location.id)}


# --- Honeypot --------------------------------------------------------------------------------------


def test_filled_honeypot_is_thanked_and_counted_not_stored(client, build, session, office, slug, location):
    before = datetime.now(location.office.tz).date()
    page, _ = answer(client, slug, 5, comment="buy now", website="http://spam.example")
    assert page.status_code == 200
    assert "Thank you!" in page.get_data(as_text=True)
    script, _ = answer(client, slug, 1, website="x", json=True)
    assert script.get_json() == {"status": "ok"}
    rating_only = open_survey(client, slug)  # a bot posting the first page
    rating_only.update(rating="3", website="x")
    assert "Thank you!" in post(client, slug, rating_only).get_data(as_text=True)

    other = build.location(office=office)
    answer(client, slug_for(session, other), 5, website="x")
    after = datetime.now(location.office.tz).date()

    assert stored() == []
    counts = {(row["location_id"], row["reason"]): row for row in dropped()}
    assert set(counts) == {(location.id, "honeypot"), (other.id, "honeypot")}
    assert counts[(location.id, "honeypot")]["count"] == 3
    assert counts[(other.id, "honeypot")]["count"] == 1
    assert counts[(location.id, "honeypot")]["local_date"] in {before, after}


def test_honeypot_counts_by_the_offices_local_date(session, build):
    office = build.office(tz="Pacific/Honolulu")
    location = build.location(office=office)
    late = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)  # still 1 March in Honolulu (UTC-10)
    phone.count_dropped(session, location, "honeypot", now=late)
    phone.count_dropped(session, location, "honeypot", now=late + timedelta(hours=2))  # 2 March there
    days = {row["local_date"].isoformat(): row["count"] for row in dropped()}
    assert days == {"2026-03-01": 1, "2026-03-02": 1}


# --- Comments --------------------------------------------------------------------------------------


def test_long_comment_is_cut_to_500(client, slug):
    text = "".join(f"word{i} " for i in range(200))  # ~1,300 characters
    sent, _ = answer(client, slug, 3, comment=text)
    assert sent.status_code == 303
    [row] = stored()
    assert len(row["comment"]) == 500
    assert row["comment"] == " ".join(text.split())[:500]


@pytest.mark.parametrize("script", [False, True])
def test_comment_over_2000_is_refused(client, slug, script):
    sent, _ = answer(client, slug, 3, comment="a" * 2001, json=script)
    assert sent.status_code == 422
    if script:
        assert "comment" in sent.get_json()["errors"]
    assert nothing_stored()


def test_comment_of_2000_is_kept_cut(client, slug):
    sent, _ = answer(client, slug, 3, comment="b" * 2000)
    assert sent.status_code == 303
    assert stored()[0]["comment"] == "b" * 500


def test_blank_comment_is_stored_as_none(client, slug):
    answer(client, slug, 3, comment="   \n\t  ")
    assert stored()[0]["comment"] is None


def test_comment_with_control_characters_is_stored(client, slug):
    # PostgreSQL refuses NUL in text; the comment must not turn the answer into a server error.
    sent, _ = answer(client, slug, 3, comment="line one\x00line two\x07 \u200bend")
    assert sent.status_code == 303
    assert stored()[0]["comment"] == "line one line two end"


def test_numbers_hidden_with_invisible_characters_are_removed(client, slug):
    answer(
        client,
        slug,
        3,
        comment="call 713\u200b555\u200b0134 or \uff17\uff11\uff13\uff0d\uff15\uff15\uff15"
        "\uff0d\uff10\uff11\uff13\uff14",
    )
    assert stored()[0]["comment"] == "call [removed] or [removed]"


def test_comment_with_personal_data_is_stored_scrubbed(client, slug):
    sent, _ = answer(
        client,
        slug,
        2,
        comment="Call me at (713) 555-0134 or write to jo.doe@example.com about SSN 123-45-6789 at 10:30 on 11/23/2026",
        json=True,
    )
    assert sent.status_code == 200
    assert (
        stored()[0]["comment"] == "Call me at [removed] or write to [removed] about SSN [removed] "
        "at 10:30 on 11/23/2026"
    )


def test_personal_data_across_the_500_character_cut_is_removed(client, slug):
    # An e-mail or number that straddles the cut must not be kept in part.
    for tail in (" jane.doe@example.org", " 4111 1111 1111 1111", " passport A12345678"):
        head = "x" * (500 - len(tail) + 6)  # the cut falls 6 characters before the end of the tail
        sent, _ = answer(client, slug, 3, comment=head + tail)
        assert sent.status_code == 303
        comment = _latest_comment()
        assert len(comment) <= 500
        for fragment in ("jane", "doe", "4111", "1111", "A1234", "12345"):
            assert fragment not in comment, (tail, comment[-30:])


def _latest_comment():
    return max(stored(), key=lambda row: row["received_at"])["comment"]


# --- Privacy end to end: originals never reach the database ----------------------------------------

PERSONAL = [
    "maria.gonzalez@example.com",
    "M.Gonzalez+dmv@mail.example.org",
    "(713) 555-0134",
    "713.555.0134",
    "+1 713 555 0134",
    "713-555-0199",
    "555-0134",
    "+44 20 7946 0958",
    "+52 55 1234 5678",
    "+33 1 23 45 67 89",
    "123-45-6789",
    "123456789",
    "A12345678",
    "4111 1111 1111 1111",
    "4111-1111-1111-1111",
    "00012345678901234",
]
ORDINARY = ["10:30", "11/23/2026", "$130", "window 3", "45 minutes"]


def _strings(value):
    """Every string (or bytes) inside DB-API parameters: tuples, lists, dicts, nested."""
    if isinstance(value, (str, bytes)):
        yield value.decode(errors="replace") if isinstance(value, bytes) else value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


@pytest.fixture
def sql_log(app):
    """Every SQL statement and parameter sent to the database while the test runs."""
    seen: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)
        seen.extend(_strings(parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    yield seen
    event.remove(db.engine, "before_cursor_execute", capture)


def test_personal_data_never_reaches_the_database(client, slug, sql_log):
    comments = [
        "Please call me at {1} or {2} or {3}, e-mail {0}. Waited 45 minutes at window 3 from 10:30 on 11/23/2026, "
        "paid $130.".format(*PERSONAL[:4]),
        "My SSN is {10} (also {11}), passport {12}, card {13}, other card {14}, account {15}.".format(*PERSONAL),
        "International: {7}, {8}, {9}. Mobile {4}, desk {5}, home {6}. Write {1}.".format(*PERSONAL),
    ]
    assert all(any(p in c for c in comments) for p in PERSONAL)
    for i, comment in enumerate(comments):
        sent, _ = answer(client, slug, 2, choices=["efficiency"], comment=comment, json=bool(i % 2))
        assert sent.status_code in (200, 303)

    inserts = [s for s in sql_log if s.lstrip().upper().startswith("INSERT INTO RESPONSES")]
    assert len(inserts) == 3  # the listener saw the writes
    assert any("[removed]" in s for s in sql_log)  # and their parameters
    for original in PERSONAL:
        leaked = [s for s in sql_log if original in s]
        assert not leaked, (original, leaked)

    rows = stored()
    assert len(rows) == 3
    saved = " ".join(row["comment"] for row in rows)
    for original in PERSONAL:
        assert original not in saved
    for kept in ORDINARY:
        assert kept in saved
    first = next(row["comment"] for row in rows if row["comment"].startswith("Please call"))
    assert first == (
        "Please call me at [removed] or [removed] or [removed], e-mail [removed]. Waited 45 minutes at "
        "window 3 from 10:30 on 11/23/2026, paid $130."
    )


def test_the_rating_post_never_writes_the_comment(client, slug, sql_log):
    # A comment sent with the first page's rating (no script) is not stored: only Send stores one.
    form = open_survey(client, slug)
    form.update(rating="2", comment="reach me at maria.gonzalez@example.com")
    assert post(client, slug, form).status_code == 200
    assert not any("maria.gonzalez" in s for s in sql_log)
    [row] = stored()
    assert (row["rating"], row["comment"]) == (2, None)

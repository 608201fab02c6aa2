"""The kiosk in real headless Chromium: one tap, offline queue, faults, languages, keyboard, a11y."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from axe_playwright_python.sync_playwright import Axe

from feedback.database import write_transaction
from feedback.models import Device
from feedback.services import kiosks
from tests.browser.kiosk_helpers import (
    FOLLOWUP,
    QUESTION,
    THANKS,
    click,
    enrol,
    fresh,
    press,
    settle,
    stored,
    tap,
    wait_for_service_worker,
    wait_js,
    wait_until,
)
from tests.builders import TESTER, add_survey_version


def test_tap_stores_one_response_with_device_location_and_language(
    tablet, session, live, kiosk_location, client, build
):
    device = enrol(tablet, session, live, kiosk_location)
    before = datetime.now(UTC)
    tap(tablet, 5)
    tablet.wait_for_selector(FOLLOWUP)
    assert tablet.inner_text("#followup-title") == "What went well?"
    click(tablet, ".chip[data-choice='ease']")
    click(tablet, "#followup-done")
    tablet.wait_for_selector(THANKS)
    rows = wait_until(lambda: stored(session), message="the response to arrive")
    assert len(rows) == 1
    row = rows[0]
    assert (row.location_id, row.device_id, row.channel, row.rating, row.language) == (
        kiosk_location.id,
        device.id,
        "kiosk",
        5,
        "en",
    )
    assert row.followup_chosen == ["ease"]
    assert row.followup_offered == ["effectiveness", "ease", "efficiency", "transparency", "humanity", "employee"]
    assert before <= row.client_time <= datetime.now(UTC)
    # The same, seen through the read API.
    _user, api_token = build.user_token("admin")
    local_day = row.client_time.astimezone(kiosk_location.office.tz).date().isoformat()
    listed = client.get(
        f"/api/v1/responses?location=HOU-C1&from={local_day}&to={local_day}",
        headers={"Authorization": f"Bearer {api_token}"},
    ).get_json()["responses"]
    assert [(r["id"], r["location"], r["device"], r["channel"], r["rating"], r["language"]) for r in listed] == [
        (str(row.id), "HOU-C1", device.id, "kiosk", 5, "en")
    ]
    # ... and the screen resets for the next visitor.
    tablet.wait_for_selector(QUESTION)
    assert tablet.is_enabled(".rate[data-rating='1']")
    assert tablet.errors == []


def test_negative_rating_asks_what_could_be_better_and_skip_chooses_nothing(tablet, session, live, kiosk_location):
    enrol(tablet, session, live, kiosk_location)
    tap(tablet, 2)
    tablet.wait_for_selector(FOLLOWUP)
    assert tablet.inner_text("#followup-title") == "What could be better?"
    assert tablet.inner_text(".chip[data-choice='efficiency']") == "It took too long"
    click(tablet, "#followup-skip")
    tablet.wait_for_selector(THANKS)
    [row] = wait_until(lambda: stored(session), message="the response")
    assert row.rating == 2 and row.followup_chosen == [] and len(row.followup_offered) == 6


def test_followup_auto_submits_what_was_chosen(tablet, session, live, kiosk_location, app, monkeypatch):
    monkeypatch.setitem(app.config, "KIOSK_FOLLOWUP_SECONDS", 1.5)
    enrol(tablet, session, live, kiosk_location)
    tap(tablet, 1)
    tablet.wait_for_selector(FOLLOWUP)
    click(tablet, ".chip[data-choice='employee']")
    tablet.wait_for_selector(THANKS, timeout=5000)  # nobody pressed Done
    [row] = wait_until(lambda: stored(session), message="the auto-submitted response")
    assert row.followup_chosen == ["employee"]


def test_offline_taps_survive_a_reload_and_arrive_once(tablet, session, live, kiosk_location):
    enrol(tablet, session, live, kiosk_location)
    wait_for_service_worker(tablet)
    tablet.context.set_offline(True)
    windows = []
    for i, rating in enumerate((5, 4, 3, 2, 1)):
        start = datetime.now(UTC)
        tap(tablet, rating)
        tablet.wait_for_selector(FOLLOWUP)
        if i == 0:
            click(tablet, ".chip[data-choice='humanity']")
            click(tablet, "#followup-done")
        else:
            click(tablet, "#followup-skip")
        tablet.wait_for_selector(THANKS)
        windows.append((start, datetime.now(UTC)))
        tablet.wait_for_selector(QUESTION)
        time.sleep(0.3)
    assert tablet.get_attribute("#status", "data-queued") == "5"
    assert tablet.get_attribute("#status", "data-online") == "false"
    assert stored(session) == []

    tablet.reload()  # still offline: the service worker serves the shell and config
    tablet.wait_for_selector(QUESTION)
    assert tablet.inner_text("#question") == "How satisfied are you with today's visit?"
    wait_js(tablet, "document.getElementById('status').dataset.queued === '5'")

    tablet.context.set_offline(False)
    rows = wait_until(lambda: len(stored(session)) == 5 and stored(session), timeout=40, message="5 responses")
    time.sleep(2)  # later flushes must not add duplicates
    rows = stored(session)
    assert len(rows) == 5 and len({r.id for r in rows}) == 5
    assert [r.rating for r in rows] == [5, 4, 3, 2, 1]
    for row, (start, end) in zip(rows, windows, strict=True):
        assert start <= row.client_time <= end, "client time must be the tap's, not the delivery's"
    assert rows[0].followup_chosen == ["humanity"]
    assert all(r.received_at > windows[-1][1] for r in rows)
    wait_js(tablet, "document.getElementById('status').dataset.queued === '0'")


def test_server_errors_keep_the_outbox_until_delivered(tablet, session, live, kiosk_location):
    enrol(tablet, session, live, kiosk_location)
    live.injector.fail_next = 3
    for rating in (4, 3):
        tap(tablet, rating)
        tablet.wait_for_selector(FOLLOWUP)
        click(tablet, "#followup-skip")
        tablet.wait_for_selector(QUESTION)
    wait_until(lambda: len(stored(session)) == 2 and stored(session), timeout=40, message="2 responses")
    assert live.injector.failed == 3
    time.sleep(1.5)
    assert sorted(r.rating for r in stored(session)) == [3, 4]


def test_stalled_server_that_commits_late_gives_no_duplicate(tablet, session, live, kiosk_location):
    enrol(tablet, session, live, kiosk_location)
    live.injector.mode = "stall"  # held past the kiosk's 2 s timeout, then committed anyway
    live.injector.fail_next = 1
    tap(tablet, 5)
    tablet.wait_for_selector(FOLLOWUP)
    click(tablet, "#followup-skip")
    wait_until(lambda: live.injector.failed == 1, message="the stalled request")
    wait_until(lambda: tablet.get_attribute("#status", "data-queued") == "0", timeout=30, message="empty outbox")
    time.sleep(1)
    rows = stored(session)
    assert len(rows) == 1 and rows[0].rating == 5


def test_double_tap_makes_one_response(tablet, session, live, build):
    location = build.location(code="NYC-INFO", scale="thumbs", followup=())
    enrol(tablet, session, live, location)
    settle(tablet)
    tablet.evaluate("() => { const b = document.querySelector('.rate[data-rating=\"2\"]'); b.click(); b.click(); }")
    tablet.wait_for_selector(THANKS)
    tablet.mouse.click(640, 400)
    wait_until(lambda: stored(session), message="the response")
    time.sleep(1.5)
    rows = stored(session)
    assert len(rows) == 1 and rows[0].rating == 2


def test_spanish_texts_and_language_stored_then_reset(tablet, session, live, kiosk_location):
    enrol(tablet, session, live, kiosk_location)
    click(tablet, "button.lang[lang='es']")
    assert tablet.inner_text("#question") == "¿Qué tan satisfecho está con la visita de hoy?"
    assert tablet.inner_text(".rate[data-rating='5'] .label") == "Muy satisfecho"
    assert tablet.get_attribute("html", "lang") == "es"
    tap(tablet, 4)
    tablet.wait_for_selector(FOLLOWUP)
    assert tablet.inner_text("#followup-title") == "¿Qué salió bien?"
    assert tablet.inner_text("#followup-done") == "Listo"
    click(tablet, "#followup-done")
    tablet.wait_for_selector(THANKS)
    assert tablet.inner_text("#thanks-title") == "¡Gracias!"
    [row] = wait_until(lambda: stored(session), message="the response")
    assert row.language == "es"
    tablet.wait_for_selector(QUESTION)  # the next visitor starts in English
    assert tablet.inner_text("#question") == "How satisfied are you with today's visit?"
    assert tablet.get_attribute("button.lang[lang='en']", "aria-pressed") == "true"


def test_keyboard_only_run_through(tablet, session, live, kiosk_location):
    enrol(tablet, session, live, kiosk_location)
    focused = None
    for _ in range(10):  # Tab until the first rating button has focus
        tablet.keyboard.press("Tab")
        focused = tablet.evaluate("document.activeElement.dataset.rating || null")
        if focused:
            break
    assert focused == "5"
    tablet.keyboard.press("Tab")
    assert tablet.evaluate("document.activeElement.dataset.rating") == "4"
    press(tablet, "Enter")
    tablet.wait_for_selector(FOLLOWUP)
    # Focus is on Done; go back to the chips with Shift+Tab and toggle one with Space.
    assert tablet.evaluate("document.activeElement.id") == "followup-done"
    tablet.keyboard.press("Shift+Tab")
    assert tablet.evaluate("document.activeElement.dataset.choice") == "employee"
    press(tablet, "Space")
    tablet.keyboard.press("Tab")
    tablet.keyboard.press("Enter")
    tablet.wait_for_selector(THANKS)
    [row] = wait_until(lambda: stored(session), message="the response")
    assert (row.rating, row.followup_chosen) == (4, ["employee"])


def test_focus_ring_is_visible(tablet, session, live, kiosk_location):
    enrol(tablet, session, live, kiosk_location)
    tablet.keyboard.press("Tab")
    tablet.keyboard.press("Tab")
    tablet.keyboard.press("Tab")
    outline = tablet.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    width = tablet.evaluate("parseFloat(getComputedStyle(document.activeElement).outlineWidth)")
    assert outline == "solid" and width >= 3


def test_targets_are_large_and_labelled(tablet, session, live, kiosk_location):
    enrol(tablet, session, live, kiosk_location)
    for button in tablet.query_selector_all(".rate, .lang"):
        box = button.bounding_box()
        assert box["height"] >= 56 and box["width"] >= 88
    for button in tablet.query_selector_all(".rate"):
        box = button.bounding_box()
        assert box["height"] >= 88  # >= 15 mm
        assert button.inner_text().strip()  # a text label, never colour alone


def test_accessibility_scan_of_each_screen(tablet, session, live, kiosk_location):
    axe = Axe()
    enrol(tablet, session, live, kiosk_location)

    def serious(results):
        return [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]

    assert serious(axe.run(tablet)) == [], "question screen"
    tap(tablet, 2)
    tablet.wait_for_selector(FOLLOWUP)
    assert serious(axe.run(tablet)) == [], "follow-up screen"
    click(tablet, "#followup-skip")
    tablet.wait_for_selector(THANKS)
    assert serious(axe.run(tablet)) == [], "thank-you screen"


def test_reduced_motion_is_respected(browser, session, live, kiosk_location):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, reduced_motion="reduce")
    page = context.new_page()
    try:
        enrol(page, session, live, kiosk_location)
        duration = page.evaluate("getComputedStyle(document.querySelector('.rate')).transitionDuration")
        assert duration in ("0s", "0s, 0s")
        animation = page.evaluate("getComputedStyle(document.querySelector('.idle')).animationName")
        assert animation == "none"
    finally:
        context.close()


def test_idle_screen_invites_and_wakes(tablet, session, live, kiosk_location, app, monkeypatch):
    monkeypatch.setitem(app.config, "KIOSK_IDLE_SECONDS", 1)
    enrol(tablet, session, live, kiosk_location)
    tablet.wait_for_selector("#screen-idle:not([hidden])", timeout=5000)
    assert tablet.inner_text("#idle-cta") == "Tap here to tell us"
    click(tablet, "#idle-start")
    tablet.wait_for_selector(QUESTION)


def test_unenrolled_and_revoked_kiosks_show_the_staff_screen(tablet, session, live, kiosk_location):
    tablet.goto(f"{live.url}/kiosk")
    tablet.wait_for_selector("#screen-unenrolled:not([hidden])")
    assert "not enrolled" in tablet.inner_text("#screen-unenrolled")

    device = enrol(tablet, session, live, kiosk_location)
    with write_transaction(session):
        kiosks.revoke_kiosk(session, TESTER, datetime.now(UTC), device.id)
    tablet.reload()
    tablet.wait_for_selector("#screen-unenrolled:not([hidden])")


def test_revoked_while_running_shows_staff_screen_on_next_contact(tablet, session, live, kiosk_location):
    device = enrol(tablet, session, live, kiosk_location)
    with write_transaction(session):
        kiosks.revoke_kiosk(session, TESTER, datetime.now(UTC), device.id)
    # The next heartbeat (1 s in tests) or send is refused with 401.
    tablet.wait_for_selector("#screen-unenrolled:not([hidden])", timeout=10000)


def test_changed_question_reaches_the_kiosk(tablet, session, live, kiosk_location):
    enrol(tablet, session, live, kiosk_location)
    with write_transaction(session):
        survey = session.get(type(kiosk_location), kiosk_location.id).survey
        add_survey_version(
            session,
            survey,
            scale="faces5",
            question={"en": "Was your wait reasonable?", "es": "¿Fue razonable su espera?"},
            followup_choices=(),
        )
    wait_js(tablet, "document.getElementById('question').textContent === 'Was your wait reasonable?'")
    tap(tablet, 5)
    tablet.wait_for_selector(THANKS)  # the new version has no follow-up
    [row] = wait_until(lambda: stored(session), message="the response")
    assert row.survey_version_id == survey.current_version().id


def test_pra_notice_and_burden_statement(tablet, session, live, build):
    survey = build.survey(
        omb_control_number="1234-5678",
        omb_expiration=date(2027, 6, 30),
        burden_statement="Public burden is estimated at 1 minute.",
    )
    location = build.location(code="PRA-1", survey=survey)
    enrol(tablet, session, live, location)
    assert tablet.inner_text("#pra-text") == "OMB Control No. 1234-5678 · Expires 2027-06-30"
    click(tablet, "#pra-open")
    assert tablet.is_visible("#pra-statement")
    assert "1 minute" in tablet.inner_text("#pra-statement")
    click(tablet, "#pra-close")
    assert not tablet.is_visible("#pra-dialog")


def test_refused_item_is_dropped_and_reported_with_the_heartbeat(tablet, session, live, kiosk_location):
    device = enrol(tablet, session, live, kiosk_location)
    bad_id = "00000000-0000-4000-8000-000000000001"
    tablet.evaluate(
        """async (id) => {
            const outbox = await import('/static/kiosk/outbox.js');
            await outbox.put({id, rating: 9, language: 'en', client_time: new Date().toISOString(),
                              followup_offered: [], followup_chosen: []});
        }""",
        bad_id,
    )
    tap(tablet, 5)
    tablet.wait_for_selector(FOLLOWUP)
    click(tablet, "#followup-skip")
    rows = wait_until(lambda: stored(session), message="the good response")
    assert len(rows) == 1 and rows[0].rating == 5
    wait_until(lambda: tablet.get_attribute("#status", "data-queued") == "0", message="the bad item dropped")

    def reported():
        fresh(session)
        return bad_id in (session.get(Device, device.id).last_error or "")

    wait_until(reported, message="the heartbeat report")


def test_heartbeat_reports_version_and_queue(tablet, session, live, kiosk_location):
    device = enrol(tablet, session, live, kiosk_location)
    version = tablet.get_attribute("meta[name='kiosk-app-version']", "content")

    def seen():
        fresh(session)
        return session.get(Device, device.id).last_seen_at is not None

    wait_until(seen, message="a heartbeat")
    row = session.get(Device, device.id)
    assert row.app_version == version and row.queue_length == 0


def test_page_weight_under_100_kb(browser, session, live, kiosk_location):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, service_workers="block")
    page = context.new_page()
    sizes = []
    page.on(
        "requestfinished",
        lambda request: sizes.append(request.sizes()["responseBodySize"] + request.sizes()["responseHeadersSize"]),
    )
    try:
        enrol(page, session, live, kiosk_location)
        page.wait_for_timeout(500)
        sizes.clear()
        page.reload()
        page.wait_for_selector(QUESTION)
        page.wait_for_timeout(500)
        assert 0 < sum(sizes) < 100 * 1024
    finally:
        context.close()


def test_a_poison_item_is_quarantined_and_every_tap_behind_it_delivered(browser, session, live, kiosk_location):
    """Issue 11 item 2, end to end: the server answers 500 to any batch holding one item, for ever."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, service_workers="block")
    page = context.new_page()
    poison = "00000000-0000-4000-8000-00000000dead"

    def batch(route):
        if poison in (route.request.post_data or ""):
            route.fulfill(status=500, content_type="application/problem+json", body='{"status": 500}')
        else:
            route.continue_()

    try:
        device = enrol(page, session, live, kiosk_location)
        page.route("**/api/v1/responses/batch", batch)
        page.evaluate(
            """async (id) => {
                const outbox = await import('/static/kiosk/outbox.js');
                await outbox.put({id, rating: 3, language: 'en', client_time: new Date().toISOString(),
                                  followup_offered: [], followup_chosen: []});
            }""",
            poison,
        )
        tap(page, 5)
        page.wait_for_selector(FOLLOWUP)
        click(page, "#followup-skip")

        def pumped(check):
            """``check`` after letting Playwright run the route handler (it runs only inside its calls)."""
            return lambda: (page.wait_for_timeout(100), check())[1]

        rows = wait_until(pumped(lambda: stored(session)), timeout=60, message="the tap behind the poison item")
        assert [r.rating for r in rows] == [5]

        def reported():
            fresh(session)
            row = session.get(Device, device.id)
            return (row.quarantined, row.quarantined_ids, row.queue_length) == (1, [poison], 0)

        wait_until(pumped(reported), timeout=30, message="the quarantine in the heartbeat")
        assert page.get_attribute("#status", "data-quarantined") == "1"
    finally:
        context.close()

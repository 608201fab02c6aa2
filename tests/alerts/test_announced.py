"""The alert rules hear every announced answer: a phone answer corrected to a negative rating
completes a burst at once, as a new negative answer would (not only at the next periodic run)."""

from __future__ import annotations

from feedback.extensions import limiter
from tests.alerts.conftest import stored_alerts, tap
from tests.conftest import OwnContextClient
from tests.phone.helpers import answer, post, slug_for


def test_a_phone_answer_corrected_to_negative_completes_a_burst(app, clock, counter, session, no_mail):
    limiter.reset()
    kiosk = OwnContextClient(app, app.response_class, use_cookies=True)
    for _ in range(4):  # 10:00-10:03: four negatives, one short of a burst
        assert tap(kiosk, counter["token"], 1, clock.now).status_code == 201
        clock.advance(minutes=1)
    phone = OwnContextClient(app, app.response_class, use_cookies=True)
    slug = slug_for(session, counter["location"])
    resp, form = answer(phone, slug, rating=5, step="rate")  # 10:04, positive: no alert
    assert resp.status_code == 200
    assert stored_alerts(session) == []

    clock.advance(seconds=40)
    form.update(rating="2", step="rate")  # the visitor picks another face on the same page
    resp = post(phone, slug, form)
    resp.close()
    assert resp.status_code == 200
    [alert] = stored_alerts(session)
    assert alert.kind == "burst" and alert.details["negative"] == 5
    assert alert.raised_at == clock.now
    clock.advance(minutes=1)
    form.update(step="send", comment="Slow")  # a comment alone counts the same: nothing more
    assert post(phone, slug, form).status_code in (200, 303)
    assert len(stored_alerts(session)) == 1
    limiter.reset()

"""One-time enrolment links: show, redeem once, expire; tokens issued and replaced."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from feedback.database import write_transaction
from feedback.services import enrollment, kiosks
from tests.admin.conftest import csrf_token
from tests.builders import TESTER, auth, response_body


def make_code(session, device, *, ttl=timedelta(hours=24), now=None):
    with write_transaction(session):
        _record, code = enrollment.create_code(session, device, ttl=ttl, now=now or datetime.now(UTC))
    return code


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_link_shows_form_then_issues_a_working_token_once(client, session, build):
    device, old_token = build.device(code="HOU-C1")
    code = make_code(session, device)
    page = client.get(f"/kiosk/enroll/{code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "HOU-C1" in html and 'id="enroll-form"' in html
    assert page.headers["Cache-Control"] == "no-store"

    done = client.post(f"/kiosk/enroll/{code}", data={"csrf_token": csrf(html)})
    assert done.status_code == 200
    token = re.search(r'data-token="([^"]+)"', done.get_data(as_text=True)).group(1)
    assert client.post("/api/v1/responses", json=response_body(), headers=auth(token)).status_code == 201
    # The enrolment replaced the token printed by the CLI.
    assert client.post("/api/v1/responses", json=response_body(), headers=auth(old_token)).status_code == 401

    again = client.post(f"/kiosk/enroll/{code}", data={"csrf_token": csrf(html)})
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)
    assert client.get(f"/kiosk/enroll/{code}").status_code == 410


def test_post_without_csrf_token_is_refused(client, session, build):
    device, _ = build.device()
    code = make_code(session, device)
    assert client.post(f"/kiosk/enroll/{code}").status_code == 400
    # ... and the code is still usable.
    assert client.get(f"/kiosk/enroll/{code}").status_code == 200


def test_expired_unknown_and_revoked(client, session, build):
    device, _ = build.device()
    past = datetime.now(UTC) - timedelta(hours=25)
    expired = make_code(session, device, now=past)
    response = client.get(f"/kiosk/enroll/{expired}")
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    assert client.get("/kiosk/enroll/not-a-real-code").status_code == 404

    code = make_code(session, device)
    with write_transaction(session):
        kiosks.revoke_kiosk(session, TESTER, datetime.now(UTC), device.id)
    assert client.get(f"/kiosk/enroll/{code}").status_code == 410


def test_cli_enroll_prints_link_and_qr(runner, build):
    build.location(code="HNL-C1")
    result = runner.invoke(args=["device", "enroll", "HNL-C1"])
    assert result.exit_code == 0, result.output
    assert re.search(r"http://127\.0\.0\.1:8000/kiosk/enroll/[\w-]{20,}", result.output)
    assert "█" in result.output  # the QR code, printed for a phone camera
    device_id = re.search(r"Enrolled device (\d+)", result.output).group(1)
    link = runner.invoke(args=["device", "link", device_id])
    assert link.exit_code == 0 and "/kiosk/enroll/" in link.output


# --- one open link per device (issue 11, item 7) ------------------------------------------------


def redeem(client, code):
    """Post the enrolment form as the tablet's browser would (a page opened while the link worked,
    so with a CSRF token of this browser's session)."""
    return client.post(f"/kiosk/enroll/{code}", data={"csrf_token": csrf_token(client)})


def issued_token(response) -> str:
    return re.search(r'data-token="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_a_new_link_cancels_the_devices_earlier_one(client, session, build):
    device, _ = build.device()
    first, second = make_code(session, device), make_code(session, device)
    refused = client.get(f"/kiosk/enroll/{first}")
    assert refused.status_code == 410
    assert "replaced by a newer one" in refused.get_data(as_text=True)
    assert redeem(client, second).status_code == 200


def test_an_old_link_cannot_take_over_an_enrolled_kiosk(client, session, build):
    """``flask device link`` twice: B is redeemed by the tablet; A must then answer 410 and leave
    B's tablet enrolled (it used to succeed and silently unenrol it)."""
    device, _ = build.device()
    a, b = make_code(session, device), make_code(session, device)
    tablet = redeem(client, b)
    assert tablet.status_code == 200
    token = issued_token(tablet)
    assert redeem(client, a).status_code == 410
    assert client.post("/api/v1/responses", json=response_body(), headers=auth(token)).status_code == 201


def test_redeeming_a_link_cancels_the_devices_other_open_links(client, session, build):
    """Links issued before this rule (or in a race) may both be open: the first redeemed wins."""
    from sqlalchemy import update

    from feedback.models import EnrollmentCode

    device, _ = build.device()
    a, b = make_code(session, device), make_code(session, device)
    with write_transaction(session):  # both open, as links issued before the upgrade are
        session.execute(update(EnrollmentCode).values(cancelled_at=None))
    tablet = redeem(client, a)
    assert tablet.status_code == 200
    assert redeem(client, b).status_code == 410
    assert redeem(client, a).status_code == 410  # and a second redemption of anything is 410
    token = issued_token(tablet)
    assert client.post("/api/v1/responses", json=response_body(), headers=auth(token)).status_code == 201


def test_links_of_other_devices_are_untouched(client, session, build):
    one, _ = build.device()
    other, _ = build.device()
    mine = make_code(session, one)
    make_code(session, other)
    assert redeem(client, mine).status_code == 200


def test_cli_link_twice_leaves_one_working_link(runner, client, build):
    build.location(code="HNL-C9")
    enrolled = runner.invoke(args=["device", "enroll", "HNL-C9"])
    device_id = re.search(r"Enrolled device (\d+)", enrolled.output).group(1)
    links = [runner.invoke(args=["device", "link", device_id]).output for _ in range(2)]
    codes = [re.search(r"/kiosk/enroll/([\w-]{20,})", out).group(1) for out in links]
    assert client.get(f"/kiosk/enroll/{codes[0]}").status_code == 410
    assert redeem(client, codes[1]).status_code == 200

"""No GET writes to the database (issue 11, item 1, at the depth of its cause).

A write inside a read request needs the write lock: on SQLite a read transaction upgraded to a
write fails at once under concurrency ("database is locked"), and on PostgreSQL it waits for
writers and fails on a read-only replica. This walks every GET route of the URL map (admin site,
read API, device API, visitor pages, health) with real objects and records the statements each
request sends: none may be an INSERT, UPDATE or DELETE. Work a GET must do later (a token's last
use) goes through ``feedback.deferred.write_after_response``, after the answer. The one exception
(issue 14): a reader of the rollups folds the taps still pending for its locations first.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from feedback.database import write_transaction
from feedback.extensions import db
from feedback.models import Office
from feedback.services import enrollment, survey_links
from tests.admin.conftest import sign_in
from tests.builders import add_device, auth, response_body
from tests.helpers.walks import route_url, two_offices

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|BEGIN IMMEDIATE)\b", re.I)  # SQLite: the write lock


@pytest.fixture
def world(session, build, make_user):
    return two_offices(session, build, make_user)


class WriteRecorder:
    def __init__(self):
        self.writes: list[str] = []

    def __call__(self, _conn, _cursor, statement, *_args):
        if WRITE.match(statement):
            self.writes.append(statement.split("\n")[0][:120])

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *_exc):
        event.remove(db.engine, "before_cursor_execute", self)


def _visitor_urls(session, objects) -> list[str]:
    location, office = objects["location"], objects["office"]
    with write_transaction(session):
        session.get(Office, office.id).scoreboard_public = True
        slug = survey_links.current_link(session, location).slug
        _record, code = enrollment.create_code(
            session, objects["device"], ttl=timedelta(hours=24), now=datetime.now(UTC)
        )
    return ["/", "/kiosk", f"/s/{slug}", f"/s/{slug}/thanks", f"/scores/{office.slug}", f"/kiosk/enroll/{code}"]


def test_no_get_route_writes(app, client, world, session):
    objects = world["a"]
    with write_transaction(session):
        _device, device_token = add_device(session, objects["location"], "walk")
    assert sign_in(client, "admin@example.gov").status_code == 302
    token_headers = {"Authorization": f"Bearer {world['manager_api']}"}
    device_headers = {"Authorization": f"Bearer {device_token}"}
    range_query = {"from": "2026-01-01", "to": "2026-01-31"}

    requests = [(url, {}) for url in _visitor_urls(session, objects)]
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.rule.startswith(("/s/", "/scores/")):
            continue
        if rule.rule.startswith("/kiosk/enroll/"):
            continue  # a one-time code: walked above with a real one
        url = route_url(rule, objects)
        if rule.endpoint.startswith("admin_api."):
            requests.append((url, {"headers": token_headers, "query_string": range_query}))
        elif rule.endpoint.startswith("device_api."):
            requests.append((url, {"headers": device_headers}))
        else:
            requests.append((url, {}))

    walked, offenders = 0, {}
    for url, options in requests:
        with WriteRecorder() as recorder:
            response = client.get(url, **options)
        assert response.status_code < 500, f"GET {url} answered {response.status_code}"
        if recorder.writes:
            offenders[url] = recorder.writes
        walked += 1
        response.close()  # work deferred until after the answer may write now: that is allowed
    assert not offenders, offenders
    assert walked >= 30


# The one write a GET may make (issue 14): a reader of the rollups folds the taps still pending
# for its locations first (services/fold.py), so its figures count every answered tap. It adds
# to the rollups and clears the pending mark, nothing else, and only when a tap is pending.
FOLD = re.compile(
    r"^\s*(BEGIN IMMEDIATE|INSERT INTO (response_hourly|followup_daily|language_daily)\b"
    r"|UPDATE responses SET pending=)",
    re.I,
)


def test_a_get_writes_only_the_fold_of_pending_taps(app, client, world, session, monkeypatch):
    monkeypatch.setitem(app.config, "ROLLUP_FOLD", "off")  # taps stay pending until a reader folds
    objects = world["a"]
    with write_transaction(session):
        _device, device_token = add_device(session, objects["location"], "fold-walk")
    assert sign_in(client, "admin@example.gov").status_code == 302
    folded_by = {}
    for url in ("/admin/", f"/admin/locations/{objects['location'].code}", "/admin/compare", "/admin/standards"):
        tap = client.post("/api/v1/responses", json=response_body(rating=2), headers=auth(device_token))
        assert tap.status_code == 201
        with WriteRecorder() as recorder:
            assert client.get(url).status_code == 200
        assert recorder.writes, f"GET {url} did not fold the pending tap"
        assert all(FOLD.match(w) for w in recorder.writes), recorder.writes
        folded_by[url] = len(recorder.writes)
        with WriteRecorder() as again:
            assert client.get(url).status_code == 200
        assert again.writes == []  # nothing pending: a plain read
    assert len(folded_by) == 4

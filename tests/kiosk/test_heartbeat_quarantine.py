"""The heartbeat carries the kiosk's quarantine: how many taps it holds back, and which."""

from __future__ import annotations

import uuid

import pytest

from feedback.models import Device
from tests.builders import assert_problem, auth


def _beat(client, token, **extra):
    body = {"app_version": "abc123", "queue_length": 2, "last_error": "HTTP 500", **extra}
    return client.post("/api/v1/devices/heartbeat", json=body, headers=auth(token))


def test_quarantine_is_recorded_and_cleared(client, session, build):
    device, token = build.device()
    held = [str(uuid.uuid4()), str(uuid.uuid4())]
    assert _beat(client, token, quarantined=2, quarantined_ids=held).status_code == 200
    session.rollback()
    session.expire_all()
    row = session.get(Device, device.id)
    assert (row.queue_length, row.quarantined, row.quarantined_ids) == (2, 2, held)
    assert _beat(client, token).status_code == 200  # an older kiosk without the fields: nothing held
    session.rollback()
    session.expire_all()
    row = session.get(Device, device.id)
    assert (row.quarantined, row.quarantined_ids) == (0, [])


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"quarantined": -1}, "quarantined"),
        ({"quarantined": "3"}, "quarantined"),
        ({"quarantined_ids": ["not-a-uuid"]}, "quarantined_ids"),
        ({"quarantined_ids": [str(uuid.uuid4()) for _ in range(21)]}, "quarantined_ids"),
    ],
)
def test_bad_quarantine_reports_are_refused(client, build, extra, field):
    _device, token = build.device()
    assert_problem(_beat(client, token, **extra), 422, field)

"""Item 11 of issue 12: which tap of a repeat pair counts is decided by client time, not arrival order.

Of two taps of one kiosk less than the window apart, the later one (in client time, then id) is the
repeat (suspect). Before the fix the one that *arrived* second was flagged, so a kiosk's offline queue
delivering the earlier tap last made the earlier one the repeat, and the counted rating depended on
the network. When a late arrival changes which stored tap is the repeat, the stored tap's flag flips
and its rollup contribution moves between the suspect=false and suspect=true buckets in the same
transaction. The arrival-order tests fail on the code before the fix.

Expected flags are worked out by hand in each test; the rollups are compared with a recomputation
from raw responses (``tests.reporting.oracle``).
"""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from feedback.models import Response
from feedback.services.ingest import ingest
from feedback.services.repeat_taps import Tap, repeat_taps
from tests.helpers.responses import item, utc
from tests.reporting.oracle import assert_rollups_match

T0 = utc("2026-11-10T15:00:00")
WINDOW = timedelta(seconds=2)


def _send(session, device, items):
    return ingest(session, device, items, now=T0 + timedelta(minutes=5))


def _flags(session, items) -> list[bool]:
    session.rollback()
    stored = dict(session.execute(select(Response.id, Response.suspect)).all())
    return [stored[i["id"]] for i in items]


@pytest.fixture
def device(build):
    device, _token = build.device()
    return device


def test_rule_depends_on_client_time_only():
    a, b, c = (uuid.UUID(int=n) for n in (3, 2, 1))
    taps = [Tap(T0, a), Tap(T0 + timedelta(seconds=1), b), Tap(T0 + timedelta(seconds=5), c)]
    for order in itertools.permutations(taps):
        assert repeat_taps(list(order), WINDOW) == {a: False, b: True, c: False}
    # The same instant: the id decides, so both arrival orders agree.
    x, y = uuid.UUID(int=7), uuid.UUID(int=8)
    assert repeat_taps([Tap(T0, y), Tap(T0, x)], WINDOW) == {x: False, y: True}
    # A chain: each tap repeats the one before it.
    chain = [Tap(T0 + timedelta(seconds=s), uuid.UUID(int=20 + k)) for k, s in enumerate((0, 1.5, 3, 6))]
    assert list(repeat_taps(chain, WINDOW).values()) == [False, True, True, False]


@pytest.mark.parametrize("arrival", list(itertools.permutations(range(3))))
def test_flags_are_the_same_whatever_the_arrival_order(session, device, arrival):
    """Taps at 0 s (rating 5), 1 s (rating 1) and 10 s (rating 4), sent one request each in every order:
    always the 1 s tap is the repeat, so the counted ratings are 5 and 4."""
    items = [item(5, T0), item(1, T0 + timedelta(seconds=1)), item(4, T0 + timedelta(seconds=10))]
    for k in arrival:
        _send(session, device, [items[k]])
    assert _flags(session, items) == [False, True, False]
    assert_rollups_match(session)


def test_a_late_earlier_tap_flips_the_stored_one_and_moves_its_rollups(session, device):
    later = item(1, T0 + timedelta(seconds=1), offered=("ease",), chosen=("ease",))
    [result] = _send(session, device, [later])
    assert result.response.suspect is False
    assert_rollups_match(session)
    earlier = item(5, T0, offered=("ease", "efficiency"), chosen=("efficiency",))
    [result] = _send(session, device, [earlier])
    assert result.response.suspect is False
    assert _flags(session, [earlier, later]) == [False, True]
    assert_rollups_match(session)  # the 1 moved to the suspect bucket, follow-ups too


def test_a_batch_with_taps_on_both_sides_of_stored_ones(session, device):
    """Stored: 1 s and 4 s. A late batch brings 0 s, 3.5 s and 20 s: 1 s becomes the repeat of 0 s,
    4 s of 3.5 s; 3.5 s is 2.5 s after 1 s, so it counts."""
    stored = [item(2, T0 + timedelta(seconds=1)), item(3, T0 + timedelta(seconds=4))]
    _send(session, device, stored)
    assert _flags(session, stored) == [False, False]
    late = [item(5, T0), item(4, T0 + timedelta(seconds=3.5)), item(1, T0 + timedelta(seconds=20))]
    results = _send(session, device, late)
    assert [r.response.suspect for r in results] == [False, False, False]
    assert _flags(session, stored) == [True, True]
    assert_rollups_match(session)


def test_a_replay_changes_no_flag(session, device):
    first, second = item(5, T0), item(1, T0 + timedelta(seconds=1))
    _send(session, device, [second])
    _send(session, device, [first])
    _send(session, device, [second])  # a retry of the stored later tap: 200, nothing changes
    _send(session, device, [first, second])
    assert _flags(session, [first, second]) == [False, True]
    assert_rollups_match(session)


def test_taps_of_other_devices_are_not_neighbours(session, build, device):
    other, _ = build.device(device.location)
    _send(session, device, [item(5, T0 + timedelta(seconds=1))])
    mine = item(1, T0)
    [result] = _send(session, other, [mine])
    assert result.response.suspect is False
    assert not any(_flags(session, [mine]))
    session.rollback()
    assert not any(session.scalars(select(Response.suspect)))
    assert_rollups_match(session)

"""Headline changes that are not noise: interval-based verdicts, a partial today compared with
the same hours of the same weekday last week, and partial periods marked (services/dashboard.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from feedback.services import dashboard
from feedback.services.stats import count_change, difference_interval, mean_change, share_change
from feedback.services.tally import Tally
from tests.helpers.responses import put

NOW = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # Monday 30 Nov, 10:30 in Chicago
TODAY = date(2026, 11, 30)
LAST_MONDAY = date(2026, 11, 23)


def test_newcombe_interval_matches_the_paper():
    # Newcombe (1998), Statistics in Medicine 17, table II, method 10: 56/70 - 48/80 and 9/10 - 3/10
    got = difference_interval(56, 70, 48, 80)
    assert (round(got.low, 4), round(got.high, 4)) == (0.0524, 0.3339)
    got = difference_interval(9, 10, 3, 10)
    assert (round(got.low, 4), round(got.high, 4)) == (0.1705, 0.8090)
    assert difference_interval(0, 0, 1, 2) is None


def test_verdicts_call_noise_about_the_same():
    assert share_change(56, 70, 48, 80) == "up"
    assert share_change(48, 80, 56, 70) == "down"
    assert share_change(5, 10, 4, 10) == "same"  # +10 points on 10 answers is noise
    assert share_change(5, 10, 0, 0) is None
    assert count_change(200, 100) == "up"
    assert count_change(34, 100) == "down"
    assert count_change(10, 12) == "same"
    assert count_change(0, 0) is None
    assert mean_change(4.0, 1.0, 100, 3.5, 1.0, 100) == "up"
    assert mean_change(4.0, 1.0, 10, 3.8, 1.0, 10) == "same"
    assert mean_change(4.0, 1.0, 1, 3.8, 1.0, 10) is None


def test_change_carries_the_verdicts():
    same = dashboard.change(Tally().add_ratings("thumbs", [1, 9]), Tally().add_ratings("thumbs", [2, 8]))
    assert (same.count_verdict, same.csat_verdict, same.mean_verdict) == ("same", "same", "same")
    assert same.csat_points == pytest.approx(10.0)  # the number is kept; the page says "about the same"
    big = dashboard.change(Tally().add_ratings("thumbs", [10, 290]), Tally().add_ratings("thumbs", [50, 50]))
    assert (big.count_verdict, big.csat_verdict, big.mean_verdict) == ("up", "up", "up")
    nothing = dashboard.change(Tally(), Tally())
    assert (nothing.count_verdict, nothing.csat_verdict, nothing.mean_verdict) == (None, None, None)


@pytest.fixture
def counter(session, build):
    office = build.office("Chicago Office", "America/Chicago")
    location = build.location("C-1", office=office, scale="thumbs")
    put(session, location, [2] * 5, TODAY, hour=9)  # today so far
    put(session, location, [2] * 5, LAST_MONDAY, hour=9)  # last Monday before 10:30 ...
    put(session, location, [1] * 20, LAST_MONDAY, hour=14)  # ... and after
    put(session, location, [2] * 100, date(2026, 11, 29))  # yesterday, a whole Sunday
    put(session, location, [2] * 3, date(2026, 11, 18))
    return location


def test_today_is_compared_with_the_same_hours_of_last_weeks_same_day(session, counter):
    view = dashboard.overview(session, [counter.id], date(2026, 11, 1), TODAY, now=NOW)
    today, week, month = view.periods
    assert (today.previous_start, today.previous_end) == (LAST_MONDAY, LAST_MONDAY)
    assert (today.partial, today.until_hour) == (True, 10)
    assert (today.figures.count, today.previous.count) == (5, 5)  # not 5 against 25 (or 100)
    assert today.change.count_ratio == 0 and today.change.count_verdict == "same"
    # 7 days: 24-30 Nov against 17-22 Nov and 23 Nov up to the same hour
    assert (week.previous_start, week.previous_end) == (date(2026, 11, 17), LAST_MONDAY)
    assert (week.figures.count, week.previous.count, week.partial) == (105, 8, True)
    assert (month.figures.count, month.previous.count) == (133, 0)  # 1-30 Nov; Oct is empty
    assert [b.partial for b in view.trend] == [False] * 29 + [True]  # only today's point


def test_a_day_that_is_over_is_compared_whole(session, counter):
    view = dashboard.overview(session, [counter.id], date(2026, 11, 1), TODAY)  # no clock: whole days
    today = view.periods[0]
    assert (today.partial, today.until_hour, today.previous.count) == (False, None, 25)
    later = dashboard.overview(session, [counter.id], date(2026, 11, 1), TODAY, now=datetime(2026, 12, 2, tzinfo=UTC))
    assert later.periods[0].partial is False and later.periods[0].previous.count == 25
    assert not any(b.partial for b in later.trend)


def test_weeks_and_months_cut_short_are_partial(session, counter):
    weeks = dashboard.overview(session, [counter.id], date(2026, 11, 1), TODAY, group="week", now=NOW).trend
    # Sun 1 Nov ends ISO week 44; Mon 30 Nov starts week 49 (and is today)
    assert [(b.key, b.partial) for b in weeks] == [
        ("2026-W44", True),
        ("2026-W45", False),
        ("2026-W46", False),
        ("2026-W47", False),
        ("2026-W48", False),
        ("2026-W49", True),
    ]
    report = dashboard.location_report(session, counter, date(2026, 11, 1), TODAY, group="month", now=NOW)
    assert [(b.key, b.partial) for b in report.trend] == [("2026-11", True)]  # 30 Nov is today
    whole = dashboard.location_report(session, counter, date(2026, 10, 1), date(2026, 10, 31), group="month", now=NOW)
    assert [(b.key, b.partial) for b in whole.trend] == [("2026-10", False)]


def test_an_office_still_in_yesterday_has_no_hours_of_today_to_compare(session, counter, build):
    """At 05:30 UTC it is Monday 00:30 in New York but still Sunday in Chicago: Chicago's Monday
    has not begun, so last Monday counts none of Chicago's hours."""
    ny = build.location("N-1", office=build.office("New York Office", "America/New_York"), scale="thumbs")
    put(session, ny, [2] * 4, LAST_MONDAY, hour=0)  # New York, last Monday 00:xx
    put(session, ny, [2] * 6, LAST_MONDAY, hour=9)
    early = datetime(2026, 11, 30, 5, 30, tzinfo=UTC)
    view = dashboard.overview(session, [counter.id, ny.id], date(2026, 11, 1), TODAY, now=early)
    today = view.periods[0]
    assert (today.partial, today.until_hour) == (True, 0)
    assert today.previous.count == 4  # New York's 00:00 hour only, none of Chicago's 25
    assert view.periods[1].previous.count == 3 + 4  # 17-22 Nov, and 23 Nov up to New York's hour

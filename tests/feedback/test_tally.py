"""The one tally of scores and the one reader of the rollups (feedback.services.tally).

The value type is checked against figures worked out by hand; the reader against responses
added to the rollups through their one write path (``rollups.apply``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from feedback.database import write_transaction
from feedback.scales import SCALES
from feedback.services import rollups, tally
from feedback.services.stats import wilson_interval
from feedback.services.tally import Tally

D = date.fromisoformat


def put(session, location, ratings, day: date, *, suspect=False, channel="qr", hour=10):
    """Add one response per rating at ``day`` ``hour``:00 + k minutes local to the rollups (what the reader reads)."""
    scale = location.survey.current_version().scale
    tz = location.office.tz
    start = datetime.combine(day, time(hour), tz)
    facts = [
        rollups.Fact(
            location.id, tz, (start + timedelta(minutes=k)).astimezone(UTC), channel, scale, suspect, rating, "en"
        )
        for k, rating in enumerate(ratings)
    ]
    with write_transaction(session):
        rollups.apply(session, facts)


@pytest.fixture
def offices(build):
    """Chicago with C-1 and C-2 (faces5); Honolulu with H-1 (thumbs)."""
    chicago = build.office("Chicago Passport Agency", "America/Chicago")
    honolulu = build.office("Honolulu Passport Agency", "Pacific/Honolulu")
    return {
        "c1": build.location("C-1", office=chicago),
        "c2": build.location("C-2", office=chicago),
        "h1": build.location("H-1", office=honolulu, scale="thumbs"),
    }


# --- the value type ------------------------------------------------------------------------------


def test_positives_follow_the_scale_rule():
    assert SCALES["faces5"].positives([1, 2, 3, 4, 5]) == 9  # ratings 4 and 5
    assert SCALES["faces4"].positives([1, 2, 3, 4]) == 7  # 3 and 4
    assert SCALES["three"].positives([1, 2, 3]) == 3
    assert SCALES["thumbs"].positives([4, 6]) == 6
    # Counts past the scale's points (rollup columns r3..r5 of a thumbs row) are never positive.
    assert SCALES["thumbs"].positives([4, 6, 9, 9, 9]) == 6


def test_an_empty_tally_has_no_scores():
    empty = Tally()
    assert (empty.count, empty.positive, empty.suspects, empty.rating_sum) == (0, 0, 0, 0)
    assert (empty.csat, empty.mean, empty.interval, empty.scale, empty.points) == (None, None, None, None, None)
    assert empty.verdict(0.8) == "no_data"
    assert empty.verdict(None) == "no_target"
    assert empty.as_dict() == {
        "count": 0,
        "positive": 0,
        "csat": None,
        "mean": None,
        "scale": None,
        "distribution": {},
        "suspect_count": 0,
    }


def test_scores_of_one_scale():
    # faces5: one 1, one 3, three 4s, eleven 5s = 16 responses, 14 positive, sum 1+3+12+55 = 71.
    t = Tally({"faces5": [1, 0, 1, 3, 11]}, suspects=2)
    assert (t.count, t.positive, t.rating_sum, t.suspects, t.suspect_count) == (16, 14, 71, 2, 2)
    assert t.csat == 14 / 16
    assert t.mean == 71 / 16
    assert (t.scale, t.scales, t.points) == ("faces5", ["faces5"], 5)
    assert t.interval == wilson_interval(14, 16)
    assert t.verdict(0.85) == "met"  # 87.5 % >= 85 %
    assert t.verdict(0.95) == "too_few"  # below, but the interval reaches 95 %
    # The read API's form: rounded half up to 4 places (14/16 = 0.875, 71/16 = 4.4375).
    assert t.as_dict() == {
        "count": 16,
        "positive": 14,
        "csat": 0.875,
        "mean": 4.4375,
        "scale": "faces5",
        "distribution": {"faces5": [1, 0, 1, 3, 11]},
        "suspect_count": 2,
    }


def test_rounding_in_the_api_form_is_half_up():
    # 1 positive of 32 is 0.03125: 0.0313 half up (0.0312 half to even).
    t = Tally({"thumbs": [31, 1]})
    assert t.as_dict()["csat"] == 0.0313


def test_mixed_scales_have_csat_and_no_mean():
    # thumbs 1 up of 2; faces4 2 positive (3, 4) of 3.
    t = Tally({"thumbs": [1, 1], "faces4": [1, 0, 1, 1]})
    assert (t.count, t.positive, t.scale, t.mean, t.points) == (5, 3, "mixed", None, None)
    assert t.csat == 3 / 5
    assert t.as_dict()["mean"] is None
    # A scale whose counts are all zero does not make the tally mixed.
    assert Tally({"thumbs": [0, 0], "faces4": [1, 0, 1, 1]}).scale == "faces4"


def test_tallies_add_and_subtract_exactly():
    a = Tally({"faces5": [1, 0, 0, 2, 3]}, suspects=1, followups={("positive", "ease"): [2, 5]})
    b = Tally({"faces5": [0, 1, 0, 0, 1], "thumbs": [1, 1]}, suspects=2, followups={("positive", "ease"): [1, 2]})
    both = a + b
    assert both.distribution == {"faces5": [1, 1, 0, 2, 4], "thumbs": [1, 1]}
    assert (both.count, both.positive, both.suspects) == (10, 7, 3)
    assert both.followups == {("positive", "ease"): [3, 7]}
    assert a.distribution == {"faces5": [1, 0, 0, 2, 3]}  # + makes a new tally
    back = both - b
    assert (back.count, back.positive, back.suspects, back.followups) == (6, 5, 1, {("positive", "ease"): [2, 5]})
    assert back.distribution["faces5"] == a.distribution["faces5"]
    total = Tally.total([a, b, Tally()])
    assert total.distribution == both.distribution and total.suspects == 3


def test_followups_are_ranked_by_times_chosen_then_choice():
    t = Tally(
        followups={
            ("positive", "ease"): [3, 10],
            ("positive", "efficiency"): [3, 4],
            ("positive", "humanity"): [5, 10],
            ("negative", "ease"): [1, 2],
        }
    )
    ranked = t.ranked_followups()
    assert [f["choice"] for f in ranked["positive"]] == ["humanity", "ease", "efficiency"]
    assert ranked["negative"] == [{"choice": "ease", "chosen": 1, "offered": 2}]
    assert Tally().ranked_followups() == {"positive": [], "negative": []}


def test_bucket_keys():
    assert tally.bucket_key("day", D("2027-01-03")) == "2027-01-03"
    assert tally.bucket_key("week", D("2027-01-03")) == "2026-W53"  # ISO week of 2026
    assert tally.bucket_key("month", D("2027-01-03")) == "2027-01"
    with pytest.raises(ValueError, match="unknown group"):
        tally.bucket_key("year", D("2027-01-03"))


# --- the reader ----------------------------------------------------------------------------------


def test_the_reader_counts_each_range_and_group(session, offices):
    c1, c2, h1 = offices["c1"], offices["c2"], offices["h1"]
    put(session, c1, [5, 5, 4, 1], D("2026-11-02"))  # Monday: 3 of 4 positive
    put(session, c1, [2], D("2026-11-03"), hour=14)  # Tuesday 14:00
    put(session, c1, [5], D("2026-11-03"), suspect=True)
    put(session, c2, [3, 4], D("2026-11-02"), channel="kiosk")
    put(session, h1, [2, 1, 2], D("2026-12-01"))  # thumbs: 2 of 3 up
    ids = [c1.id, c2.id, h1.id]

    nov, dec = tally.read(session, ids, [(D("2026-11-01"), D("2026-11-30")), (D("2026-12-01"), D("2026-12-31"))])
    assert (nov.start, nov.end) == (D("2026-11-01"), D("2026-11-30"))
    assert nov.total.distribution == {"faces5": [1, 1, 1, 2, 2]}
    assert (nov.total.count, nov.total.positive, nov.total.suspects) == (7, 4, 1)
    assert nov.groups == {}
    assert dec.total.distribution == {"thumbs": [1, 2]} and dec.total.positive == 2

    by_location = tally.read_one(session, ids, D("2026-11-01"), D("2026-12-31"), group="location").groups
    assert {k: (v.count, v.positive, v.suspects) for k, v in by_location.items()} == {
        c1.id: (5, 3, 1),
        c2.id: (2, 1, 0),
        h1.id: (3, 2, 0),
    }
    by_day = tally.read_one(session, [c1.id], D("2026-11-01"), D("2026-11-30"), group="day").groups
    assert {k: v.count for k, v in by_day.items()} == {D("2026-11-02"): 4, D("2026-11-03"): 1}
    assert by_day[D("2026-11-03")].suspects == 1
    by_hour = tally.read_one(session, [c1.id], D("2026-11-01"), D("2026-11-30"), group="hour").groups
    # A group of suspects alone is there, with a count of 0 (as in the read API).
    assert {k: (v.count, v.suspects) for k, v in by_hour.items()} == {(0, 10): (4, 0), (1, 10): (0, 1), (1, 14): (1, 0)}
    by_week = tally.read_one(session, ids, D("2026-11-01"), D("2026-12-31"), group="week").groups
    assert {k: v.count for k, v in by_week.items()} == {"2026-W45": 7, "2026-W49": 3}
    by_month = tally.read_one(session, ids, D("2026-11-01"), D("2026-12-31"), group="month").groups
    assert {k: v.count for k, v in by_month.items()} == {"2026-11": 7, "2026-12": 3}


def test_the_reader_filters_channel_and_counts_suspects_when_asked(session, offices):
    c1 = offices["c1"]
    put(session, c1, [5, 1], D("2026-11-02"), channel="kiosk")
    put(session, c1, [4], D("2026-11-02"), channel="qr")
    put(session, c1, [5, 5], D("2026-11-02"), channel="kiosk", suspect=True)
    day = (D("2026-11-02"), D("2026-11-02"))
    kiosk = tally.read_one(session, [c1.id], *day, channel="kiosk").total
    assert (kiosk.count, kiosk.positive, kiosk.suspects) == (2, 1, 2)
    everything = tally.read_one(session, [c1.id], *day, include_suspect=True).total
    assert (everything.count, everything.positive, everything.suspects) == (5, 4, 2)


def test_the_reader_leaves_emptied_buckets_out_and_reads_nothing_for_nothing(session, offices):
    c1 = offices["c1"]
    assert tally.read(session, [], [(D("2026-11-01"), D("2026-11-30"))])[0].total == Tally()
    assert tally.read(session, [c1.id], []) == []
    nothing = tally.read_one(session, [c1.id], D("2026-11-01"), D("2026-11-30"), group="day")
    assert nothing.total.count == 0 and nothing.groups == {}
    with pytest.raises(ValueError, match="unknown group"):
        tally.read(session, [c1.id], [(D("2026-11-01"), D("2026-11-30"))], group="year")

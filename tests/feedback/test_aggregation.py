"""Scores by location and local time (feedback.services.aggregation.summarize).

Data goes in through the real write paths (ingest for kiosks, store_rows for
QR), so these tests also cover the rollups that summarize reads. Every
expected number is worked out by hand in the comments.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from feedback.database import write_transaction
from feedback.models import Response
from feedback.services import rollups
from feedback.services.aggregation import summarize
from tests.builders import add_survey_version
from tests.helpers.responses import item, kiosk, qr, utc

UTC = UTC


# --- helpers -----------------------------------------------------------------


def spaced(start: datetime, ratings, step=timedelta(minutes=1), **kw) -> list[dict]:
    """One item per rating, ``step`` apart (well outside the 2 s repeat-tap window)."""
    return [item(r, start + k * step, **kw) for k, r in enumerate(ratings)]


def stats(count, positive, csat, mean, scale, distribution, suspect_count=0) -> dict:
    return {
        "count": count,
        "positive": positive,
        "csat": csat,
        "mean": mean,
        "scale": scale,
        "distribution": distribution,
        "suspect_count": suspect_count,
    }


def counts(result) -> dict:
    """{group key: count} of a grouped summary."""
    return {g["key"]: g["count"] for g in result["groups"]}


D = date.fromisoformat


# --- CSAT, mean, distribution per scale ------------------------------------------


@pytest.mark.parametrize(
    ("scale", "ratings", "expected"),
    [
        # faces5, positive = 4, 5: ratings 1,2,3,4,5,5 -> 3 of 6 positive; mean 20/6 = 3.3333.
        ("faces5", [1, 2, 3, 4, 5, 5], stats(6, 3, 0.5, 3.3333, "faces5", {"faces5": [1, 1, 1, 1, 2]})),
        # faces4, positive = 3, 4: ratings 1,2,3,4,4 -> 3 of 5; mean 14/5 = 2.8.
        ("faces4", [1, 2, 3, 4, 4], stats(5, 3, 0.6, 2.8, "faces4", {"faces4": [1, 1, 1, 2]})),
        # three, positive = 3 only: ratings 1,2,3,3 -> 2 of 4; mean 9/4 = 2.25.
        ("three", [1, 2, 3, 3], stats(4, 2, 0.5, 2.25, "three", {"three": [1, 1, 2]})),
        # thumbs, positive = 2: ratings 1,2,2 -> 2 of 3 = 0.6667; mean 5/3 = 1.6667.
        ("thumbs", [1, 2, 2], stats(3, 2, 0.6667, 1.6667, "thumbs", {"thumbs": [1, 2]})),
    ],
)
def test_csat_rule_per_scale(session, build, scale, ratings, expected):
    location = build.location(scale=scale)
    device, _ = build.device(location)
    # Every response is offered "ease"; the lowest and highest rating also choose it,
    # so each wording gets exactly one "chosen".
    items = [
        item(
            r,
            utc("2026-11-03T15:00") + k * timedelta(minutes=1),
            offered=["ease"],
            chosen=["ease"] if r in (1, max(ratings)) and k == ratings.index(r) else [],
        )
        for k, r in enumerate(ratings)
    ]
    kiosk(session, device, items)

    result = summarize(session, [location.id], D("2026-11-03"), D("2026-11-03"))

    assert result["total"] == expected
    positive, negative = expected["positive"], expected["count"] - expected["positive"]
    # Positive ratings were asked "what went well", the others "what could be better".
    assert result["followups"] == {
        "positive": [{"choice": "ease", "chosen": 1, "offered": positive}],
        "negative": [{"choice": "ease", "chosen": 1, "offered": negative}],
    }


def test_empty_range(session, build):
    location = build.location()
    result = summarize(session, [location.id], D("2026-11-01"), D("2026-11-30"), group="day")
    assert result["total"] == stats(0, 0, None, None, None, {})
    assert result["groups"] == []
    assert result["followups"] == {"positive": [], "negative": []}
    assert result["locations"] == [location.code]
    assert (result["from"], result["to"]) == ("2026-11-01", "2026-11-30")


def test_unknown_group_is_refused(session, build):
    location = build.location()
    with pytest.raises(ValueError, match="unknown group"):
        summarize(session, [location.id], D("2026-11-01"), D("2026-11-30"), group="year")


def test_followups_ranked_by_chosen_per_polarity(session, build):
    location = build.location(scale="faces5")
    device, _ = build.device(location)
    t = utc("2026-11-03T15:00")
    m = timedelta(minutes=1)
    kiosk(
        session,
        device,
        [
            item(5, t, offered=["effectiveness", "ease", "employee"], chosen=["employee"]),
            item(4, t + m, offered=["effectiveness", "ease", "employee"], chosen=["employee", "ease"]),
            item(4, t + 2 * m, offered=["employee", "humanity"], chosen=["employee", "humanity"]),
            item(2, t + 3 * m, offered=["efficiency", "transparency", "humanity"], chosen=["efficiency"]),
            # 3 is not positive on faces5, so it got the negative wording.
            item(3, t + 4 * m, offered=["efficiency", "transparency"], chosen=["transparency", "efficiency"]),
            item(1, t + 5 * m),  # no follow-up shown
        ],
    )

    result = summarize(session, [location.id], D("2026-11-03"), D("2026-11-03"))

    assert result["followups"] == {
        # employee chosen 3 of 3; ease 1 of 2 and humanity 1 of 1 tie on chosen -> by name;
        # effectiveness offered twice, never chosen.
        "positive": [
            {"choice": "employee", "chosen": 3, "offered": 3},
            {"choice": "ease", "chosen": 1, "offered": 2},
            {"choice": "humanity", "chosen": 1, "offered": 1},
            {"choice": "effectiveness", "chosen": 0, "offered": 2},
        ],
        # efficiency 2 of 2, transparency 1 of 2, humanity 0 of 1.
        "negative": [
            {"choice": "efficiency", "chosen": 2, "offered": 2},
            {"choice": "transparency", "chosen": 1, "offered": 2},
            {"choice": "humanity", "chosen": 0, "offered": 1},
        ],
    }
    # Ratings 5,4,4,2,3,1: positive 3 of 6; mean 19/6 = 3.1667.
    assert result["total"] == stats(6, 3, 0.5, 3.1667, "faces5", {"faces5": [1, 1, 1, 2, 1]})


# --- local time: America/Chicago across both 2026 DST changes --------------------


@pytest.fixture
def chicago(build):
    office = build.office("Chicago Field Office", tz="America/Chicago")
    location = build.location("CHI-1", office=office, scale="faces5")
    device, _ = build.device(location)
    return location, device


def test_spring_forward_day_has_23_hours(session, chicago):
    location, device = chicago
    # 2026-03-08: CST (UTC-6) until 08:00Z, then CDT (UTC-5). Local midnight Mar 8 is
    # 06:00Z, local midnight Mar 9 is 05:00Z Mar 9: 23 UTC hours, local 02:xx never happens.
    day = [item(4, utc("2026-03-08T06:30") + timedelta(hours=k)) for k in range(23)]
    kiosk(
        session,
        device,
        [
            item(2, utc("2026-03-08T05:59")),  # Mar 7 23:59 CST
            *day,  # Mar 8 00:30 CST, 01:30 CST, 03:30 CDT ... 23:30 CDT
            item(5, utc("2026-03-09T05:00")),  # Mar 9 00:00 CDT
        ],
    )

    by_day = summarize(session, [location.id], D("2026-03-07"), D("2026-03-09"), group="day")
    assert counts(by_day) == {"2026-03-07": 1, "2026-03-08": 23, "2026-03-09": 1}

    # Mar 8 is a Sunday: one response in each of the 23 local hours, none in hour 2.
    by_hour = summarize(session, [location.id], D("2026-03-08"), D("2026-03-08"), group="hour")
    assert [g["hour"] for g in by_hour["groups"]] == [0, 1, *range(3, 24)]
    assert {g["weekday"] for g in by_hour["groups"]} == {6}
    assert [g["key"] for g in by_hour["groups"]][:3] == ["sun-00", "sun-01", "sun-03"]
    assert all(g["count"] == 1 for g in by_hour["groups"])
    assert by_hour["total"]["count"] == 23

    # Both ends of the range are inclusive: Mar 7 and Mar 9 alone hold one response each.
    assert summarize(session, [location.id], D("2026-03-07"), D("2026-03-07"))["total"]["count"] == 1
    assert summarize(session, [location.id], D("2026-03-09"), D("2026-03-09"))["total"]["count"] == 1
    # ISO week: Sat Mar 7 and Sun Mar 8 are in 2026-W10, Mon Mar 9 in W11.
    by_week = summarize(session, [location.id], D("2026-03-07"), D("2026-03-09"), group="week")
    assert counts(by_week) == {"2026-W10": 24, "2026-W11": 1}


def test_fall_back_day_has_25_hours(session, chicago):
    location, device = chicago
    # 2026-11-01: CDT (UTC-5) until 07:00Z, then CST (UTC-6). Local midnight Nov 1 is
    # 05:00Z, local midnight Nov 2 is 06:00Z Nov 2: 25 UTC hours. 06:30Z (01:30 CDT) and
    # 07:30Z (01:30 CST) are both local 01:30 and land in hour 1.
    day = []
    for k in range(25):
        when = utc("2026-11-01T05:30") + timedelta(hours=k)
        rating = {1: 5, 2: 1}.get(k, 4)  # the two 01:30s rate 5 and 1, the rest 4
        day.append(item(rating, when))
    kiosk(
        session,
        device,
        [
            item(3, utc("2026-11-01T04:30")),  # Sat Oct 31 23:30 CDT
            *day,  # Sun Nov 1 00:30 CDT .. 23:30 CST
            item(2, utc("2026-11-02T06:30")),  # Mon Nov 2 00:30 CST
        ],
    )
    loc = [location.id]

    by_day = summarize(session, loc, D("2026-10-31"), D("2026-11-02"), group="day")
    assert counts(by_day) == {"2026-10-31": 1, "2026-11-01": 25, "2026-11-02": 1}
    nov1 = by_day["groups"][1]
    # Nov 1: 23 fours, one 5, one 1 -> positive 24 of 25 = 0.96; mean (92 + 5 + 1) / 25 = 3.92.
    assert nov1 == {"key": "2026-11-01", **stats(25, 24, 0.96, 3.92, "faces5", {"faces5": [1, 0, 0, 23, 1]})}

    by_hour = summarize(session, loc, D("2026-11-01"), D("2026-11-01"), group="hour")
    cells = {g["key"]: g for g in by_hour["groups"]}
    # 24 distinct local hours; hour 1 holds both 01:30s (ratings 5 and 1: mean 3.0, CSAT 0.5).
    assert len(cells) == 24
    assert cells["sun-01"] == {
        "key": "sun-01",
        "weekday": 6,
        "hour": 1,
        **stats(2, 1, 0.5, 3.0, "faces5", {"faces5": [1, 0, 0, 0, 1]}),
    }
    assert all(g["count"] == 1 for k, g in cells.items() if k != "sun-01")
    assert sorted(g["hour"] for g in by_hour["groups"]) == list(range(24))

    # Around local midnight: Sat 23:30 and Mon 00:30 each sit in their own weekday/hour cell.
    around = summarize(session, loc, D("2026-10-31"), D("2026-11-02"), group="hour")
    around_cells = {g["key"]: g["count"] for g in around["groups"]}
    assert around_cells["sat-23"] == 1
    assert around_cells["mon-00"] == 1
    assert around_cells["sun-00"] == 1 and around_cells["sun-23"] == 1
    # Keys sort Monday first: weekday 0 .. 6.
    assert next(g["weekday"] for g in around["groups"]) == 0
    assert [g["weekday"] for g in around["groups"]][-1] == 6

    # Sat Oct 31 and Sun Nov 1 are ISO 2026-W44, Mon Nov 2 is W45.
    by_week = summarize(session, loc, D("2026-10-31"), D("2026-11-02"), group="week")
    assert counts(by_week) == {"2026-W44": 26, "2026-W45": 1}
    by_month = summarize(session, loc, D("2026-10-01"), D("2026-11-30"), group="month")
    assert counts(by_month) == {"2026-10": 1, "2026-11": 26}


def test_date_range_bounds_are_inclusive_local_dates(session, build, chicago):
    location, outside = chicago
    # A second kiosk, so taps 1 s apart are not repeat taps of one device.
    inside, _ = build.device(location)
    kiosk(
        session,
        outside,
        [
            item(1, utc("2026-10-31T04:59:59")),  # Fri Oct 30 23:59:59 CDT: before the range
            item(1, utc("2026-11-02T06:00")),  # Mon Nov 2 00:00 CST: after the range
        ],
    )
    kiosk(
        session,
        inside,
        [
            item(5, utc("2026-10-31T05:00")),  # Sat Oct 31 00:00 CDT: first instant of the range
            item(4, utc("2026-11-02T05:59:59")),  # Sun Nov 1 23:59:59 CST: last instant of the range
        ],
    )
    result = summarize(session, [location.id], D("2026-10-31"), D("2026-11-01"), group="day")
    # Only the ratings 5 and 4 are inside: 2 of 2 positive, mean 4.5.
    assert result["total"] == stats(2, 2, 1.0, 4.5, "faces5", {"faces5": [0, 0, 0, 1, 1]})
    assert counts(result) == {"2026-10-31": 1, "2026-11-01": 1}


# --- two offices in two zones ------------------------------------------------------


def test_each_location_in_its_own_zone(session, build, chicago):
    chi, chi_device = chicago
    office = build.office("Honolulu Field Office", tz="Pacific/Honolulu")
    hnl = build.location("HNL-1", office=office, scale="faces5")
    hnl_device, _ = build.device(hnl)
    # The same instant 05:00Z Nov 1 is Nov 1 00:00 CDT in Chicago but Oct 31 19:00 HST.
    kiosk(
        session,
        chi_device,
        [
            item(5, utc("2026-11-01T04:30")),  # Chicago Sat Oct 31 23:30
            item(2, utc("2026-11-01T05:00")),  # Chicago Sun Nov 1 00:00
        ],
    )
    kiosk(
        session,
        hnl_device,
        [
            item(4, utc("2026-11-01T05:00")),  # Honolulu Sat Oct 31 19:00 (UTC date is Nov 1)
            item(5, utc("2026-11-01T09:30")),  # Honolulu Sat Oct 31 23:30
            item(1, utc("2026-11-01T10:30")),  # Honolulu Sun Nov 1 00:30
        ],
    )
    both = [chi.id, hnl.id]

    by_day = summarize(session, both, D("2026-10-31"), D("2026-11-01"), group="day")
    assert by_day["locations"] == ["CHI-1", "HNL-1"]
    # Oct 31: Chicago 5, Honolulu 4 and 5 -> 3 of 3 positive, mean 14/3 = 4.6667.
    # Nov 1: Chicago 2, Honolulu 1 -> 0 of 2, mean 1.5.
    assert by_day["groups"] == [
        {"key": "2026-10-31", **stats(3, 3, 1.0, 4.6667, "faces5", {"faces5": [0, 0, 0, 1, 2]})},
        {"key": "2026-11-01", **stats(2, 0, 0.0, 1.5, "faces5", {"faces5": [1, 1, 0, 0, 0]})},
    ]

    by_location = summarize(session, both, D("2026-10-31"), D("2026-11-01"), group="location")
    # CHI-1: 5, 2 -> 1 of 2, mean 3.5. HNL-1: 4, 5, 1 -> 2 of 3, mean 10/3 = 3.3333.
    assert by_location["groups"] == [
        {"key": "CHI-1", **stats(2, 1, 0.5, 3.5, "faces5", {"faces5": [0, 1, 0, 0, 1]})},
        {"key": "HNL-1", **stats(3, 2, 0.6667, 3.3333, "faces5", {"faces5": [1, 0, 0, 1, 1]})},
    ]
    # All five: 5,2,4,5,1 -> 3 of 5, mean 17/5 = 3.4.
    assert by_location["total"] == stats(5, 3, 0.6, 3.4, "faces5", {"faces5": [1, 1, 0, 1, 2]})

    by_hour = summarize(session, both, D("2026-10-31"), D("2026-11-01"), group="hour")
    # Chicago 23:30 Sat and Honolulu 23:30 Sat share sat-23; both local midnights share sun-00.
    assert counts(by_hour) == {"sat-19": 1, "sat-23": 2, "sun-00": 2}

    # One local date at a time (inclusive bounds), each office in its own zone.
    assert summarize(session, both, D("2026-10-31"), D("2026-10-31"))["total"]["count"] == 3
    assert summarize(session, both, D("2026-11-01"), D("2026-11-01"))["total"]["count"] == 2
    # Only Honolulu, on Oct 31: the 19:00 and 23:30 ratings.
    assert summarize(session, [hnl.id], D("2026-10-31"), D("2026-10-31"))["total"]["count"] == 2


# --- channel, suspects -------------------------------------------------------------


def test_channel_filter(session, build):
    location = build.location(scale="faces5")
    device, _ = build.device(location)
    t = utc("2026-11-03T15:00")
    kiosk(session, device, spaced(t, [5, 1], offered=["ease"]))
    qr(
        session,
        location,
        [
            item(4, t, offered=["ease"], chosen=["ease"]),
            item(4, t + timedelta(seconds=1)),  # QR rows carry their own suspect flag; these are not
            item(2, t + timedelta(hours=1)),
        ],
    )
    loc, day = [location.id], D("2026-11-03")

    everything = summarize(session, loc, day, day)
    # 5, 1, 4, 4, 2 -> 3 of 5 positive, mean 16/5 = 3.2.
    assert everything["total"] == stats(5, 3, 0.6, 3.2, "faces5", {"faces5": [1, 1, 0, 2, 1]})

    kiosk_only = summarize(session, loc, day, day, channel="kiosk")
    # 5, 1 -> 1 of 2, mean 3.0; "ease" offered to both, chosen by neither.
    assert kiosk_only["channel"] == "kiosk"
    assert kiosk_only["total"] == stats(2, 1, 0.5, 3.0, "faces5", {"faces5": [1, 0, 0, 0, 1]})
    assert kiosk_only["followups"] == {
        "positive": [{"choice": "ease", "chosen": 0, "offered": 1}],
        "negative": [{"choice": "ease", "chosen": 0, "offered": 1}],
    }

    qr_only = summarize(session, loc, day, day, channel="qr")
    # 4, 4, 2 -> 2 of 3, mean 10/3 = 3.3333; the one QR follow-up was chosen.
    assert qr_only["total"] == stats(3, 2, 0.6667, 3.3333, "faces5", {"faces5": [0, 1, 0, 2, 0]})
    assert qr_only["followups"] == {"positive": [{"choice": "ease", "chosen": 1, "offered": 1}], "negative": []}


def test_suspects_excluded_by_default_and_counted(session, build):
    location = build.location(scale="faces5")
    device, _ = build.device(location)
    t = utc("2026-11-03T15:00")
    kiosk(
        session,
        device,
        [
            item(5, t),
            # 1 s after the previous tap on the same kiosk: a repeat tap, stored as suspect.
            item(1, t + timedelta(seconds=1), offered=["ease"], chosen=["ease"]),
            item(4, t + timedelta(minutes=5), offered=["ease"], chosen=["ease"]),
        ],
    )
    qr(session, location, [item(2, t + timedelta(hours=1))], suspect=True)
    # In time order: 5 (kept), 1 (repeat tap), 4 (kept), the QR 2 (flagged by its writer).
    assert list(session.scalars(select(Response.suspect).order_by(Response.client_time))) == [False, True, False, True]
    loc, day = [location.id], D("2026-11-03")

    default = summarize(session, loc, day, day, group="day")
    # Counted: 5 and 4 -> 2 of 2, mean 4.5. Suspects: the kiosk 1 and the QR 2.
    assert default["include_suspect"] is False
    assert default["total"] == stats(2, 2, 1.0, 4.5, "faces5", {"faces5": [0, 0, 0, 1, 1]}, suspect_count=2)
    assert default["groups"][0]["suspect_count"] == 2
    assert default["followups"] == {"positive": [{"choice": "ease", "chosen": 1, "offered": 1}], "negative": []}

    everything = summarize(session, loc, day, day, include_suspect=True)
    # Counted: 5, 1, 4, 2 -> 2 of 4, mean 3.0; still 2 of them suspect.
    assert everything["total"] == stats(4, 2, 0.5, 3.0, "faces5", {"faces5": [1, 1, 0, 1, 1]}, suspect_count=2)
    assert everything["followups"] == {
        "positive": [{"choice": "ease", "chosen": 1, "offered": 1}],
        "negative": [{"choice": "ease", "chosen": 1, "offered": 1}],
    }

    kiosk_only = summarize(session, loc, day, day, channel="kiosk")
    assert kiosk_only["total"]["suspect_count"] == 1


# --- scales across locations and survey versions ---------------------------------


def test_mixed_scales_combine_csat_only(session, build):
    faces = build.location("MIX-FACES", scale="faces5")
    thumbs = build.location("MIX-THUMBS", scale="thumbs")
    t = utc("2026-11-03T15:00")
    kiosk(session, build.device(faces)[0], spaced(t, [5, 3]))
    kiosk(session, build.device(thumbs)[0], spaced(t, [2, 1, 2]))

    result = summarize(session, [faces.id, thumbs.id], D("2026-11-03"), D("2026-11-03"), group="location")
    # faces5 5, 3 -> 1 positive; thumbs 2, 1, 2 -> 2 positive: 3 of 5. No mean across scales.
    assert result["total"] == stats(5, 3, 0.6, None, "mixed", {"faces5": [0, 0, 1, 0, 1], "thumbs": [1, 2]})
    # Per location each has one scale again: faces5 mean 4.0, thumbs mean 5/3 = 1.6667.
    assert result["groups"] == [
        {"key": "MIX-FACES", **stats(2, 1, 0.5, 4.0, "faces5", {"faces5": [0, 0, 1, 0, 1]})},
        {"key": "MIX-THUMBS", **stats(3, 2, 0.6667, 1.6667, "thumbs", {"thumbs": [1, 2]})},
    ]


def test_old_responses_keep_their_survey_version(session, build):
    location = build.location(scale="faces5")
    device, _ = build.device(location)
    survey = location.survey
    v1 = survey.current_version().id
    kiosk(session, device, spaced(utc("2026-11-02T15:00"), [5, 4, 2]))
    with write_transaction(session):
        v2 = add_survey_version(
            session, survey, scale="thumbs", question={"en": "Did we help?"}, followup_choices=()
        ).id
    t = utc("2026-11-03T15:00")
    kiosk(
        session,
        device,
        [
            item(2, t),
            item(1, t + timedelta(minutes=1)),
            # A kiosk still showing version 1: a 3 is only valid on faces5.
            item(3, t + timedelta(minutes=2), version=v1),
        ],
    )

    versions = session.scalars(select(Response.survey_version_id).order_by(Response.client_time))
    assert list(versions) == [v1, v1, v1, v2, v2, v1]

    result = summarize(session, [location.id], D("2026-11-02"), D("2026-11-03"), group="day")
    assert result["groups"] == [
        # Before the change: faces5 5, 4, 2 -> 2 of 3, mean 11/3 = 3.6667.
        {"key": "2026-11-02", **stats(3, 2, 0.6667, 3.6667, "faces5", {"faces5": [0, 1, 0, 1, 1]})},
        # After: thumbs 2, 1 (1 positive) and the faces5 3 (not positive) -> 1 of 3, mixed.
        {"key": "2026-11-03", **stats(3, 1, 0.3333, None, "mixed", {"faces5": [0, 0, 1, 0, 0], "thumbs": [1, 1]})},
    ]
    # Whole range: 3 of 6 positive.
    assert result["total"] == stats(6, 3, 0.5, None, "mixed", {"faces5": [0, 1, 1, 1, 1], "thumbs": [1, 1]})


def test_iso_weeks_across_the_new_year(session, chicago):
    location, device = chicago
    kiosk(
        session,
        device,
        [
            item(5, utc("2026-12-31T18:00")),  # Thu Dec 31 12:00 CST: ISO 2026-W53
            item(4, utc("2027-01-01T18:00")),  # Fri Jan 1 2027: still ISO week 2026-W53
            item(1, utc("2027-01-04T18:00")),  # Mon Jan 4 2027: 2027-W01
        ],
    )
    loc = [location.id]
    assert counts(summarize(session, loc, D("2026-12-01"), D("2027-01-31"), group="week")) == {
        "2026-W53": 2,
        "2027-W01": 1,
    }
    assert counts(summarize(session, loc, D("2026-12-01"), D("2027-01-31"), group="month")) == {
        "2026-12": 1,
        "2027-01": 2,
    }


def test_removed_responses_leave_no_empty_groups(session, chicago):
    """Moderation takes responses out with rollups.apply(sign=-1); emptied buckets must not show."""
    location, device = chicago
    kiosk(
        session,
        device,
        [
            item(5, utc("2026-11-03T15:00"), offered=["ease"], chosen=["ease"]),
            item(2, utc("2026-11-04T15:00"), offered=["humanity"], chosen=["humanity"]),
        ],
    )
    removed = session.scalars(select(Response).where(Response.rating == 2)).one()
    with write_transaction(session):
        rollups.apply(
            session,
            [
                rollups.Fact(
                    location.id,
                    location.office.tz,
                    removed.client_time,
                    "kiosk",
                    "faces5",
                    False,
                    2,
                    removed.language,
                    ("humanity",),
                    ("humanity",),
                )
            ],
            sign=-1,
        )
        session.execute(delete(Response).where(Response.id == removed.id))

    result = summarize(session, [location.id], D("2026-11-01"), D("2026-11-30"), group="day")
    # Only the 5 of Nov 3 is left: Nov 4 and the "humanity" follow-up are gone, not listed as zeros.
    assert result["groups"] == [{"key": "2026-11-03", **stats(1, 1, 1.0, 5.0, "faces5", {"faces5": [0, 0, 0, 0, 1]})}]
    assert result["followups"] == {"positive": [{"choice": "ease", "chosen": 1, "offered": 1}], "negative": []}
    hour = summarize(session, [location.id], D("2026-11-01"), D("2026-11-30"), group="hour")
    assert counts(hour) == {"tue-09": 1}  # Nov 3 15:00Z = Tuesday 09:00 CST

"""Property test (Hypothesis): after any sequence of responses and admin actions, every figure agrees
with a recomputation from raw responses.

A state machine builds two offices (four counters: a 5-point and a thumbs A-11 survey, a 4-face
survey that is not one) and then, in an order Hypothesis chooses: kiosk batches (taps a second or
two apart, so repeat taps happen, and late offline batches that arrive after later taps), phone
answers with and without comments, CSAT target changes (counter and office), time zone changes,
counter moves to the other office, spam / not spam in the comment inbox, survey edits (question
text, or thumbs <-> 5 points) and customer volumes. After every step it compares, with
``tests.reporting.oracle`` (plain Python over the ``responses`` rows, no rollup and no service):

* every response's suspect flag (the later of two kiosk taps less than 2 s apart, by client time)
  and the rollup tables themselves;
* every dashboard figure: the landing page's periods, trend and range total, each location page's
  total, channels, hour x weekday heatmap, follow-ups and target, the comparison's rows;
* the read API: ``/api/v1/summary`` grouped by location (CSAT and mean rounded half up) and
  ``/api/v1/responses`` (ids and suspect flags);
* the standards page: ``standards.report`` per location and office, and the CSAT cells of
  ``/admin/standards`` as shown;
* both A-11 outputs: the collection details (keys, respondents, the version named, survey type,
  volumes and the respondents <= offered <= served check) and every upload's rows, cell by cell.

The same test runs on SQLite and PostgreSQL (``DATABASE_URL``). Run time is bounded by
``PROPERTY_EXAMPLES`` (default 8) examples of at most ``PROPERTY_STEPS`` (default 12) steps,
derandomised so CI runs the same cases every time; raise both to search harder. The fast suite
runs three examples (a few seconds), the slow suite all of them.
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from feedback.database import write_transaction
from feedback.extensions import db
from feedback.models import Device, Location, Office, Response, Survey, SurveyVersion, User
from feedback.services import (
    a11,
    a11_files,
    comments,
    comparison,
    dashboard,
    ingest,
    phone,
    surveys,
    volumes,
)
from feedback.services import standards as standards_service
from feedback.services.fiscal import FiscalQuarter
from feedback.services.locations import update_location
from feedback.services.offices import update_office
from feedback.services.targets import percent_from_target
from feedback.touchpoints import A11_V2
from tests.admin.conftest import sign_in
from tests.builders import add_api_token, add_device, add_location, add_office, add_survey
from tests.reporting import oracle
from tests.reporting.conftest import F7, TRUST, read_csv

Q1 = FiscalQuarter(2027, 1)
NOW = datetime(2027, 1, 5, 12, 0, tzinfo=UTC)  # the clock of every write: Q1 is over
POLICY = ingest.IngestPolicy(max_age=timedelta(days=400))  # Q1's first days are older than the default 90
ZONES = ("America/Chicago", "Australia/Lord_Howe", "Pacific/Honolulu", "Asia/Kolkata", "America/St_Johns")
# Instants near local midnights, DST changes and the quarter's edges in those zones.
ANCHORS = (
    datetime(2026, 9, 30, 23, 45, tzinfo=UTC),
    datetime(2026, 10, 1, 5, 10, tzinfo=UTC),
    datetime(2026, 10, 3, 15, 0, tzinfo=UTC),  # 4 Oct 02:00 at Lord Howe: its DST starts (+30 min)
    datetime(2026, 11, 1, 6, 30, tzinfo=UTC),  # Chicago's fall back
    datetime(2026, 11, 2, 3, 29, tzinfo=UTC),
    datetime(2026, 12, 31, 13, 20, tzinfo=UTC),  # 00:20 on 1 Jan at Lord Howe (+11)
    datetime(2026, 12, 31, 23, 50, tzinfo=UTC),
    datetime(2027, 1, 1, 9, 45, tzinfo=UTC),  # 31 Dec 23:45 in Honolulu
)
OFFSETS = (0, 0.4, 1, 1.5, 2, 3, 61)  # seconds: taps closer than 2 s are repeats
COMMENTS = (None, "Thanks, quick service", "=1+1 was faster", "Slow line")
EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "8"))
STEPS = int(os.environ.get("PROPERTY_STEPS", "12"))
QUICK_EXAMPLES = min(3, EXAMPLES)  # the fast suite's share

moment = st.tuples(st.sampled_from(ANCHORS), st.sampled_from(OFFSETS)).map(lambda p: p[0] + timedelta(seconds=p[1]))
tap = st.tuples(moment, st.integers(1, 5), st.booleans(), st.integers(0, 127))


def _half_up(numerator: int, denominator: int, places: int = 4) -> float:
    return float((Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP))


def _norm(dist: dict) -> dict:
    return {scale: list(counts) for scale, counts in dist.items() if sum(counts)}


def _figures(f) -> tuple:
    return f.count, f.positive, f.suspect_count, _norm(f.distribution)


@pytest.mark.parametrize(
    "examples",
    [pytest.param(QUICK_EXAMPLES, id="quick"), pytest.param(EXAMPLES, id="full", marks=pytest.mark.slow)],
)
def test_every_figure_matches_the_raw_responses(app, session, client, make_user, examples):
    make_user("admin@example.gov", "admin")
    assert sign_in(client, "admin@example.gov").status_code == 302
    tables = list(reversed(db.metadata.sorted_tables))

    class Figures(RuleBasedStateMachine):
        @initialize(
            seed=st.lists(st.tuples(st.integers(0, 3), st.lists(tap, min_size=1, max_size=4)), min_size=1, max_size=3),
            answers=st.lists(
                st.tuples(st.integers(0, 3), moment, st.integers(1, 5), st.sampled_from(COMMENTS)), max_size=3
            ),
        )
        def build(self, seed, answers):
            session.rollback()
            with db.engine.begin() as conn:  # every example starts from an empty site (the admin kept)
                for table in tables:
                    if table.name not in ("users", "sign_in_throttles"):
                        conn.execute(table.delete())
            session.expire_all()
            self.phone_repeats = {}  # phone answer id -> submitted as a repeat (the cookie's verdict)
            with write_transaction(session):
                self.admin = session.scalar(select(User).where(User.email == "admin@example.gov"))
                _api, self.token = add_api_token(session, self.admin, "property")
                self.offices = []
                for name, tz in (("Office A", "America/Chicago"), ("Office B", "Australia/Lord_Howe")):
                    office = add_office(session, name, tz)
                    office.service_provider, office.service_provided = "Provider", "Service"
                    self.offices.append(office.id)
                five = add_survey(session, "Five", scale="faces5", question=TRUST, followup_choices=F7, a11_role=A11_V2)
                thumbs = add_survey(
                    session, "Thumbs", scale="thumbs", question=TRUST, followup_choices=F7, a11_role=A11_V2
                )
                four = add_survey(session, "Four", scale="faces4", followup_choices=F7[:3])
                self.surveys = [five.id, thumbs.id]
                self.locations, self.devices = [], []
                for code, office, survey in (
                    ("L-1", self.offices[0], five),
                    ("L-2", self.offices[0], thumbs),
                    ("L-3", self.offices[1], five),
                    ("L-4", self.offices[1], four),
                ):
                    location = add_location(session, code, office=session.get(Office, office), name=code, survey=survey)
                    device, _token = add_device(session, location, code)
                    self.locations.append(location.id)
                    self.devices.append(device.id)
                session.get(Location, self.locations[1]).service_provided = "Other service"
            for which, taps in seed:  # every example starts with some answers
                self.kiosk_batch(which, taps)
            for which, when, rating, comment in answers:
                self.phone_answer(which, when, rating, comment, False)

        # --- responses ---------------------------------------------------------------------------

        @rule(which=st.integers(0, 3), taps=st.lists(tap, min_size=1, max_size=4))
        def kiosk_batch(self, which, taps):
            """One request of a kiosk: its taps (a late offline batch when they are older than stored ones)."""
            device = session.get(Device, self.devices[which])
            version = SurveyVersion.current_for(session, session.get(Location, device.location_id).survey_id)
            items = []
            for when, rating, followup, chosen_bits in taps:
                offered = list(version.followup_choices) if followup else []
                chosen = [c for k, c in enumerate(offered) if chosen_bits >> k & 1][:2]
                items.append(
                    {
                        "id": uuid.uuid4(),
                        "rating": min(rating, version.scale_def.points),
                        "language": "en",
                        "client_time": when,
                        "survey_version": None,
                        "followup_offered": offered,
                        "followup_chosen": chosen,
                    }
                )
            ingest.ingest(session, device, items, policy=POLICY, now=NOW)

        @rule(which=st.integers(0, 3), taps=st.lists(tap, min_size=1, max_size=3))
        def late_offline_batch(self, which, taps):
            """Taps a second before the device's newest stored ones, arriving after them: the stored
            tap becomes the repeat (its flag and rollup bucket move)."""
            newest = session.scalar(
                select(Response.client_time)
                .where(Response.device_id == self.devices[which])
                .order_by(Response.client_time.desc())
                .limit(1)
            )
            if newest is not None:
                taps = [(newest - timedelta(seconds=1 + k * 0.5), *rest) for k, (_when, *rest) in enumerate(taps)]
            self.kiosk_batch(which, taps)

        @rule(
            which=st.integers(0, 3),
            when=moment,
            rating=st.integers(1, 5),
            comment=st.sampled_from(COMMENTS),
            repeat=st.booleans(),
        )
        def phone_answer(self, which, when, rating, comment, repeat):
            location = session.get(Location, self.locations[which])
            version = SurveyVersion.current_for(session, location.survey_id)
            response_id = self.phone_repeats_add(uuid.uuid4(), repeat)
            phone.submit(
                session,
                location,
                response_id=response_id,
                rating=min(rating, version.scale_def.points),
                language="en",
                survey_version=None,
                followup_offered=list(version.followup_choices[:2]),
                followup_chosen=list(version.followup_choices[:1]),
                comment=comment,
                repeat=repeat,
                policy=POLICY,
                now=when,
            )

        def phone_repeats_add(self, response_id, repeat: bool):
            self.phone_repeats[response_id] = repeat
            return response_id

        # --- admin actions -----------------------------------------------------------------------

        @rule(which=st.integers(0, 3), percent=st.sampled_from([None, "50", "81.25", "90"]))
        def counter_target(self, which, percent):
            location = session.get(Location, self.locations[which])
            with write_transaction(session):
                update_location(
                    session, self.admin, location.id, name=location.name, active=True, csat_target_percent=percent
                )

        @rule(which=st.integers(0, 1), percent=st.sampled_from([None, "60", "85"]))
        def office_target(self, which, percent):
            office = session.get(Office, self.offices[which])
            with write_transaction(session):
                update_office(
                    session,
                    self.admin,
                    office.id,
                    name=office.name,
                    timezone=office.timezone,
                    opening_hours=office.opening_hours,
                    csat_target_percent=percent,
                )

        @rule(which=st.integers(0, 1), tz=st.sampled_from(ZONES))
        def change_zone(self, which, tz):
            office = session.get(Office, self.offices[which])
            with write_transaction(session):
                update_office(
                    session, self.admin, office.id, name=office.name, timezone=tz, opening_hours=office.opening_hours
                )

        @rule(which=st.integers(0, 3))
        def move_counter(self, which):
            location = session.get(Location, self.locations[which])
            other = self.offices[1] if location.office_id == self.offices[0] else self.offices[0]
            with write_transaction(session):
                update_location(
                    session,
                    self.admin,
                    location.id,
                    name=location.name,
                    active=True,
                    csat_target_percent=percent_from_target(location.csat_target),
                    office_id=other,
                )

        @rule(pick=st.integers(0, 1000), spam=st.booleans())
        def spam_or_not(self, pick, spam):
            ids = list(
                session.scalars(select(Response.id).where(Response.comment_state.is_not(None)).order_by(Response.id))
            )
            if ids:
                comments.act(
                    session,
                    self.admin,
                    set(self.locations),
                    "mark_spam" if spam else "unmark_spam",
                    [ids[pick % len(ids)]],
                )

        @rule(which=st.integers(0, 1), change=st.sampled_from(["text", "scale"]))
        def edit_survey(self, which, change):
            survey = session.get(Survey, self.surveys[which])
            current = surveys.SurveyFields.of(SurveyVersion.current_for(session, survey.id))
            values = vars(current) | {
                "followup_choices": list(current.followup_choices),
                "labels_en": "",
                "labels_es": "",
            }
            if change == "text":
                values["question_en"] = (
                    TRUST["en"] if current.question_en != TRUST["en"] else "I trust the Agency to help me."
                )
            else:
                values["scale"] = "thumbs" if current.scale == "faces5" else "faces5"
            with write_transaction(session):
                surveys.edit_survey(session, self.admin, survey.id, surveys.survey_fields(**values))

        @rule(
            which=st.integers(0, 3),
            channel=st.sampled_from(["kiosk", "qr"]),
            served=st.integers(0, 6),
            offered=st.integers(0, 6),
        )
        def enter_volumes(self, which, channel, served, offered):
            figures = volumes.Figures(max(served, offered), min(served, offered))
            with write_transaction(session):
                volumes.upsert(session, self.admin, volumes.Entry(self.locations[which], Q1, channel, figures))

        # --- what must hold after every step ---------------------------------------------------

        @invariant()
        def every_figure_matches(self):
            if not hasattr(self, "locations"):
                return
            session.rollback()
            session.expire_all()
            raws = oracle.assert_rollups_match(session)
            # Repeat taps by client time whatever the arrival order (item 11), phone repeats as submitted.
            assert {r.id: r.suspect for r in raws} == oracle.expected_suspects(raws, self.phone_repeats)
            locations = list(session.scalars(select(Location).order_by(Location.code)))
            ids = [loc.id for loc in locations]
            _check_dashboards(raws, locations)
            _check_read_api(client, self.token, raws, locations)
            _check_standards(client, raws, locations)
            _check_a11(raws, ids)

    def _check_dashboards(raws, locations):
        ids = [loc.id for loc in locations]
        view = dashboard.overview(session, ids, Q1.start, Q1.end)
        for period in view.periods:
            assert _figures(period.figures) == oracle.figures(raws, start=period.start, end=period.end)
            assert _figures(period.previous) == oracle.figures(
                raws, start=period.previous_start, end=period.previous_end
            )
        for bucket in view.trend:
            assert _figures(bucket.figures) == oracle.figures(raws, start=bucket.first, end=bucket.last)
        assert _figures(view.range_total) == oracle.figures(raws, start=Q1.start, end=Q1.end)
        for loc in locations:
            one = {"location_ids": {loc.id}, "start": Q1.start, "end": Q1.end}
            report = dashboard.location_report(session, loc, Q1.start, Q1.end)
            assert _figures(report.total) == oracle.figures(raws, **one)
            for channel, got in report.channels.items():
                assert _figures(got) == oracle.figures(raws, channel=channel, **one)
            assert {k: _figures(v) for k, v in report.heatmap.items()} == oracle.heatmap(raws, **one)
            got = {(f.polarity, f.choice): (f.chosen, f.offered) for items in report.followups.values() for f in items}
            assert got == oracle.followups(raws, **one)
            target = loc.csat_target if loc.csat_target is not None else loc.office.csat_target
            assert report.target == target
        for row in comparison.compare(session, locations, Q1.start, Q1.end):
            want = oracle.tally(raws, location_ids={row.location.id}, start=Q1.start, end=Q1.end)
            assert (row.figures.count, row.figures.positive, row.figures.suspect_count) == (
                want.count,
                want.positive,
                want.suspects,
            )
            target = row.location.csat_target if row.location.csat_target is not None else row.office.csat_target
            assert row.target == target
            assert row.below_target == (
                target is not None and want.count > 0 and Fraction(want.positive, want.count) < target
            )

    def _check_read_api(client, token, raws, locations):
        headers = {"Authorization": f"Bearer {token}"}
        query = {"from": Q1.start.isoformat(), "to": Q1.end.isoformat(), "group": "location"}
        body = client.get("/api/v1/summary", query_string=query, headers=headers).get_json()
        for loc in locations:
            want = oracle.tally(raws, location_ids={loc.id}, start=Q1.start, end=Q1.end)
            group = next((g for g in body["groups"] if g["key"] == loc.code), None)
            if not want.count and not want.suspects:
                assert group is None
                continue
            assert (group["count"], group["positive"], group["suspect_count"]) == (
                want.count,
                want.positive,
                want.suspects,
            )
            assert group["csat"] == (_half_up(want.positive, want.count) if want.count else None)
            scales = set(oracle.figures(raws, location_ids={loc.id}, start=Q1.start, end=Q1.end)[3])
            assert group["mean"] == (_half_up(want.rating_sum, want.count) if want.count and len(scales) == 1 else None)
        total = oracle.tally(raws, start=Q1.start, end=Q1.end)
        assert (body["total"]["count"], body["total"]["suspect_count"]) == (total.count, total.suspects)
        listed, after = [], None
        while True:
            page = client.get(
                "/api/v1/responses",
                query_string={"from": "2026-10-01", "to": "2026-12-31", "limit": 1000}
                | ({"after": after} if after else {}),
                headers=headers,
            ).get_json()
            listed.extend((row["id"], row["suspect"]) for row in page["responses"])
            after = page["next_cursor"]
            if not after:
                break
        want = sorted(
            (r.client_time, str(r.id), r.suspect) for r in raws if not r.spam and Q1.start <= r.local_date <= Q1.end
        )
        assert listed == [(i, s) for _t, i, s in want]

    def _check_standards(client, raws, locations):
        offices = standards_service.report(session, locations, [Q1], now=NOW)
        for rows in offices:
            office_total = oracle.Tally()
            for row in rows.locations:
                standing = row.standings[Q1]
                want = oracle.tally(raws, location_ids={row.location.id}, start=Q1.start, end=Q1.end)
                assert (standing.responses, standing.positive, standing.suspects) == (
                    want.count,
                    want.positive,
                    want.suspects,
                )
                loc = row.location
                assert standing.target == (loc.csat_target if loc.csat_target is not None else rows.office.csat_target)
                office_total.count += want.count
                office_total.positive += want.positive
            total = rows.total[Q1]
            assert (total.responses, total.positive) == (office_total.count, office_total.positive)
        page = client.get("/admin/standards?quarter=FY2027Q1").get_data(as_text=True)
        for loc in locations:
            want = oracle.tally(raws, location_ids={loc.id}, start=Q1.start, end=Q1.end)
            row = page[page.index(f'data-code="{loc.code}"') :]
            cell = re.search(r'data-col="csat">([^<]*)<', row).group(1)
            expected = (
                f"{(Decimal(want.positive * 100) / Decimal(want.count)).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"
                if want.count
                else "\u2014"
            )
            assert cell == expected, loc.code

    def _check_a11(raws, ids):
        report = a11.report(session, ids, Q1)
        want = oracle.expected_a11(session, raws, Q1)
        got = {astuple(d.key): d for d in report.details}
        assert set(got) == set(want)
        for key, detail in got.items():
            expected = want[key]
            assert {(p.location.id, p.channel) for p in detail.pairs} == expected.pairs
            assert (detail.version.id if detail.version else None) == expected.version_id
            assert detail.survey_type == expected.survey_type
            assert detail.respondents == len(expected.rows)
            assert list(a11_files.response_rows(session, detail)) == expected.rows
            served, offered = (
                detail.volume("volume_of_customers"),
                detail.volume("volume_of_customers_provided_survey_opportunity"),
            )
            assert (served, offered) == (expected.served, expected.offered)
            inconsistent = (offered is not None and len(expected.rows) > offered) or (
                served is not None and offered is not None and offered > served
            )
            assert (
                bool(
                    [p for p in detail.volume_problems() if "(respondents > offered)" in p or "(offered > served)" in p]
                )
                == inconsistent
            )
        header, *rows = read_csv(a11_files.collection_csv(report))
        for cells in rows:
            row = dict(zip(header, cells, strict=True))
            key = next(
                k
                for k in want
                if (k[1], k[3]) == (row["service_name"], row["channel"])
                and k[0] == row["cx_collection_service_provider_name"]
            )
            assert int(row["volume_of_respondents"]) == len(want[key].rows)
            assert row["survey_type"] == (want[key].survey_type or "")

    def astuple(key):
        return (key.service_provider, key.service, key.transaction_point, key.channel, key.office_id)

    run_state_machine_as_test(
        Figures,
        settings=settings(
            max_examples=examples,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[
                HealthCheck.function_scoped_fixture,
                HealthCheck.too_slow,
                HealthCheck.filter_too_much,
            ],
        ),
    )

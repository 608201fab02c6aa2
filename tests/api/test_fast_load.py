"""The fast path in front of ResponseInSchema (feedback/schemas/fast_responses.py) accepts only what
the schema accepts, and loads it to the very same values; everything else goes to marshmallow,
whose errors the kiosk gets as before."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from feedback.i18n import LANGUAGES
from feedback.scales import DRIVERS
from feedback.schemas.fast_responses import FastBatchLoader, load_item
from feedback.schemas.responses import BatchInSchema, ResponseInSchema

SCHEMA = ResponseInSchema()

# Values near and across every rule's edge, of every JSON type.
anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 12),
    st.integers(2**31 - 2, 2**31 + 1),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=1),
)
ids = st.one_of(
    st.uuids().map(str),
    st.uuids().map(lambda u: u.hex),
    st.uuids().map(lambda u: "{" + str(u) + "}"),
    st.just("not-a-uuid"),
    st.just(str(uuid.uuid4()).upper()),
    anything,
)
times = st.one_of(
    st.sampled_from(
        [
            "2026-11-30T10:00:00+00:00",
            "2026-11-30T10:00:00Z",
            "2026-11-30T10:00:00",
            "2026-11-30T10:00:00.5-05:00",
            "2026-11-30 10:00:00+01:00",
            "20261130T100000+0000",
            "1899-12-31T23:59:59+00:00",
            "2999-12-31T23:59:59-01:00",
            "3000-01-01T00:00:00+00:00",
            "2026-02-30T10:00:00+00:00",
            "2026-11-30",
            "2026-11-30T10:00:00+25:00",
            "9999-12-31T23:00:00-05:00",
        ]
    ),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    anything,
)
choices = st.one_of(st.lists(st.sampled_from([*DRIVERS, "nope", ""]), max_size=len(DRIVERS) + 1), anything)
items = st.fixed_dictionaries(
    {
        "id": ids,
        "rating": st.one_of(st.integers(0, 8), anything),
        "language": st.one_of(st.sampled_from([*LANGUAGES, "xx"]), anything),
        "client_time": times,
    },
    optional={
        "survey_version": st.one_of(st.integers(0, 5), anything),
        "followup_offered": choices,
        "followup_chosen": choices,
        "extra": anything,
    },
)


def marshmallow_load(raw):
    try:
        return SCHEMA.load(raw)
    except ValidationError:
        return "refused"


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.one_of(items, anything))
def test_the_fast_path_accepts_a_subset_with_the_same_values(raw):
    fast = load_item(raw)
    if fast is not None:
        assert fast == marshmallow_load(raw)


def test_a_plain_tap_takes_the_fast_path():
    raw = {
        "id": str(uuid.uuid4()),
        "rating": 4,
        "language": "es",
        "client_time": "2026-11-30T10:00:00.250000-05:00",
        "followup_offered": ["ease", "efficiency"],
        "followup_chosen": ["ease"],
    }
    loaded = load_item(raw)
    assert loaded is not None and loaded == SCHEMA.load(raw)
    assert loaded["survey_version"] is None


def test_a_batch_with_one_doubtful_item_is_loaded_and_refused_by_marshmallow_whole():
    good = {"id": str(uuid.uuid4()), "rating": 5, "language": "en", "client_time": "2026-11-30T10:00:00+00:00"}
    loader = FastBatchLoader(BatchInSchema())
    assert loader.load({"responses": [good]}) == BatchInSchema().load({"responses": [good]})
    with pytest.raises(ValidationError) as refused:
        loader.load({"responses": [good, dict(good, rating=True)]})
    assert set(refused.value.messages) == {1}  # keyed by the item's index, as before
    with pytest.raises(ValidationError):
        loader.load({"responses": []})

"""Rule settings (validation, defaults) and the statistical fact ingest relies on."""

from __future__ import annotations

import pytest

from feedback.services import alert_rules, stats
from feedback.services.errors import InvalidInput


def test_params_default_and_validate():
    assert alert_rules.clean_params("burst", {}) == {"negatives": 5, "of_last": 8, "within_minutes": 30}
    assert alert_rules.clean_params("burst", {"negatives": "3", "of_last": 4, "within_minutes": ""}) == {
        "negatives": 3,
        "of_last": 4,
        "within_minutes": 30,
    }
    with pytest.raises(InvalidInput) as exc:
        alert_rules.clean_params("burst", {"negatives": 9, "of_last": 8})
    assert exc.value.errors == {"burst_negatives": ["Cannot be more than the number of ratings looked at."]}
    with pytest.raises(InvalidInput) as exc:
        alert_rules.clean_params("silence", {"minutes": "soon"})
    assert exc.value.errors == {"silence_minutes": ["A whole number from 5 to 1440."]}
    with pytest.raises(InvalidInput):
        alert_rules.clean_params("below_target", {"window_days": True})
    with pytest.raises(InvalidInput):
        alert_rules.clean_params("below_target", {"window_days": 0})


def test_recipients_are_cleaned():
    assert alert_rules.clean_recipients("silence", " A@x.gov, b@y.gov;a@x.gov\nc@z.gov ") == [
        "a@x.gov",
        "b@y.gov",
        "c@z.gov",
    ]
    assert alert_rules.clean_recipients("silence", None) == []
    with pytest.raises(InvalidInput) as exc:
        alert_rules.clean_recipients("burst", "ok@x.gov nope")
    assert exc.value.errors == {"burst_recipients": ["Not an e-mail address: nope."]}
    with pytest.raises(InvalidInput):
        alert_rules.clean_recipients("burst", [f"p{i}@x.gov" for i in range(21)])


def test_one_more_positive_never_lowers_the_wilson_upper_bound():
    """Why ingest evaluates nothing for a positive rating: it cannot push a score below target."""
    for n in range(1, 401):
        for k in range(n + 1):
            assert stats.wilson_interval(k + 1, n + 1).high >= stats.wilson_interval(k, n).high - 1e-12, (k, n)

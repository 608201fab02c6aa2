"""Golden files: the exact bytes of both A-11 exports of FY2027Q1 for the data set in conftest.py.

The expected files were written by hand from ``RESPONSES`` and ``VOLUMES``:

Per response (golden/a11_responses_FY2027Q1.csv), eight rows in client-time order (UTC):
2 (1 Oct 05:10), 10 (1 Oct 18:00), 3, 5, 6, 13, 8 (1 Jan 00:00 UTC = 31 Dec in Chicago),
11 (1 Jan 09:00 UTC = 31 Dec in Honolulu). Left out: 1 and 9 (30 September local, although
1 October in UTC), 12 (1 January local), 4 (suspect), 7 (spam). Ratings 4 and 5 fill the
positive_* cells, 1 to 3 the negative_* ones; six drivers are offered, so ``*_other`` is empty;
6 was offered no follow-up, so all its driver cells are empty. Comments 5 ("=HYPERLINK...")
and 11 ("+1 ...") get a leading quote; 5 and 6 are CSV-quoted (quotes, commas).

Quarterly collection (golden/a11_collection_FY2027Q1.csv), ordered by office, code, channel:

* CHI-1 kiosk: respondents 2, 3, 8 (ratings 4, 2, 3 -> q1_2..q1_4 = 1); positive ease 1 (2);
  negative efficiency 1, employee 1 (3), transparency 1 (8); 4 is the one suspect; only
  version 1 answered, which has no Federal Register notice -> missing.
* CHI-1 qr: respondents 5 and 6 (ratings 1 and 5); only 5 was offered drivers (negative, none
  chosen -> zeros); 7 is spam (spam_respondents 1); served not entered -> missing.
* CHI-2 kiosk: no responses, a row because volumes (400/380) were entered; the survey as it is
  now (version 2, with its notice); its own service_provided; nothing offered -> empty drivers.
* HNL-1 kiosk: 10 (5; humanity, employee) and 13 (4; ease, efficiency); 13 answered version 2,
  the newest -> its notice; no service_provided and no volumes this quarter -> missing.
* HNL-1 qr: 11 (4; offered, none chosen); version 1 -> the notice is missing as well.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from feedback.models import Location
from feedback.services import a11
from feedback.services.fiscal import FiscalQuarter

GOLDEN = Path(__file__).parent / "golden"
Q1 = FiscalQuarter.parse("FY2027Q1")


def _all_locations(session):
    return list(session.scalars(select(Location.id)))


def test_per_response_export_matches_the_golden_file(session, golden_world):
    text = "".join(a11.response_csv(session, _all_locations(session), Q1))
    assert text.encode("utf-8") == (GOLDEN / "a11_responses_FY2027Q1.csv").read_bytes()


def test_collection_export_matches_the_golden_file(session, golden_world):
    text = a11.collection_csv(a11.collection(session, _all_locations(session), Q1))
    assert text.encode("utf-8") == (GOLDEN / "a11_collection_FY2027Q1.csv").read_bytes()


def test_files_are_plain_utf8_with_crlf_and_the_exact_a11_headers(session, golden_world):
    responses = "".join(a11.response_csv(session, _all_locations(session), Q1))
    collection = a11.collection_csv(a11.collection(session, _all_locations(session), Q1))
    for text, header in ((responses, a11.RESPONSE_COLUMNS), (collection, a11.COLLECTION_COLUMNS)):
        assert not text.startswith("\ufeff")
        assert text.split("\r\n", 1)[0] == ",".join(header)
        assert "\n" not in text.replace("\r\n", "")
    assert responses.split("\r\n", 1)[0] == (
        "external_id,question_1,positive_effectiveness,positive_ease,positive_efficiency,positive_transparency,"
        "positive_humanity,positive_employee,positive_other,negative_effectiveness,negative_ease,"
        "negative_efficiency,negative_transparency,negative_humanity,negative_employee,negative_other,question_4"
    )


def test_the_quarter_before_and_after_take_the_boundary_responses(session, golden_world):
    """The responses left out of FY2027Q1 at its edges are in the neighbouring quarters."""
    ids = _all_locations(session)
    before = a11.response_rows(session, ids, Q1.previous(), warning=False)
    after = a11.response_rows(session, ids, Q1.next(), warning=False)
    assert [row[0][-2:] for row in before] == ["01", "09"]  # 30 Sep local in Chicago, then in Honolulu
    assert [row[0][-2:] for row in after] == ["12"]


def test_scope_limits_both_exports(session, golden_world):
    hnl = [golden_world["HNL-1"].id]
    rows = list(a11.response_rows(session, hnl, Q1, warning=False))
    assert [row[0][-2:] for row in rows] == ["10", "13", "11"]
    collection = a11.collection(session, hnl, Q1)
    assert [(row.location.code, row.channel) for row in collection] == [("HNL-1", "kiosk"), ("HNL-1", "qr")]
    assert a11.collection(session, [], Q1) == []
    assert list(a11.response_rows(session, [], Q1, warning=False)) == []
